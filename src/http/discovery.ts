import type { ScimContext } from "../directory/resources.js";
import { ScimError } from "../scim/errors.js";
import {
  BEARER_TOKEN_SCHEME,
  serializeResourceType,
  serializeResourceTypes,
  serializeSchema,
  serializeSchemas,
  serializeServiceProviderConfig,
} from "../scim/resource/discovery.js";
import type { ScimLimits } from "./config.js";

/** Seconds a cursor stays valid: cursors are keyset positions, so they never expire while the query is the same. */
const CURSOR_TIMEOUT_SECONDS = 86_400;

/** RFC 7643 §5, filled from the limits the server enforces so that it stays truthful. */
export function serviceProviderConfigResponse(context: ScimContext, limits: ScimLimits): Record<string, unknown> {
  return serializeServiceProviderConfig({
    baseUrl: context.baseUrl,
    patch: true,
    bulk: { supported: true, maxOperations: limits.bulkMaxOperations, maxPayloadSize: limits.bulkMaxPayloadBytes },
    filter: { supported: true, maxResults: limits.maxPageSize },
    changePassword: false,
    sort: true,
    etag: true,
    authenticationSchemes: [BEARER_TOKEN_SCHEME],
    pagination: {
      cursor: true,
      index: true,
      defaultPaginationMethod: "index",
      defaultPageSize: limits.defaultPageSize,
      maxPageSize: limits.maxPageSize,
      cursorTimeout: CURSOR_TIMEOUT_SECONDS,
    },
  });
}

/** GET /Schemas (a ListResponse) or /Schemas/{urn}. */
export function schemasResponse(context: ScimContext, id?: string): Record<string, unknown> {
  if (id === undefined) return serializeSchemas(context.schemas.all, context.baseUrl);
  const schema = context.schemas.all.find((candidate) => candidate.id.toLowerCase() === id.toLowerCase());
  if (schema === undefined) throw new ScimError("notFound", `no schema "${id}"`);
  return serializeSchema(schema, context.baseUrl);
}

/** GET /ResourceTypes (a ListResponse) or /ResourceTypes/{name}. */
export function resourceTypesResponse(context: ScimContext, id?: string): Record<string, unknown> {
  const types = Object.values(context.schemas.byKind).map((schema) => schema.resourceType);
  if (id === undefined) return serializeResourceTypes(types, context.baseUrl);
  const type = types.find((candidate) => candidate.id.toLowerCase() === id.toLowerCase());
  if (type === undefined) throw new ScimError("notFound", `no resource type "${id}"`);
  return serializeResourceType(type, context.baseUrl);
}
