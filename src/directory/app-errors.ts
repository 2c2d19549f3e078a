import type { ScimError } from "../scim/errors.js";

/**
 * Every refusal of the management API (docs/management-api.md), one code per distinct
 * reason; the HTTP layer maps each to its status (src/http/api-errors.ts).
 */
export const APP_ERROR_CODES = [
  "invalidRequest",
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
  "invalidProfile",
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

/** One problem of a refused profile, where it is in the YAML source (`invalidProfile`). */
export interface ProfileProblem {
  readonly line: number;
  readonly column: number;
  /** The setting's path (`roles.fromGroups[0].role`); "" for the document itself. */
  readonly path: string;
  readonly message: string;
}

/** A management API request refused; `message` is one line saying what was wrong and where. */
export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    /** `invalidProfile`: every problem of the profile, in line order. */
    readonly problems?: readonly ProfileProblem[],
  ) {
    super(message);
    this.name = "AppError";
  }
}

/** A SCIM validation issue met while checking an application's input, reworded as invalidRequest. */
export function appErrorFromScim(error: ScimError): AppError {
  return new AppError("invalidRequest", error.message);
}
