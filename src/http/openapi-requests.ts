import { REQUEST_SCAN_LIMIT } from "../directory/request-log.js";
import { TENANT, error, ok, queryParam, ref, LIMIT, page } from "./openapi-parts.js";

/**
 * The request log and status paths of the management API's OpenAPI document (api-openapi.ts
 * spreads them in); written by hand, as the rest of it.
 */

const ERRORS = {
  "401": error("unauthorized: no API key, or an unknown or revoked one."),
  "403": error("forbidden: the key belongs to another tenant."),
  "404": error("notFound: no such tenant (administrator keys)."),
};
const count = { type: "integer", minimum: 0 };
const time = { type: "string", format: "date-time" };
const nullableText = { type: ["string", "null"] };

export const REQUEST_LOG_PATHS = {
  "/tenants/{tenant}/requests": {
    parameters: [TENANT],
    get: {
      operationId: "listRequests",
      summary:
        `The tenant's SCIM requests as the request log kept them, newest first, with a hint on each failure. Filters no index serves (method, path, an exact status) examine at most ${REQUEST_SCAN_LIMIT.toLocaleString("en-US")} entries per page: a page may then hold fewer than limit entries, even none, with a nextCursor to continue.`,
      parameters: [
        queryParam("status", { type: "string", pattern: "^([1-5]xx|[1-5][0-9][0-9])$" }, "A class (2xx, 4xx, 5xx) or an exact status such as 401."),
        queryParam("method", { type: "string", pattern: "^[A-Za-z]{1,16}$" }, "GET, POST, PUT, PATCH or DELETE, any case."),
        queryParam("path", { type: "string", minLength: 1, maxLength: 1000 }, "The start of the logged path, case-sensitive: /scim/v2/<tenant>/Users."),
        queryParam("since", { type: "string" }, "ISO 8601 time or date; entries answered at or after it."),
        queryParam("until", { type: "string" }, "ISO 8601 time or date; entries answered at or before it."),
        LIMIT,
        queryParam("cursor", { type: "string" }, "nextCursor of the previous page, unchanged; same filters."),
      ],
      responses: {
        "200": ok("A page of requests.", page("LoggedRequest", "null when no older entry can match")),
        "400": error("invalidRequest (naming the parameter: status, method, path, since, until, limit, or one the operation does not take) or invalidCursor."),
        ...ERRORS,
      },
    },
  },
  "/tenants/{tenant}/requests/{requestId}": {
    parameters: [TENANT, { name: "requestId", in: "path", required: true, schema: { type: "string" }, description: "The request's id (its X-Request-Id)." }],
    get: {
      operationId: "getRequest",
      summary: "One request of the tenant's log, with its body (secrets removed) and the ids of the change events it caused.",
      responses: {
        "200": ok("The request.", ref("LoggedRequestDetail")),
        "400": error("invalidRequest: a query parameter (it takes none)."),
        ...ERRORS,
        "404": error("notFound: no such tenant, or no request with that id in this tenant's log (another tenant's request included)."),
      },
    },
  },
  "/tenants/{tenant}/status": {
    parameters: [TENANT],
    get: {
      operationId: "getTenantStatus",
      summary: "What a settings page shows of the tenant's SCIM connection, in one call.",
      responses: { "200": ok("The tenant's status.", ref("TenantStatus")), "400": error("invalidRequest: a query parameter (it takes none)."), ...ERRORS },
    },
  },
} as const;

const LOGGED_REQUEST_PROPERTIES = {
  requestId: { type: "string" },
  at: time,
  method: { type: "string" },
  path: { type: "string", description: "As logged: the URL path and query string, secrets in the query replaced." },
  status: { type: "integer" },
  durationMs: { type: "number" },
  userAgent: nullableText,
  scimType: { ...nullableText, description: "The SCIM error type (RFC 7644 §3.12), when the answer had one." },
  detail: { ...nullableText, description: "The SCIM error's detail; null for a success." },
  notes: { type: "array", items: { type: "string" }, description: "What the request did other than asked (an update the profile ignores)." },
  hint: { ...nullableText, description: "For a failure: the likely cause and the fix, in one sentence for the identity provider's administrator; null for a success or when nothing useful can be said." },
  authenticated: { type: "boolean", description: "false: answered before a token was accepted (a 401), logged under the tenant its URL names." },
};

export const REQUEST_LOG_SCHEMAS = {
  LoggedRequest: {
    type: "object",
    required: Object.keys(LOGGED_REQUEST_PROPERTIES),
    properties: LOGGED_REQUEST_PROPERTIES,
  },
  LoggedRequestDetail: {
    type: "object",
    required: [...Object.keys(LOGGED_REQUEST_PROPERTIES), "requestBody", "eventIds"],
    properties: {
      ...LOGGED_REQUEST_PROPERTIES,
      requestBody: { ...nullableText, description: 'The body as JSON text, secrets replaced by "[redacted]", cut at 8 KiB.' },
      eventIds: { type: "array", items: { type: "string", format: "uuid" }, description: "The change events the request caused (/Bulk: every operation's), as in GET events." },
    },
  },
  TenantStatus: {
    type: "object",
    required: ["firstRequestAt", "lastRequestAt", "lastRequest", "unauthenticatedDropped", "last24h", "tokens", "users", "groups"],
    properties: {
      firstRequestAt: { type: ["string", "null"], format: "date-time", description: "The oldest request the log keeps." },
      lastRequestAt: { type: ["string", "null"], format: "date-time" },
      lastRequest: {
        type: ["object", "null"],
        required: ["requestId", "at", "method", "path", "status", "hint"],
        properties: { requestId: { type: "string" }, at: time, method: { type: "string" }, path: { type: "string" }, status: { type: "integer" }, hint: nullableText },
      },
      unauthenticatedDropped: { ...count, description: "Unauthenticated requests (401s) the log no longer keeps: only the newest of them are kept, apart from the others." },
      last24h: {
        type: "object",
        description: "Requests answered in the last 24 hours, by status class.",
        required: ["2xx", "3xx", "4xx", "5xx"],
        properties: { "2xx": count, "3xx": count, "4xx": count, "5xx": count },
      },
      tokens: {
        type: "array",
        description: "The tenant's unrevoked SCIM tokens, oldest first.",
        items: { type: "object", required: ["id", "name", "lastUsedAt"], properties: { id: { type: "string" }, name: { type: "string" }, lastUsedAt: { type: ["string", "null"], format: "date-time" } } },
      },
      users: {
        type: "object",
        description: "active + inactive = managed + unmanaged = every user; a user without active counts as active.",
        required: ["active", "inactive", "managed", "unmanaged"],
        properties: { active: count, inactive: count, managed: count, unmanaged: count },
      },
      groups: { type: "object", required: ["managed", "unmanaged"], properties: { managed: count, unmanaged: count } },
    },
  },
} as const;
