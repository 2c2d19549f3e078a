import type { ScimError } from "../scim/errors.js";
import type { ProfileProblemData } from "./profile-problems.js";

/**
 * Every refusal of the management API (docs/management-api.md), one code per distinct
 * reason; the HTTP layer maps each to its status (src/http/api-errors.ts).
 */
export const APP_ERROR_CODES = [
  "invalidRequest",
  "invalidProfile",
  "invalidCursor",
  "cursorExpired",
  "unauthorized",
  "forbidden",
  "notFound",
  "methodNotAllowed",
  "userNameTaken",
  "managedByIdentityProvider",
  "replayInProgress",
  "tenantExists",
  "payloadTooLarge",
  "unsupportedMediaType",
  "requestTimeout",
  "expectationFailed",
  "headersTooLarge",
  "unavailable",
  "notConfigured",
  "internal",
] as const;

export type AppErrorCode = (typeof APP_ERROR_CODES)[number];

/**
 * A management API request refused; `message` is one line saying what was wrong and where.
 * `problems`: every problem of a refused profile (invalidProfile), answered with the error.
 */
export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly problems?: readonly ProfileProblemData[],
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** A SCIM validation issue met while checking an application's input, reworded as invalidRequest. */
export function appErrorFromScim(error: ScimError): AppError {
  return new AppError("invalidRequest", error.message);
}
