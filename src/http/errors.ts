import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ScimError, serializeScimError } from "../scim/errors.js";
import { StoreContentionError, StoreFilterError, StoreTimeoutError, StoreUnavailableError } from "../store/store.js";
import { sendScim } from "./reply.js";

/** What the request log records of a failed request. */
export interface LoggedError {
  readonly scimType: string | null;
  readonly detail: string;
}

/** Where handleError leaves what the request log records (a request decoration, as SCIM_CONTEXT). */
export const LOGGED_ERROR = "scimLoggedError";
type WithLoggedError = { [LOGGED_ERROR]: LoggedError | null };

export function loggedErrorOf(request: FastifyRequest): LoggedError | undefined {
  return (request as unknown as Partial<WithLoggedError>)[LOGGED_ERROR] ?? undefined;
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as Partial<FastifyError>).code === "string";
}

/** Turns any thrown value into the ScimError a client should see; internals never leak. */
export function toScimError(error: unknown): ScimError {
  if (error instanceof ScimError) return error;
  if (error instanceof StoreTimeoutError) {
    return new ScimError("unavailable", `${error.message}: narrow the filter (docs/filters.md, "Complexity budget") or retry later`);
  }
  if (error instanceof StoreFilterError) return new ScimError("invalidFilter", `filter: ${error.message}`);
  if (error instanceof StoreContentionError) {
    return new ScimError("unavailable", "this request raced a change of its tenant (deleted, or being deleted); retry");
  }
  if (error instanceof StoreUnavailableError) {
    return new ScimError("unavailable", "the directory database is unavailable; retry shortly");
  }
  if (isFastifyError(error)) {
    switch (error.code) {
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return new ScimError("payloadTooLarge", `request body exceeds the limit of this endpoint (${error.message})`);
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return new ScimError("unsupportedMediaType", "send the body as application/scim+json or application/json");
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
        return new ScimError("invalidSyntax", "the request body is empty; expected a JSON object");
      case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
        return new ScimError("invalidSyntax", "Content-Length does not match the body");
      case "FST_ERR_BAD_URL":
        return new ScimError("invalidSyntax", "the request URL is not valid: it has a malformed percent-encoding");
      default:
        break;
    }
    if (error instanceof SyntaxError || error.statusCode === 400) {
      return new ScimError("invalidSyntax", `the request body is not valid JSON: ${error.message}`);
    }
  }
  if (error instanceof SyntaxError) {
    return new ScimError("invalidSyntax", `the request body is not valid JSON: ${error.message}`);
  }
  return new ScimError("internal", "an internal error occurred; it has been logged with this request's id");
}

/** The one error handler: every error response of the SCIM API is written here. */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const scimError = toScimError(error);
  if (scimError.status >= 500) {
    request.log.error({ err: error }, "request failed");
  }
  (request as unknown as WithLoggedError)[LOGGED_ERROR] = { scimType: scimError.scimType ?? null, detail: scimError.message };
  if (scimError.status === 401) reply.header("WWW-Authenticate", 'Bearer realm="roster"');
  if (scimError.status === 503) reply.header("Retry-After", "5");
  if (scimError.status === 429) reply.header("Retry-After", "1");
  return sendScim(reply, scimError.status, serializeScimError(scimError));
}
