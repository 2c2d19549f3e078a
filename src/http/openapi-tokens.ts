import { MAX_TOKEN_NAME_LENGTH } from "../directory/app-tokens.js";
import { MAX_TOKEN_LIFETIME_DAYS } from "../directory/token-expiry.js";
import { MAX_SECRET_LENGTH, MIN_SECRET_LENGTH } from "../directory/tokens.js";
import { TENANT, error, idParam, jsonContent, ok, queryParam, ref, LIMIT, page } from "./openapi-parts.js";

// The SCIM token paths and schemas of the OpenAPI document (api-openapi.ts spreads them in).
// Its small helpers are repeated here: importing them from api-openapi.ts, which imports this
// module, would be a cycle.

const TOKEN_ID = idParam("id", "The token's id.");
const ERRORS = {
  "400": error("invalidRequest or invalidCursor: the message names the field or parameter and the rule it breaks (an admin-entered secret's policy, an expiry in the past, a principal that is not an active unmanaged user)."),
  "401": error("unauthorized: no API key, or an unknown or revoked one."),
  "403": error("forbidden: the key belongs to another tenant."),
  "404": error("notFound: no such tenant (administrator keys), or no token with this id in this tenant."),
};

export const TOKEN_PATHS = {
  "/tenants/{tenant}/scim-tokens": {
    parameters: [TENANT],
    get: {
      operationId: "listScimTokens",
      summary: "The tenant's SCIM tokens, newest first, with their owner's state; never their secrets.",
      parameters: [
        queryParam("revoked", { type: "boolean" }, "true: revoked tokens only; false: unrevoked ones only (expired ones included); absent: all."),
        LIMIT,
        queryParam("cursor", { type: "string" }, "nextCursor of the previous page, unchanged; same revoked filter."),
      ],
      responses: {
        "200": ok("A page of tokens.", page("ScimToken")),
        ...ERRORS,
      },
    },
    post: {
      operationId: "createScimToken",
      summary: "Issue a SCIM token. The answer holds its secret in `token`, shown this once (not for an admin-entered `secret`), and the SCIM base URL to give the identity provider.",
      requestBody: { required: false, content: jsonContent(ref("ScimTokenInput")) },
      responses: { "201": ok("Created; Location names it.", ref("CreatedScimToken")), ...ERRORS },
    },
  },
  "/tenants/{tenant}/scim-tokens/{id}": {
    parameters: [TENANT, TOKEN_ID],
    get: { operationId: "getScimToken", summary: "Read one SCIM token (never its secret).", responses: { "200": ok("The token.", ref("ScimToken")), ...ERRORS } },
    delete: {
      operationId: "revokeScimToken",
      summary: "Revoke a SCIM token: it stops working at once, in every process. Revoking a token already revoked changes nothing and answers 204 too.",
      responses: { "204": { description: "Revoked; no body." }, ...ERRORS },
    },
  },
};

const TOKEN_PROPERTIES = {
  id: { type: "string" },
  name: { type: "string", maxLength: MAX_TOKEN_NAME_LENGTH },
  createdAt: { type: "string", format: "date-time" },
  lastUsedAt: { type: ["string", "null"], format: "date-time", description: "Updated at most once a minute." },
  expiresAt: { type: ["string", "null"], format: "date-time", description: "When it stops working; null: never." },
  revokedAt: { type: ["string", "null"], format: "date-time" },
  principal: {
    oneOf: [
      { type: "null" },
      {
        type: "object",
        required: ["id", "state"],
        additionalProperties: false,
        properties: {
          id: { type: "string", description: "The unmanaged user the token belongs to." },
          state: { type: "string", enum: ["active", "deactivated", "deleted", "managed"], description: "The token works only while this is active." },
        },
      },
    ],
  },
};
const TOKEN_REQUIRED = ["id", "name", "createdAt", "lastUsedAt", "expiresAt", "revokedAt", "principal"];

export const TOKEN_SCHEMAS = {
  ScimToken: { type: "object", required: TOKEN_REQUIRED, additionalProperties: false, properties: TOKEN_PROPERTIES },
  CreatedScimToken: {
    type: "object",
    required: [...TOKEN_REQUIRED, "scimBaseUrl"],
    additionalProperties: false,
    properties: {
      ...TOKEN_PROPERTIES,
      token: { type: "string", description: "The bearer secret, shown only in this answer; absent when the secret was entered (`secret`)." },
      scimBaseUrl: { type: "string", format: "uri", description: "The tenant's SCIM base URL on the server's public URL." },
    },
  },
  ScimTokenInput: {
    type: "object",
    additionalProperties: false,
    properties: {
      name: { type: ["string", "null"], minLength: 1, maxLength: MAX_TOKEN_NAME_LENGTH, description: 'A label, e.g. "okta" (default "unnamed").' },
      secret: {
        type: ["string", "null"],
        minLength: MIN_SECRET_LENGTH,
        maxLength: MAX_SECRET_LENGTH,
        description: "An admin-entered secret (Fluid's shared SCIM Secret Token) instead of a generated one: printable ASCII without spaces, with upper- and lower-case letters, digits and symbols.",
      },
      principal: { type: ["string", "null"], description: "The id of an active unmanaged user: the token works only while that user is active." },
      expiresAt: {
        type: ["string", "null"],
        format: "date-time",
        description: `When the token stops working: in the future, at most ${MAX_TOKEN_LIFETIME_DAYS} days ahead; absent or null: never.`,
      },
    },
  },
};
