import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
} from "../scim/schema/core-schemas.js";
import type { ResourceSchema, SchemaDefinition } from "../scim/schema/types.js";
import type { ResourceKind } from "../store/store.js";

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

/** The schemas of a tenant. Every tenant serves the RFC 7643 schemas until profiles (issue 4) add to them. */
export function tenantSchemas(): TenantSchemas {
  return DEFAULT_SCHEMAS;
}

export const RESOURCE_KINDS: readonly ResourceKind[] = ["User", "Group"];

/** Attributes held outside the document (membership rows), per kind. */
export const EXTERNAL_ATTRIBUTES: Readonly<Record<ResourceKind, ReadonlySet<string>>> = {
  User: new Set(["groups"]),
  Group: new Set(["members"]),
};
