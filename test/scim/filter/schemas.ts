import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
} from "../../../src/scim/schema/core-schemas.js";
import { defineAttribute } from "../../../src/scim/schema/define.js";
import type { ResourceSchema } from "../../../src/scim/schema/types.js";

export const USER: ResourceSchema = { resourceType: USER_RESOURCE_TYPE, core: USER_SCHEMA, extensions: [ENTERPRISE_USER_SCHEMA] };
export const GROUP: ResourceSchema = { resourceType: GROUP_RESOURCE_TYPE, core: GROUP_SCHEMA, extensions: [] };

export const ACME_EXTENSION = "urn:acme:scim:schemas:extension:2.0:User";

/** A User schema plus a profile-declared extension with integer, decimal and binary attributes. */
export const USER_WITH_ACME: ResourceSchema = {
  ...USER,
  extensions: [
    ...USER.extensions,
    {
      id: ACME_EXTENSION,
      name: "AcmeUser",
      description: "Acme's attributes",
      attributes: [
        defineAttribute("level", "integer"),
        defineAttribute("score", "decimal"),
        defineAttribute("badge", "binary", { caseExact: true }),
        defineAttribute("nickCode", "string", { caseExact: true }),
        defineAttribute("tags", "string", { multiValued: true }),
      ],
    },
  ],
};
