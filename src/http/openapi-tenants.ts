import { MAX_API_KEY_NAME_LENGTH } from "../directory/api-keys.js";
import { MAX_TENANT_NAME_LENGTH, MAX_TENANT_QUERY_LENGTH } from "../directory/tenant-admin.js";
import { NO_CONTENT, PAGING, TENANT, body, error, idParam, ok, page, queryParam, ref } from "./openapi-parts.js";

// The control plane's part of the OpenAPI document (api-openapi.ts spreads these): tenants,
// API keys and the audit log. The small helpers are api-openapi.ts's, copied.

const ERRORS = {
  "400": error("invalidRequest or invalidCursor: the message says what was wrong and where, naming an unknown query parameter or body field."),
  "401": error("unauthorized: no API key, or an unknown or revoked one."),
  "403": error("forbidden: the key belongs to another tenant, or the operation needs an administrator key."),
};
const NOT_FOUND = { "404": error("notFound: no such tenant (administrator keys) or API key.") };
const tenantName = { type: ["string", "null"], minLength: 1, maxLength: MAX_TENANT_NAME_LENGTH, description: "A display name (the customer's company); null removes it." };

export const TENANT_PATHS = {
  "/tenants": {
    get: {
      operationId: "listTenants",
      summary: "Tenants in slug order (administrator key).",
      parameters: [queryParam("q", { type: "string", maxLength: MAX_TENANT_QUERY_LENGTH }, "Part of the slug or name, ignoring case."), ...PAGING],
      responses: { "200": ok("A page of tenants.", page("Tenant")), ...ERRORS },
    },
    post: {
      operationId: "createTenant",
      summary: "Create a tenant, with its name and profile (administrator key). A refused profile creates nothing.",
      requestBody: body({
        type: "object",
        required: ["slug"],
        additionalProperties: false,
        properties: {
          slug: { type: "string", pattern: "^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$" },
          name: tenantName,
          profile: { type: ["string", "object", "null"], description: "The tenant profile (docs/profiles.md) as YAML text, or the equivalent JSON object." },
        },
      }),
      responses: {
        "201": ok("Created; Location names it.", ref("Tenant")),
        ...ERRORS,
        "400": error("invalidRequest, or invalidProfile with `problems`: every problem of the profile, in line order."),
        "409": error("tenantExists: a tenant has this slug."),
      },
    },
  },
  "/tenants/{tenant}": {
    parameters: [TENANT],
    get: { operationId: "getTenant", summary: "Read a tenant: its SCIM base URL, profile version and SCIM switch.", responses: { "200": ok("The tenant.", ref("Tenant")), ...ERRORS, ...NOT_FOUND } },
    patch: {
      operationId: "updateTenant",
      summary: "Rename a tenant, or switch its SCIM sync off and on (every SCIM request answers 403 while off).",
      requestBody: body({ type: "object", additionalProperties: false, minProperties: 1, properties: { name: tenantName, scimEnabled: { type: "boolean" } } }),
      responses: { "200": ok("The tenant as changed.", ref("Tenant")), ...ERRORS, ...NOT_FOUND },
    },
    delete: {
      operationId: "deleteTenant",
      summary: "Delete a tenant and everything it owns, at once (administrator key); its SCIM tokens and API keys stop working.",
      parameters: [{ name: "confirm", in: "query", required: true, schema: { type: "string" }, description: "The tenant's slug again." }],
      responses: { ...NO_CONTENT, ...ERRORS, ...NOT_FOUND },
    },
  },
  "/tenants/{tenant}/audit": {
    parameters: [TENANT],
    get: { operationId: "listTenantAudit", summary: "The tenant's control-plane changes, newest first.", parameters: PAGING, responses: { "200": ok("A page of audit entries.", page("AuditEntry")), ...ERRORS, ...NOT_FOUND } },
  },
  "/audit": {
    get: { operationId: "listAudit", summary: "Every control-plane change, newest first (administrator key).", parameters: PAGING, responses: { "200": ok("A page of audit entries.", page("AuditEntry")), ...ERRORS } },
  },
  "/api-keys": {
    get: { operationId: "listApiKeys", summary: "Every API key, oldest first, never the key itself (administrator key).", parameters: PAGING, responses: { "200": ok("A page of API keys.", page("ApiKey")), ...ERRORS } },
    post: {
      operationId: "createApiKey",
      summary: "Issue an API key for one tenant, or an administrator key without `tenant` (administrator key). The key is in this answer only.",
      requestBody: body({
        type: "object",
        required: ["name"],
        additionalProperties: false,
        properties: { name: { type: "string", minLength: 1, maxLength: MAX_API_KEY_NAME_LENGTH }, tenant: { type: ["string", "null"], description: "A tenant's slug; absent or null: an administrator key." } },
      }),
      responses: { "201": ok("Created; Location names it.", ref("CreatedApiKey")), ...ERRORS },
    },
  },
  "/api-keys/{id}": {
    parameters: [idParam("id", "The key's id.")],
    delete: { operationId: "revokeApiKey", summary: "Revoke an API key (administrator key); the next request with it is 401.", responses: { ...NO_CONTENT, ...ERRORS, ...NOT_FOUND } },
  },
} as const;

export const TENANT_SCHEMAS = {
  Tenant: {
    type: "object",
    required: ["slug", "name", "scimBaseUrl", "profileVersion", "scimEnabled", "createdAt"],
    properties: {
      slug: { type: "string" },
      name: { type: ["string", "null"] },
      scimBaseUrl: { type: "string", format: "uri", description: "What the customer enters in the identity provider." },
      profileVersion: { type: "integer", description: "0 without a profile; grows by one on every change." },
      scimEnabled: { type: "boolean", description: "false: every SCIM request answers 403." },
      createdAt: { type: "string", format: "date-time" },
    },
  },
  ApiKey: {
    type: "object",
    required: ["id", "name", "tenant", "createdAt", "revokedAt"],
    properties: {
      id: { type: "string" },
      name: { type: "string" },
      tenant: { type: ["string", "null"], description: "null for an administrator key." },
      createdAt: { type: "string", format: "date-time" },
      revokedAt: { type: ["string", "null"], format: "date-time" },
    },
  },
  CreatedApiKey: {
    type: "object",
    required: ["id", "key", "name", "tenant", "createdAt"],
    properties: {
      id: { type: "string" },
      key: { type: "string", description: "rosterkey_…: shown only in this answer." },
      name: { type: "string" },
      tenant: { type: ["string", "null"] },
      createdAt: { type: "string", format: "date-time" },
    },
  },
  AuditEntry: {
    type: "object",
    required: ["id", "at", "actor", "action", "tenant", "target", "before", "after"],
    properties: {
      id: { type: "string" },
      at: { type: "string", format: "date-time" },
      actor: { type: "string", description: "apikey:<id> or cli." },
      action: { type: "string", description: "tenant.created, apikey.revoked, …" },
      tenant: { type: ["string", "null"], description: "The tenant's slug; null for a change outside any tenant." },
      target: { type: "string" },
      before: { description: "The settings before the change (never a secret); null when none." },
      after: { description: "The settings after the change; null when none." },
    },
  },
} as const;
