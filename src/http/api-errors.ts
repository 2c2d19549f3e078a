import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { AppError, type AppErrorCode } from "../directory/app-errors.js";
import { profileProblems } from "../directory/profile-problems.js";
import { ProfileError } from "../directory/tenant-profiles.js";
import { TenantError } from "../directory/tenants.js";
import { ScimError } from "../scim/errors.js";
import { StoreContentionError, StoreTimeoutError, StoreUnavailableError } from "../store/store.js";

/** HTTP status of each management API error code (docs/management-api.md lists them). */
export const APP_ERROR_STATUS: Readonly<Record<AppErrorCode, number>> = {
  invalidRequest: 400,
  invalidProfile: 400,
  invalidCursor: 400,
  unauthorized: 401,
  forbidden: 403,
  notFound: 404,
  methodNotAllowed: 405,
  userNameTaken: 409,
  managedByIdentityProvider: 409,
  replayInProgress: 409,
  tenantExists: 409,
  cursorExpired: 410,
  payloadTooLarge: 413,
  unsupportedMediaType: 415,
  requestTimeout: 408,
  expectationFailed: 417,
  headersTooLarge: 431,
  internal: 500,
  notConfigured: 501,
  unavailable: 503,
};

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

type HttpExchangeCode = "requestTimeout" | "expectationFailed" | "headersTooLarge" | "payloadTooLarge";
const HTTP_EXCHANGE_CODES: ReadonlySet<string> = new Set<HttpExchangeCode>(["requestTimeout", "expectationFailed", "headersTooLarge", "payloadTooLarge"]);

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as Partial<FastifyError>).code === "string";
}

/** Turns any thrown value into the AppError a client should see; internals never leak. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  // Refusals of the HTTP exchange itself (src/http/client-errors.ts) keep their status in both APIs.
  if (error instanceof ScimError && HTTP_EXCHANGE_CODES.has(error.code)) return new AppError(error.code as HttpExchangeCode, error.message);
  if (error instanceof ScimError) {
    return new AppError(error.status === 404 ? "notFound" : error.status === 401 ? "unauthorized" : "invalidRequest", error.message);
  }
  if (error instanceof ProfileError) {
    const body = profileProblems(error);
    return new AppError(body.code, body.message, body.problems);
  }
  if (error instanceof TenantError) {
    return new AppError(error.code === "tenantNotFound" ? "notFound" : error.code === "tenantExists" ? "tenantExists" : "invalidRequest", error.message);
  }
  if (error instanceof StoreTimeoutError) return new AppError("unavailable", `${error.message}; retry later`);
  if (error instanceof StoreContentionError) return new AppError("unavailable", "this request raced a change of its tenant (deleted, or being deleted); retry");
  if (error instanceof StoreUnavailableError) return new AppError("unavailable", "the directory database is unavailable; retry shortly");
  if (isFastifyError(error)) {
    switch (error.code) {
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return new AppError("payloadTooLarge", `request body exceeds the limit (${error.message})`);
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return new AppError("unsupportedMediaType", "send the body as application/json (a tenant's profile, PUT …/profile and POST …/profile/check, may also be application/yaml)");
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
        return new AppError("invalidRequest", "the request body is empty; expected JSON");
      case "FST_ERR_BAD_URL":
        return new AppError("invalidRequest", "the request URL is not valid: it has a malformed percent-encoding");
      default:
        break;
    }
    if (error instanceof SyntaxError || error.statusCode === 400) return new AppError("invalidRequest", `the request body is not valid JSON: ${error.message}`);
  }
  if (error instanceof SyntaxError) return new AppError("invalidRequest", `the request body is not valid JSON: ${error.message}`);
  return new AppError("internal", "an internal error occurred; it has been logged with this request's id");
}

/** The one error writer of the management API: `{"error": {"code", "message"}}`, and `problems` for invalidProfile. */
export function handleApiError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const appError = toAppError(error);
  const status = APP_ERROR_STATUS[appError.code];
  if (status >= 500) request.log.error({ err: error }, "management API request failed");
  if (status === 401) reply.header("WWW-Authenticate", 'Bearer realm="roster-api"');
  if (status === 503) reply.header("Retry-After", "5");
  return reply
    .code(status)
    .type(JSON_CONTENT_TYPE)
    .send(JSON.stringify({ error: { code: appError.code, message: appError.message, ...(appError.problems === undefined ? {} : { problems: appError.problems }) } }));
}
