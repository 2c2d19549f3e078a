import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
} from "../scim/schema/core-schemas.js";
import type { AttributeDefinition, ResourceSchema, SchemaDefinition } from "../scim/schema/types.js";
import type { ResourceKind } from "../store/store.js";
import type { DeclaredAttribute, TenantProfile } from "./profiles.js";

/** The schemas one tenant serves: per resource kind, and every schema for /Schemas. */
export interface TenantSchemas {
  readonly byKind: Readonly<Record<ResourceKind, ResourceSchema>>;
  readonly all: readonly SchemaDefinition[];
}

const DEFAULT_SCHEMAS: TenantSchemas = {
  byKind: {
    User: { resourceType: USER_RESOURCE_TYPE, core: USER_SCHEMA, extensions: [ENTERPRISE_USER_SCHEMA] },
    Group: { resourceType: GROUP_RESOURCE_TYPE, core: GROUP_SCHEMA, extensions: [] },
  },
  all: [USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA],
};

const byProfile = new WeakMap<TenantProfile, TenantSchemas>();

function declaredDefinition(attribute: DeclaredAttribute): AttributeDefinition {
  return {
    name: attribute.name,
    type: attribute.type,
    multiValued: attribute.multiValued,
    description: attribute.description,
    required: false,
    caseExact: false,
    mutability: "readWrite",
    returned: "default",
    uniqueness: "none",
    ...(attribute.allowedValues === undefined ? {} : { canonicalValues: attribute.allowedValues }),
    ...(attribute.maxLength === undefined ? {} : { maxLength: attribute.maxLength }),
  };
}

function withAttributes(schema: SchemaDefinition, declared: readonly DeclaredAttribute[]): SchemaDefinition {
  return declared.length === 0 ? schema : { ...schema, attributes: [...schema.attributes, ...declared.map(declaredDefinition)] };
}

function buildSchemas(profile: TenantProfile): TenantSchemas {
  const core = withAttributes(USER_SCHEMA, profile.attributes.filter((a) => a.namespace.kind === "core"));
  const enterprise = withAttributes(ENTERPRISE_USER_SCHEMA, profile.attributes.filter((a) => a.namespace.kind === "enterprise"));
  const urns = [...new Set(profile.attributes.flatMap((a) => (a.namespace.kind === "extension" ? [a.namespace.urn] : [])))];
  const custom = urns.map(
    (urn): SchemaDefinition => ({
      id: urn,
      name: urn.split(":").at(-1) ?? urn,
      description: "Attributes declared by this tenant's profile",
      attributes: profile.attributes.filter((a) => a.namespace.kind === "extension" && a.namespace.urn === urn).map(declaredDefinition),
    }),
  );
  const resourceType = {
    ...USER_RESOURCE_TYPE,
    schemaExtensions: [...USER_RESOURCE_TYPE.schemaExtensions, ...custom.map((schema) => ({ schema: schema.id, required: false }))],
  };
  return {
    byKind: {
      User: { resourceType, core, extensions: [enterprise, ...custom] },
      Group: DEFAULT_SCHEMAS.byKind.Group,
    },
    all: [core, GROUP_SCHEMA, enterprise, ...custom],
  };
}

/**
 * The schemas of a tenant: the RFC 7643 schemas, plus the attributes its profile declares
 * (in the User core schema, the enterprise extension, or custom extensions). Memoised per profile object.
 */
export function tenantSchemas(profile?: TenantProfile): TenantSchemas {
  if (profile === undefined || profile.attributes.length === 0) return DEFAULT_SCHEMAS;
  let schemas = byProfile.get(profile);
  if (schemas === undefined) {
    schemas = buildSchemas(profile);
    byProfile.set(profile, schemas);
  }
  return schemas;
}

export const RESOURCE_KINDS: readonly ResourceKind[] = ["User", "Group"];

/** Attributes held outside the document (membership rows), per kind. */
export const EXTERNAL_ATTRIBUTES: Readonly<Record<ResourceKind, ReadonlySet<string>>> = {
  User: new Set(["groups"]),
  Group: new Set(["members"]),
};
