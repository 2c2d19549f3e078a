import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
} from "../../../src/scim/schema/core-schemas.js";
import { defineAttribute as a, defineComplex as c } from "../../../src/scim/schema/define.js";
import type { ResourceSchema } from "../../../src/scim/schema/types.js";

export const USER: ResourceSchema = { resourceType: USER_RESOURCE_TYPE, core: USER_SCHEMA, extensions: [ENTERPRISE_USER_SCHEMA] };
export const GROUP: ResourceSchema = { resourceType: GROUP_RESOURCE_TYPE, core: GROUP_SCHEMA, extensions: [] };

export const DEVICE_SCHEMA_ID = "urn:example:params:scim:schemas:core:2.0:Device";
export const DEVICE_EXTENSION_ID = "urn:example:params:scim:schemas:extension:lab:2.0:Device";

/** A made-up resource type exercising every attribute type and characteristic the core schemas lack. */
export const DEVICE: ResourceSchema = {
  resourceType: {
    id: "Device",
    name: "Device",
    endpoint: "/Devices",
    description: "Device",
    schema: DEVICE_SCHEMA_ID,
    schemaExtensions: [{ schema: DEVICE_EXTENSION_ID, required: true }],
  },
  core: {
    id: DEVICE_SCHEMA_ID,
    name: "Device",
    description: "Device",
    attributes: [
      a("serial", "string", { required: true, mutability: "immutable", caseExact: true }),
      a("ports", "integer"),
      a("weight", "decimal"),
      a("purchased", "dateTime"),
      a("firmware", "binary"),
      a("secretKey", "string", { mutability: "writeOnly", returned: "never" }),
      a("audit", "string", { returned: "request" }),
      a("tags", "string", { multiValued: true }),
      c("location", [
        a("site", "string", { required: true }),
        a("rack", "string", { mutability: "immutable" }),
        a("internalCode", "string", { returned: "request" }),
      ]),
    ],
  },
  extensions: [
    {
      id: DEVICE_EXTENSION_ID,
      name: "LabDevice",
      description: "Lab device",
      attributes: [a("bench", "string", { required: true }), a("calibrated", "boolean")],
    },
  ],
};
