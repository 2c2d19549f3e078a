import { defineAttribute as a, defineComplex as c, multiValuedSubAttributes as mv } from "./define.js";
import { CONTACT_MAX_VALUES, IDENTIFIER_MAX_LENGTH } from "./limits.js";
import type { AttributeDefinition, ResourceTypeDefinition, SchemaDefinition } from "./types.js";

export const SCIM_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const SCIM_GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const SCIM_ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
export const SCIM_LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const SCIM_ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
export const SCIM_PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const SCIM_SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
export const SCIM_BULK_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
export const SCIM_BULK_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
export const SCIM_SERVICE_PROVIDER_CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
export const SCIM_RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
export const SCIM_SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/**
 * RFC 7643 §3.1: attributes every resource has. They belong to no schema in
 * /Schemas but are addressed as if they were part of the core schema.
 */
export const COMMON_ATTRIBUTES: readonly AttributeDefinition[] = [
  a("id", "string", {
    description: "Unique identifier for the SCIM resource as defined by the service provider.",
    caseExact: true,
    mutability: "readOnly",
    returned: "always",
    uniqueness: "server",
  }),
  a("externalId", "string", {
    description: "An identifier for the resource as defined by the provisioning client.",
    caseExact: true,
    maxLength: IDENTIFIER_MAX_LENGTH,
  }),
  c(
    "meta",
    [
      a("resourceType", "string", { caseExact: true, mutability: "readOnly", description: "The name of the resource type." }),
      a("created", "dateTime", { mutability: "readOnly", description: "When the resource was added." }),
      a("lastModified", "dateTime", { mutability: "readOnly", description: "When the resource was last modified." }),
      a("location", "reference", {
        caseExact: true,
        mutability: "readOnly",
        referenceTypes: ["uri"],
        description: "The URI of the resource.",
      }),
      a("version", "string", { caseExact: true, mutability: "readOnly", description: "The version (weak ETag) of the resource." }),
    ],
    { mutability: "readOnly", description: "Resource metadata." },
  ),
];

const reference = (types: readonly string[]) => ({ referenceTypes: types });
/** Copied into an index (userName, displayName, emails.value) or naming another resource: docs/decisions/0030. */
const identifier = { maxLength: IDENTIFIER_MAX_LENGTH };
const contacts = { multiValued: true, maxValues: CONTACT_MAX_VALUES };

export const USER_SCHEMA: SchemaDefinition = {
  id: SCIM_USER_SCHEMA,
  name: "User",
  description: "User Account",
  attributes: [
    a("userName", "string", {
      description: "Unique identifier for the User, used by the user to authenticate.",
      required: true,
      uniqueness: "server",
      ...identifier,
    }),
    c(
      "name",
      [
        a("formatted", "string", { description: "The full name, formatted for display." }),
        a("familyName", "string", { description: "The family name of the User." }),
        a("givenName", "string", { description: "The given name of the User." }),
        a("middleName", "string", { description: "The middle name(s) of the User." }),
        a("honorificPrefix", "string", { description: "The honorific prefix(es) of the User." }),
        a("honorificSuffix", "string", { description: "The honorific suffix(es) of the User." }),
      ],
      { description: "The components of the user's real name." },
    ),
    a("displayName", "string", { ...identifier, description: "The name of the User, suitable for display to end-users." }),
    a("nickName", "string", { description: "The casual way to address the user." }),
    a("profileUrl", "reference", { ...reference(["external"]), description: "A URI pointing to the User's online profile." }),
    a("title", "string", { description: "The user's title, such as \"Vice President\"." }),
    a("userType", "string", { description: "Used to identify the relationship between the organization and the user." }),
    a("preferredLanguage", "string", { description: "The User's preferred written or spoken language." }),
    a("locale", "string", { description: "The User's default location for localizing items." }),
    a("timezone", "string", { description: "The User's time zone in the IANA Time Zone database format." }),
    a("active", "boolean", { description: "The User's administrative status." }),
    a("password", "string", {
      description: "The User's cleartext password; write-only, never returned.",
      mutability: "writeOnly",
      returned: "never",
    }),
    c("emails", mv("string", ["work", "home", "other"], identifier), {
      ...contacts,
      description: "Email addresses for the user.",
    }),
    c("phoneNumbers", mv("string", ["work", "home", "mobile", "fax", "pager", "other"]), {
      ...contacts,
      description: "Phone numbers for the User.",
    }),
    c("ims", mv("string", ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]), {
      ...contacts,
      description: "Instant messaging addresses for the User.",
    }),
    c("photos", mv("reference", ["photo", "thumbnail"], reference(["external"])), {
      ...contacts,
      description: "URLs of photos of the User.",
    }),
    c(
      "addresses",
      [
        a("formatted", "string", { description: "The full mailing address, formatted for display." }),
        a("streetAddress", "string", { description: "The full street address component." }),
        a("locality", "string", { description: "The city or locality component." }),
        a("region", "string", { description: "The state or region component." }),
        a("postalCode", "string", { description: "The zip code or postal code component." }),
        a("country", "string", { description: "The country name component." }),
        a("type", "string", { canonicalValues: ["work", "home", "other"], description: "A label indicating the address's function." }),
        a("primary", "boolean", { description: "Indicates the primary address." }),
      ],
      { ...contacts, description: "A physical mailing address for this User." },
    ),
    c(
      "groups",
      [
        // caseExact: the value is a Group's `id`, which is caseExact (RFC 7643 §3.1); see docs/decisions/0007.
        a("value", "string", { caseExact: true, mutability: "readOnly", description: "The identifier of the User's group." }),
        a("$ref", "reference", { ...reference(["User", "Group"]), mutability: "readOnly", description: "The URI of the Group." }),
        a("display", "string", { mutability: "readOnly", description: "A human-readable name of the group." }),
        a("type", "string", {
          mutability: "readOnly",
          canonicalValues: ["direct", "indirect"],
          description: "How the membership was derived.",
        }),
      ],
      { multiValued: true, mutability: "readOnly", description: "A list of groups to which the user belongs." },
    ),
    c("entitlements", mv("string", []), { multiValued: true, description: "A list of entitlements for the User." }),
    c("roles", mv("string", []), { multiValued: true, description: "A list of roles for the User." }),
    c("x509Certificates", mv("binary", []), { ...contacts, description: "A list of certificates issued to the User." }),
  ],
};

export const ENTERPRISE_USER_SCHEMA: SchemaDefinition = {
  id: SCIM_ENTERPRISE_USER_SCHEMA,
  name: "EnterpriseUser",
  description: "Enterprise User",
  attributes: [
    a("employeeNumber", "string", { description: "A string identifier, typically numeric or alphanumeric, assigned to a person." }),
    a("costCenter", "string", { description: "Identifies the name of a cost center." }),
    a("organization", "string", { description: "Identifies the name of an organization." }),
    a("division", "string", { description: "Identifies the name of a division." }),
    a("department", "string", { description: "Identifies the name of a department." }),
    c(
      "manager",
      [
        a("value", "string", { ...identifier, description: "The id of the SCIM resource representing the User's manager." }),
        a("$ref", "reference", { ...reference(["User"]), description: "The URI of the manager's resource." }),
        a("displayName", "string", { mutability: "readOnly", description: "The displayName of the User's manager." }),
      ],
      { description: "The User's manager." },
    ),
  ],
};

export const GROUP_SCHEMA: SchemaDefinition = {
  id: SCIM_GROUP_SCHEMA,
  name: "Group",
  description: "Group",
  attributes: [
    a("displayName", "string", { required: true, ...identifier, description: "A human-readable name for the Group." }),
    c(
      "members",
      [
        // caseExact: the value is a member's `id`, which is caseExact (RFC 7643 §3.1); see docs/decisions/0007.
        a("value", "string", { caseExact: true, mutability: "immutable", ...identifier, description: "Identifier of the member of this Group." }),
        a("$ref", "reference", {
          ...reference(["User", "Group"]),
          mutability: "immutable",
          description: "The URI of the member resource.",
        }),
        a("display", "string", { mutability: "readOnly", description: "A human-readable name of the member." }),
        a("type", "string", {
          mutability: "immutable",
          canonicalValues: ["User", "Group"],
          description: "The type of the member.",
        }),
      ],
      { multiValued: true, description: "A list of members of the Group." },
    ),
  ],
};

export const USER_RESOURCE_TYPE: ResourceTypeDefinition = {
  id: "User",
  name: "User",
  endpoint: "/Users",
  description: "User Account",
  schema: SCIM_USER_SCHEMA,
  schemaExtensions: [{ schema: SCIM_ENTERPRISE_USER_SCHEMA, required: false }],
};

export const GROUP_RESOURCE_TYPE: ResourceTypeDefinition = {
  id: "Group",
  name: "Group",
  endpoint: "/Groups",
  description: "Group",
  schema: SCIM_GROUP_SCHEMA,
  schemaExtensions: [],
};
