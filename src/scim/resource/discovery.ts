import {
  SCIM_RESOURCE_TYPE_SCHEMA,
  SCIM_SCHEMA_SCHEMA,
  SCIM_SERVICE_PROVIDER_CONFIG_SCHEMA,
} from "../schema/core-schemas.js";
import { maxLengthOf, maxValuesOf } from "../schema/limits.js";
import type { AttributeDefinition, ResourceTypeDefinition, SchemaDefinition } from "../schema/types.js";
import { serializeListResponse } from "./list.js";

export interface AuthenticationScheme {
  /** e.g. "oauthbearertoken" (RFC 7643 §5). */
  readonly type: string;
  readonly name: string;
  readonly description: string;
  readonly specUri?: string;
  readonly documentationUri?: string;
  readonly primary?: boolean;
}

/** What the server really supports; the HTTP layer fills it from configuration. */
export interface ServiceProviderConfigInput {
  /** Base URL of the tenant's SCIM endpoint, without a trailing slash. */
  readonly baseUrl: string;
  readonly documentationUri?: string;
  readonly patch: boolean;
  readonly bulk: { readonly supported: boolean; readonly maxOperations: number; readonly maxPayloadSize: number };
  readonly filter: { readonly supported: boolean; readonly maxResults: number };
  readonly changePassword: boolean;
  readonly sort: boolean;
  readonly etag: boolean;
  readonly authenticationSchemes: readonly AuthenticationScheme[];
  /** RFC 9865 `pagination`; omitted from the document when undefined. */
  readonly pagination?: {
    readonly cursor: boolean;
    readonly index: boolean;
    readonly defaultPaginationMethod: "cursor" | "index";
    readonly defaultPageSize: number;
    readonly maxPageSize: number;
    /** Seconds a cursor stays valid. */
    readonly cursorTimeout: number;
  };
}

/** The bearer-token scheme Roster uses (RFC 6750), as advertised in ServiceProviderConfig. */
export const BEARER_TOKEN_SCHEME: AuthenticationScheme = {
  type: "oauthbearertoken",
  name: "OAuth Bearer Token",
  description: "Authentication with a SCIM bearer token (RFC 6750) issued by Roster for one tenant.",
  specUri: "https://www.rfc-editor.org/info/rfc6750",
  primary: true,
};

/** RFC 7643 §5 ServiceProviderConfig. */
export function serializeServiceProviderConfig(config: ServiceProviderConfigInput): Record<string, unknown> {
  return {
    schemas: [SCIM_SERVICE_PROVIDER_CONFIG_SCHEMA],
    ...(config.documentationUri === undefined ? {} : { documentationUri: config.documentationUri }),
    patch: { supported: config.patch },
    bulk: { ...config.bulk },
    filter: { ...config.filter },
    changePassword: { supported: config.changePassword },
    sort: { supported: config.sort },
    etag: { supported: config.etag },
    ...(config.pagination === undefined ? {} : { pagination: { ...config.pagination } }),
    authenticationSchemes: config.authenticationSchemes.map((scheme) => ({ ...scheme })),
    meta: { resourceType: "ServiceProviderConfig", location: `${config.baseUrl}/ServiceProviderConfig` },
  };
}

/**
 * The description, with the limits Roster enforces on what a client writes ("At most 512
 * characters."). RFC 7643 §7 has no characteristic for them, and an attribute outside its
 * list could trip a client that validates /Schemas strictly: the description is the place the
 * schema gives for what a person configuring the client must know (docs/decisions/0030).
 */
function describeAttribute(attribute: AttributeDefinition): string {
  if (attribute.mutability === "readOnly") return attribute.description;
  const maxLength = maxLengthOf(attribute);
  const maxValues = maxValuesOf(attribute);
  const limits = [
    ...(maxValues === undefined ? [] : [`At most ${maxValues} values.`]),
    ...(maxLength === undefined ? [] : [`At most ${maxLength} characters${attribute.multiValued ? " each" : ""}.`]),
  ];
  return [attribute.description, ...limits].filter((text) => text !== "").join(" ");
}

function serializeAttribute(attribute: AttributeDefinition): Record<string, unknown> {
  return {
    name: attribute.name,
    type: attribute.type,
    multiValued: attribute.multiValued,
    description: describeAttribute(attribute),
    required: attribute.required,
    caseExact: attribute.caseExact,
    ...(attribute.canonicalValues === undefined ? {} : { canonicalValues: [...attribute.canonicalValues] }),
    ...(attribute.referenceTypes === undefined ? {} : { referenceTypes: [...attribute.referenceTypes] }),
    mutability: attribute.mutability,
    returned: attribute.returned,
    uniqueness: attribute.uniqueness,
    ...(attribute.subAttributes === undefined ? {} : { subAttributes: attribute.subAttributes.map(serializeAttribute) }),
  };
}

/** RFC 7643 §7: one schema as served at /Schemas/{id}. */
export function serializeSchema(schema: SchemaDefinition, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [SCIM_SCHEMA_SCHEMA],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes: schema.attributes.map(serializeAttribute),
    meta: { resourceType: "Schema", location: `${baseUrl}/Schemas/${schema.id}` },
  };
}

/** RFC 7644 §4: /Schemas as a ListResponse. */
export function serializeSchemas(schemas: readonly SchemaDefinition[], baseUrl: string): Record<string, unknown> {
  const resources = schemas.map((schema) => serializeSchema(schema, baseUrl));
  return serializeListResponse({ resources, totalResults: resources.length, startIndex: 1 });
}

/** RFC 7643 §6: one resource type as served at /ResourceTypes/{id}. */
export function serializeResourceType(type: ResourceTypeDefinition, baseUrl: string): Record<string, unknown> {
  return {
    schemas: [SCIM_RESOURCE_TYPE_SCHEMA],
    id: type.id,
    name: type.name,
    endpoint: type.endpoint,
    description: type.description,
    schema: type.schema,
    schemaExtensions: type.schemaExtensions.map((extension) => ({ schema: extension.schema, required: extension.required })),
    meta: { resourceType: "ResourceType", location: `${baseUrl}/ResourceTypes/${type.id}` },
  };
}

/** RFC 7644 §4: /ResourceTypes as a ListResponse. */
export function serializeResourceTypes(types: readonly ResourceTypeDefinition[], baseUrl: string): Record<string, unknown> {
  const resources = types.map((type) => serializeResourceType(type, baseUrl));
  return serializeListResponse({ resources, totalResults: resources.length, startIndex: 1 });
}
