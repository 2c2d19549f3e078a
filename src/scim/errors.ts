import { SCIM_ERROR_SCHEMA } from "./schema/core-schemas.js";

/**
 * The one catalog of SCIM errors: each code maps to its HTTP status and, where
 * RFC 7644 §3.12 defines one, its `scimType`. `docs/errors.md` mirrors this table
 * and a test keeps the two in sync.
 */
export const SCIM_ERROR_CATALOG = {
  invalidFilter: { status: 400, scimType: "invalidFilter" },
  tooMany: { status: 400, scimType: "tooMany" },
  uniqueness: { status: 409, scimType: "uniqueness" },
  mutability: { status: 400, scimType: "mutability" },
  invalidSyntax: { status: 400, scimType: "invalidSyntax" },
  invalidPath: { status: 400, scimType: "invalidPath" },
  noTarget: { status: 400, scimType: "noTarget" },
  invalidValue: { status: 400, scimType: "invalidValue" },
  invalidVers: { status: 400, scimType: "invalidVers" },
  sensitive: { status: 403, scimType: "sensitive" },
  invalidCursor: { status: 400, scimType: "invalidCursor" },
  expiredCursor: { status: 400, scimType: "expiredCursor" },
  invalidCount: { status: 400, scimType: "invalidCount" },
  unauthorized: { status: 401, scimType: undefined },
  forbidden: { status: 403, scimType: undefined },
  notFound: { status: 404, scimType: undefined },
  methodNotAllowed: { status: 405, scimType: undefined },
  notAcceptable: { status: 406, scimType: undefined },
  requestTimeout: { status: 408, scimType: undefined },
  conflict: { status: 409, scimType: undefined },
  preconditionFailed: { status: 412, scimType: undefined },
  payloadTooLarge: { status: 413, scimType: undefined },
  unsupportedMediaType: { status: 415, scimType: undefined },
  expectationFailed: { status: 417, scimType: undefined },
  tooManyRequests: { status: 429, scimType: undefined },
  headersTooLarge: { status: 431, scimType: undefined },
  internal: { status: 500, scimType: undefined },
  notImplemented: { status: 501, scimType: undefined },
  unavailable: { status: 503, scimType: undefined },
} as const satisfies Record<string, { status: number; scimType: string | undefined }>;

export type ScimErrorCode = keyof typeof SCIM_ERROR_CATALOG;

/** A problem found in client input, before any HTTP concern. Parsers return these. */
export interface ScimIssue {
  readonly code: ScimErrorCode;
  readonly detail: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issue: ScimIssue };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: ScimErrorCode, detail: string): Result<T> {
  return { ok: false, issue: { code, detail } };
}

/** Thrown where a Result would have to travel too far; the HTTP edge serialises it. */
export class ScimError extends Error {
  readonly code: ScimErrorCode;
  readonly status: number;
  readonly scimType: string | undefined;

  constructor(code: ScimErrorCode, detail: string) {
    super(detail);
    this.name = "ScimError";
    this.code = code;
    this.status = SCIM_ERROR_CATALOG[code].status;
    this.scimType = SCIM_ERROR_CATALOG[code].scimType;
  }

  static fromIssue(issue: ScimIssue): ScimError {
    return new ScimError(issue.code, issue.detail);
  }
}

/** Unwraps a Result or throws its issue as a ScimError. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw ScimError.fromIssue(result.issue);
}

/** RFC 7644 §3.12: the error response body. */
export function serializeScimError(error: ScimError): Record<string, unknown> {
  return {
    schemas: [SCIM_ERROR_SCHEMA],
    status: String(error.status),
    ...(error.scimType === undefined ? {} : { scimType: error.scimType }),
    detail: error.message,
  };
}
