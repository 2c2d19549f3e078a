import { describe, expect, it } from "vitest";
import {
  BEARER_TOKEN_SCHEME,
  serializeResourceType,
  serializeResourceTypes,
  serializeSchema,
  serializeSchemas,
  serializeServiceProviderConfig,
  type ServiceProviderConfigInput,
} from "../../../src/scim/resource/discovery.js";
import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
} from "../../../src/scim/schema/core-schemas.js";

const BASE = "https://roster.example/scim/v2/acme";

describe("serializeServiceProviderConfig", () => {
  const config: ServiceProviderConfigInput = {
    baseUrl: BASE,
    documentationUri: "https://roster.example/docs",
    patch: true,
    bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
    filter: { supported: true, maxResults: 200 },
    changePassword: false,
    sort: true,
    etag: true,
    authenticationSchemes: [BEARER_TOKEN_SCHEME],
    pagination: { cursor: true, index: true, defaultPaginationMethod: "index", defaultPageSize: 100, maxPageSize: 200, cursorTimeout: 3600 },
  };

  it("describes exactly what the input says the server supports (RFC 7643 §5, RFC 9865 pagination)", () => {
    expect(serializeServiceProviderConfig(config)).toEqual({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
      documentationUri: "https://roster.example/docs",
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      pagination: { cursor: true, index: true, defaultPaginationMethod: "index", defaultPageSize: 100, maxPageSize: 200, cursorTimeout: 3600 },
      authenticationSchemes: [
        {
          type: "oauthbearertoken",
          name: "OAuth Bearer Token",
          description: "Authentication with a SCIM bearer token (RFC 6750) issued by Roster for one tenant.",
          specUri: "https://www.rfc-editor.org/info/rfc6750",
          primary: true,
        },
      ],
      meta: { resourceType: "ServiceProviderConfig", location: `${BASE}/ServiceProviderConfig` },
    });
  });

  it("omits pagination and documentationUri when not given", () => {
    const { pagination: _p, documentationUri: _d, ...minimal } = config;
    const document = serializeServiceProviderConfig(minimal);
    expect(document).not.toHaveProperty("pagination");
    expect(document).not.toHaveProperty("documentationUri");
  });
});

describe("serializeSchema", () => {
  const enterprise = serializeSchema(ENTERPRISE_USER_SCHEMA, BASE);

  it("writes the RFC 7643 §7 representation with meta.resourceType Schema and its location", () => {
    expect(enterprise).toMatchObject({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
      id: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
      name: "EnterpriseUser",
      description: "Enterprise User",
      meta: { resourceType: "Schema", location: `${BASE}/Schemas/urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` },
    });
  });

  it("writes every characteristic of an attribute and its sub-attributes", () => {
    const attributes = enterprise["attributes"] as readonly Record<string, unknown>[];
    expect(attributes.find((a) => a["name"] === "manager")).toEqual({
      name: "manager",
      type: "complex",
      multiValued: false,
      description: "The User's manager.",
      required: false,
      caseExact: false,
      mutability: "readWrite",
      returned: "default",
      uniqueness: "none",
      subAttributes: [
        {
          name: "value",
          type: "string",
          multiValued: false,
          description: "The id of the SCIM resource representing the User's manager. At most 512 characters.",
          required: false,
          caseExact: false,
          mutability: "readWrite",
          returned: "default",
          uniqueness: "none",
        },
        {
          name: "$ref",
          type: "reference",
          multiValued: false,
          description: "The URI of the manager's resource. At most 2048 characters.",
          required: false,
          caseExact: false,
          referenceTypes: ["User"],
          mutability: "readWrite",
          returned: "default",
          uniqueness: "none",
        },
        {
          name: "displayName",
          type: "string",
          multiValued: false,
          description: "The displayName of the User's manager.",
          required: false,
          caseExact: false,
          mutability: "readOnly",
          returned: "default",
          uniqueness: "none",
        },
      ],
    });
  });

  it("writes canonicalValues where the schema has them", () => {
    const user = serializeSchema(USER_SCHEMA, BASE);
    const emails = (user["attributes"] as readonly Record<string, unknown>[]).find((a) => a["name"] === "emails");
    const type = (emails?.["subAttributes"] as readonly Record<string, unknown>[]).find((a) => a["name"] === "type");
    expect(type?.["canonicalValues"]).toEqual(["work", "home", "other"]);
  });

  it("lists schemas as a ListResponse", () => {
    expect(serializeSchemas([USER_SCHEMA, ENTERPRISE_USER_SCHEMA], BASE)).toMatchObject({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
      totalResults: 2,
      itemsPerPage: 2,
      startIndex: 1,
      Resources: [{ id: USER_SCHEMA.id }, { id: ENTERPRISE_USER_SCHEMA.id }],
    });
  });
});

describe("serializeResourceType", () => {
  it("writes the RFC 7643 §6 representation", () => {
    expect(serializeResourceType(USER_RESOURCE_TYPE, BASE)).toEqual({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
      id: "User",
      name: "User",
      endpoint: "/Users",
      description: "User Account",
      schema: "urn:ietf:params:scim:schemas:core:2.0:User",
      schemaExtensions: [{ schema: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", required: false }],
      meta: { resourceType: "ResourceType", location: `${BASE}/ResourceTypes/User` },
    });
  });

  it("lists resource types as a ListResponse", () => {
    expect(serializeResourceTypes([USER_RESOURCE_TYPE, GROUP_RESOURCE_TYPE], BASE)).toMatchObject({
      totalResults: 2,
      Resources: [{ id: "User" }, { id: "Group", schemaExtensions: [] }],
    });
  });
});
