import { formatScimFilter } from "../../../src/scim/filter/format.js";
import type { Filter, ResolvedFilter } from "../../../src/scim/filter/ast.js";
import type { ExternalChange } from "../../../src/scim/patch/index.js";
import { defineAttribute } from "../../../src/scim/schema/define.js";
import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
} from "../../../src/scim/schema/core-schemas.js";
import type { ResourceSchema } from "../../../src/scim/schema/types.js";

export const BADGE_SCHEMA_ID = "urn:example:params:scim:schemas:extension:badge:2.0:User";

/** Resource schemas the fixtures name in `"resource"`. `BadgeUser` adds an extension with an immutable and typed attributes. */
export const SCHEMAS: Readonly<Record<string, ResourceSchema>> = {
  User: { resourceType: USER_RESOURCE_TYPE, core: USER_SCHEMA, extensions: [ENTERPRISE_USER_SCHEMA] },
  Group: { resourceType: GROUP_RESOURCE_TYPE, core: GROUP_SCHEMA, extensions: [] },
  BadgeUser: {
    resourceType: { ...USER_RESOURCE_TYPE, schemaExtensions: [{ schema: BADGE_SCHEMA_ID, required: false }] },
    core: USER_SCHEMA,
    extensions: [
      {
        id: BADGE_SCHEMA_ID,
        name: "Badge",
        description: "A test extension",
        attributes: [
          defineAttribute("badgeId", "string", { mutability: "immutable" }),
          defineAttribute("level", "integer"),
          defineAttribute("weight", "decimal"),
          defineAttribute("issued", "dateTime"),
        ],
      },
    ],
  },
};

export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/** ExternalChanges with filters printed, so fixtures can state them as text. */
export function printExternal(changes: readonly ExternalChange[]): unknown[] {
  return changes.map((change) => (change.kind === "remove" ? { ...change, filter: formatScimFilter(unresolve(change.filter)) } : change));
}

function unresolve(filter: ResolvedFilter): Filter {
  switch (filter.kind) {
    case "compare":
      return { ...filter, path: { attribute: filter.path.subAttribute?.name ?? filter.path.attribute.name } };
    case "present":
      return { kind: "present", path: { attribute: filter.path.subAttribute?.name ?? filter.path.attribute.name } };
    case "and":
    case "or":
      return { kind: filter.kind, left: unresolve(filter.left), right: unresolve(filter.right) };
    case "not":
      return { kind: "not", filter: unresolve(filter.filter) };
    case "valuePath":
      return { kind: "valuePath", path: { attribute: filter.path.attribute.name }, filter: unresolve(filter.filter) };
  }
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
