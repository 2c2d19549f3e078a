import { APP_ERROR_CODES } from "../directory/app-errors.js";
import { MAX_PROFILE_PROBLEMS } from "../directory/profile-problems.js";
import { MAX_ENTRY_LENGTH, MAX_LIST_ENTRIES } from "../directory/lists.js";
import { EVENT_TYPES } from "../events/event-types.js";
import { TOKEN_PATHS, TOKEN_SCHEMAS } from "./openapi-tokens.js";
import { PROFILE_PATHS, PROFILE_SCHEMAS } from "./openapi-profiles.js";
import { TENANT_PATHS, TENANT_SCHEMAS } from "./openapi-tenants.js";
import { CONTACT_MAX_VALUES, IDENTIFIER_MAX_LENGTH, TEXT_MAX_LENGTH } from "../scim/schema/limits.js";
import { REQUEST_LOG_PATHS, REQUEST_LOG_SCHEMAS } from "./openapi-requests.js";
import { NO_CONTENT, PAGING, TENANT, body, error, idParam, ok, page, queryParam, ref } from "./openapi-parts.js";

/**
 * The OpenAPI 3.1 description of the management API, served at /api/v1/openapi.json.
 * Written by hand (it is documentation); test/api/openapi.test.ts keeps its paths and
 * methods equal to API_ROUTES.
 */

const COMMON_ERRORS = {
  "400": error(
    "invalidRequest or invalidCursor: the message says what was wrong and where. A query parameter or body field the operation does not declare here is invalidRequest, naming it.",
  ),
  "401": error("unauthorized: no API key, or an unknown or revoked one."),
  "403": error("forbidden: the key belongs to another tenant."),
  "404": error("notFound: no such tenant (administrator keys), user, group, member, list or webhook."),
};
const MANAGED_ERROR = { "409": error("managedByIdentityProvider: the entity was created over SCIM; change it in the identity provider.") };

const names = { type: "array", items: { type: "string", minLength: 1, maxLength: MAX_ENTRY_LENGTH }, uniqueItems: true, maxItems: MAX_LIST_ENTRIES };
// JSON Schema's maxLength counts characters (code points), as Roster does: docs/attribute-limits.md.
const identifier = (type: string | readonly string[]) => ({ type, maxLength: IDENTIFIER_MAX_LENGTH });
const text = { type: ["string", "null"], maxLength: TEXT_MAX_LENGTH };

const USER_INPUT_PROPERTIES = {
  userName: identifier("string"),
  displayName: identifier(["string", "null"]),
  givenName: text,
  familyName: text,
  emails: { type: ["array", "null"], items: ref("Email"), maxItems: CONTACT_MAX_VALUES },
  active: { type: "boolean" },
  timezone: text,
  externalId: identifier(["string", "null"]),
};

export const OPENAPI_DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "Roster management API",
    version: "1",
    description:
      "Plain JSON for the application: read what the identity provider provisioned, manage the application's own (unmanaged) users and groups, and declare roles and named lists. Authenticate with `Authorization: Bearer <API key>` (roster api-keys create).",
  },
  servers: [{ url: "/api/v1" }],
  security: [{ apiKey: [] }],
  paths: {
    ...TENANT_PATHS,
    "/tenants/{tenant}/users": {
      parameters: [TENANT],
      get: {
        operationId: "listUsers",
        summary: "List users, managed and unmanaged.",
        parameters: [
          queryParam("email", { type: "string" }, "Any of the user's emails, ignoring case."),
          queryParam("userName", { type: "string" }, "Ignoring case."),
          queryParam("externalId", { type: "string" }, "Exact."),
          queryParam("active", { type: "boolean" }, "true or false."),
          queryParam("managed", { type: "boolean" }, "true: created over SCIM; false: the application's own."),
          ...PAGING,
        ],
        responses: { "200": ok("A page of users.", page("User")), ...COMMON_ERRORS },
      },
      post: {
        operationId: "createUser",
        summary: "Create an unmanaged user (active unless told otherwise).",
        requestBody: body({ type: "object", required: ["userName"], properties: USER_INPUT_PROPERTIES, additionalProperties: false }),
        responses: {
          "201": ok("Created; Location names it.", ref("User")),
          ...COMMON_ERRORS,
          "409": error("userNameTaken: another unmanaged user has this userName, ignoring case."),
        },
      },
    },
    "/tenants/{tenant}/users/{id}": {
      parameters: [TENANT, idParam("id", "The user's id.")],
      get: { operationId: "getUser", summary: "Read one user.", responses: { "200": ok("The user.", ref("User")), ...COMMON_ERRORS } },
      patch: {
        operationId: "updateUser",
        summary: "Change fields of an unmanaged user (null removes one). {\"active\": false} stops the user's SCIM tokens at once.",
        requestBody: body({ type: "object", properties: USER_INPUT_PROPERTIES, additionalProperties: false }),
        responses: { "200": ok("The user as changed.", ref("User")), ...COMMON_ERRORS, ...MANAGED_ERROR },
      },
      delete: {
        operationId: "deleteUser",
        summary: "Delete an unmanaged user. 204, or 200 when the user owned SCIM tokens: they no longer work, and the answer lists them.",
        responses: {
          "200": ok("The user owned SCIM tokens (as principal); deleting it stopped them.", {
            type: "object",
            required: ["id", "deleted", "tokensStopped", "message"],
            additionalProperties: false,
            properties: {
              id: { type: "string" },
              deleted: { const: true },
              tokensStopped: {
                type: "array",
                items: { type: "object", required: ["id", "name"], additionalProperties: false, properties: { id: { type: "string" }, name: { type: "string" } } },
              },
              message: { type: "string" },
            },
          }),
          ...NO_CONTENT,
          ...COMMON_ERRORS,
          ...MANAGED_ERROR,
        },
      },
    },
    "/tenants/{tenant}/groups": {
      parameters: [TENANT],
      get: {
        operationId: "listGroups",
        summary: "List groups, managed and unmanaged.",
        parameters: [
          queryParam("displayName", { type: "string" }, "Ignoring case."),
          queryParam("externalId", { type: "string" }, "Exact."),
          queryParam("managed", { type: "boolean" }, "true: pushed over SCIM; false: the application's own."),
          ...PAGING,
        ],
        responses: { "200": ok("A page of groups.", page("Group")), ...COMMON_ERRORS },
      },
      post: {
        operationId: "createGroup",
        summary: "Create an unmanaged group.",
        requestBody: body(ref("GroupInput")),
        responses: { "201": ok("Created; Location names it.", ref("Group")), ...COMMON_ERRORS },
      },
    },
    "/tenants/{tenant}/groups/{id}": {
      parameters: [TENANT, idParam("id", "The group's id.")],
      get: { operationId: "getGroup", summary: "Read one group.", responses: { "200": ok("The group.", ref("Group")), ...COMMON_ERRORS } },
      patch: {
        operationId: "updateGroup",
        summary: "Rename an unmanaged group or change its externalId.",
        requestBody: body(ref("GroupInput")),
        responses: { "200": ok("The group as changed.", ref("Group")), ...COMMON_ERRORS, ...MANAGED_ERROR },
      },
      delete: { operationId: "deleteGroup", summary: "Delete an unmanaged group.", responses: { ...NO_CONTENT, ...COMMON_ERRORS, ...MANAGED_ERROR } },
    },
    "/tenants/{tenant}/groups/{id}/members": {
      parameters: [TENANT, idParam("id", "The group's id.")],
      get: {
        operationId: "listGroupMembers",
        summary: "A page of the group's direct members, ordered by id.",
        parameters: PAGING,
        responses: { "200": ok("A page of members.", page("Member")), ...COMMON_ERRORS },
      },
      post: {
        operationId: "addGroupMember",
        summary: "Add a user to an unmanaged group (no change when already a member).",
        requestBody: body({ type: "object", required: ["userId"], properties: { userId: identifier("string") }, additionalProperties: false }),
        responses: { ...NO_CONTENT, ...COMMON_ERRORS, ...MANAGED_ERROR },
      },
    },
    "/tenants/{tenant}/groups/{id}/members/{userId}": {
      parameters: [TENANT, idParam("id", "The group's id."), idParam("userId", "The member's id.")],
      delete: {
        operationId: "removeGroupMember",
        summary: "Remove a user from an unmanaged group.",
        responses: { ...NO_CONTENT, ...COMMON_ERRORS, ...MANAGED_ERROR },
      },
    },
    "/tenants/{tenant}/roles": {
      parameters: [TENANT],
      get: { operationId: "getRoles", summary: "The application's roles ([] until declared).", responses: { "200": ok("Role names.", names), ...COMMON_ERRORS } },
      put: {
        operationId: "putRoles",
        summary: "Declare the application's roles (replaces them). The same list as lists/roles.",
        requestBody: body(names),
        responses: { "200": ok("Role names as stored.", names), ...COMMON_ERRORS },
      },
    },
    "/tenants/{tenant}/lists/{name}": {
      parameters: [TENANT, idParam("name", "a-z 0-9 _, starting with a letter, e.g. record_sets.")],
      get: { operationId: "getList", summary: "A named list of the application.", responses: { "200": ok("Names.", names), ...COMMON_ERRORS } },
      put: {
        operationId: "putList",
        summary: "Declare a named list (replaces it), for profile attributes to reference.",
        requestBody: body(names),
        responses: { "200": ok("Names as stored.", names), ...COMMON_ERRORS },
      },
    },
    "/tenants/{tenant}/events": {
      parameters: [TENANT],
      get: {
        operationId: "listEvents",
        summary: "The tenant's change events in commit order (docs/events.md); poll with nextCursor to follow them.",
        parameters: [
          queryParam("after", { type: "string", pattern: "^[0-9]{1,15}$" }, "nextCursor of the previous page (or an event's sequence), unchanged; absent: from the oldest event retention kept."),
          queryParam("limit", { type: "integer", minimum: 1, maximum: 1000, default: 100 }, "Page size."),
        ],
        responses: {
          "200": ok("A page of events; nextCursor is always present, also when data is empty.", {
            type: "object",
            required: ["data", "nextCursor"],
            properties: { data: { type: "array", items: ref("Event") }, nextCursor: { type: "string", description: "Pass it as after to continue." } },
          }),
          ...COMMON_ERRORS,
          "410": error("cursorExpired: retention removed events after this cursor; rebuild from the users and groups endpoints."),
        },
      },
    },
    ...REQUEST_LOG_PATHS,
    "/tenants/{tenant}/webhooks": {
      parameters: [TENANT],
      get: {
        operationId: "listWebhooks",
        summary: "The tenant's webhooks, oldest first (never their secrets).",
        responses: { "200": ok("Webhooks.", { type: "object", required: ["data"], properties: { data: { type: "array", items: ref("Webhook") } } }), ...COMMON_ERRORS },
      },
      post: {
        operationId: "createWebhook",
        summary: "Create a webhook; it receives the events committed from now on. The answer holds its signing secret, shown this once.",
        requestBody: body(ref("WebhookInput")),
        responses: {
          "201": ok("Created; Location names it.", ref("CreatedWebhook")),
          ...COMMON_ERRORS,
          "501": error("notConfigured: the server has no ROSTER_SECRET_KEY to encrypt the signing secret with."),
        },
      },
    },
    "/tenants/{tenant}/webhooks/{id}": {
      parameters: [TENANT, idParam("id", "The webhook's id.")],
      get: { operationId: "getWebhook", summary: "Read one webhook.", responses: { "200": ok("The webhook.", ref("Webhook")), ...COMMON_ERRORS } },
      patch: {
        operationId: "updateWebhook",
        summary: "Enable or disable a webhook. A disabled webhook receives nothing; enabled again, it receives the events from then on.",
        requestBody: body({ type: "object", required: ["enabled"], properties: { enabled: { type: "boolean" } }, additionalProperties: false }),
        responses: { "200": ok("The webhook as changed.", ref("Webhook")), ...COMMON_ERRORS },
      },
      delete: { operationId: "deleteWebhook", summary: "Delete a webhook and its deliveries.", responses: { ...NO_CONTENT, ...COMMON_ERRORS } },
    },
    "/tenants/{tenant}/webhooks/{id}/deliveries": {
      parameters: [TENANT, idParam("id", "The webhook's id.")],
      get: {
        operationId: "listWebhookDeliveries",
        summary: "The webhook's deliveries, newest first, with attempts, last result and next attempt.",
        parameters: [queryParam("status", { type: "string", enum: ["pending", "succeeded", "failed"] }, "Only deliveries with this status."), ...PAGING],
        responses: { "200": ok("A page of deliveries.", page("Delivery")), ...COMMON_ERRORS },
      },
    },
    "/tenants/{tenant}/webhooks/{id}/replay": {
      parameters: [TENANT, idParam("id", "The webhook's id.")],
      post: {
        operationId: "replayWebhook",
        summary: "Send again the events after a feed cursor, or since a time, that the webhook subscribes to (new deliveries, same webhook-id).",
        requestBody: body({
          type: "object",
          required: ["since"],
          properties: { since: { type: "string", description: "A feed cursor (decimal: events after it) or an ISO 8601 time (events at or after it)." } },
          additionalProperties: false,
        }),
        responses: {
          "200": ok("How many deliveries were made, for the events after `after` up to `through`; `complete` is false when the cap of 10,000 deliveries stopped the replay (replay again from `through` once these are sent).", {
            type: "object",
            required: ["deliveries", "after", "through", "complete"],
            properties: { deliveries: { type: "integer", maximum: 10000 }, after: { type: "string" }, through: { type: "string" }, complete: { type: "boolean" } },
          }),
          ...COMMON_ERRORS,
          "409": error("replayInProgress: deliveries of an earlier replay of this webhook are still pending; one replay at a time."),
        },
      },
    },
    ...TOKEN_PATHS,
    ...PROFILE_PATHS,
  },
  components: {
    securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "An API key from `roster api-keys create`." } },
    schemas: {
      ...TOKEN_SCHEMAS,
      ...PROFILE_SCHEMAS,
      ...TENANT_SCHEMAS,
      ...REQUEST_LOG_SCHEMAS,
      Error: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message"],
            properties: {
              code: {
                type: "string",
                enum: [...APP_ERROR_CODES],
              },
              message: { type: "string" },
              problems: {
                type: "array",
                items: ref("ProfileProblem"),
                maxItems: MAX_PROFILE_PROBLEMS,
                description: `invalidProfile: every problem of the profile, in line order (the first ${MAX_PROFILE_PROBLEMS}; the message gives the total).`,
              },
            },
          },
        },
      },
      Email: {
        type: "object",
        required: ["value"],
        properties: { value: identifier("string"), type: text, primary: { type: "boolean" } },
      },
      PhoneNumber: {
        type: "object",
        required: ["value"],
        properties: { value: { type: "string" }, type: { type: ["string", "null"], description: "work, home, mobile, fax, pager, other" }, primary: { type: "boolean" } },
      },
      Address: {
        type: "object",
        properties: {
          formatted: { type: ["string", "null"] },
          streetAddress: { type: ["string", "null"] },
          locality: { type: ["string", "null"] },
          region: { type: ["string", "null"] },
          postalCode: { type: ["string", "null"] },
          country: { type: ["string", "null"] },
          type: { type: ["string", "null"], description: "work, home, other" },
          primary: { type: "boolean" },
        },
      },
      Manager: {
        type: "object",
        description: "The enterprise extension's manager, as the identity provider sent it.",
        properties: {
          value: { type: ["string", "null"], description: "The manager's identifier (RFC 7643: the manager's id)." },
          displayName: { type: ["string", "null"] },
        },
      },
      User: {
        type: "object",
        properties: {
          id: { type: "string" },
          userName: { type: "string" },
          displayName: { type: ["string", "null"] },
          givenName: { type: ["string", "null"] },
          familyName: { type: ["string", "null"] },
          emails: { type: "array", items: ref("Email") },
          active: { type: "boolean" },
          managed: { type: "boolean", description: "true when created over SCIM by the identity provider" },
          roles: { type: "array", items: { type: "string" }, description: "From the tenant profile; [] without one" },
          admin: { type: "boolean", description: "From the tenant profile; false without one" },
          groups: {
            type: "array",
            items: { type: "object", properties: { id: { type: "string" }, displayName: { type: ["string", "null"] } } },
          },
          attributes: {
            type: "object",
            description: "Profile-declared custom attributes by name; {} without a profile. A commaSeparated attribute is the list of its items (blank: []).",
          },
          timezone: { type: ["string", "null"] },
          title: { type: ["string", "null"] },
          locale: { type: ["string", "null"], description: "e.g. en-US" },
          preferredLanguage: { type: ["string", "null"], description: "e.g. en" },
          phoneNumbers: { type: "array", items: ref("PhoneNumber") },
          addresses: { type: "array", items: ref("Address") },
          employeeNumber: { type: ["string", "null"], description: "From the SCIM enterprise extension, as are the next five." },
          costCenter: { type: ["string", "null"] },
          organization: { type: ["string", "null"] },
          division: { type: ["string", "null"] },
          department: { type: ["string", "null"] },
          manager: { oneOf: [ref("Manager"), { type: "null" }] },
          externalId: { type: ["string", "null"] },
          createdAt: { type: "string", format: "date-time" },
          updatedAt: { type: "string", format: "date-time" },
        },
      },
      Group: {
        type: "object",
        properties: {
          id: { type: "string" },
          displayName: { type: "string" },
          externalId: { type: ["string", "null"] },
          managed: { type: "boolean" },
          createdAt: { type: "string", format: "date-time" },
          updatedAt: { type: "string", format: "date-time" },
        },
      },
      GroupInput: {
        type: "object",
        properties: { displayName: identifier("string"), externalId: identifier(["string", "null"]) },
        additionalProperties: false,
      },
      Webhook: {
        type: "object",
        properties: {
          id: { type: "string" },
          url: { type: "string", format: "uri" },
          events: { type: "array", items: { type: "string" }, description: "Event type patterns: *, user.*, group.*, role.* or event types" },
          enabled: { type: "boolean" },
          createdAt: { type: "string", format: "date-time" },
          updatedAt: { type: "string", format: "date-time" },
        },
      },
      CreatedWebhook: {
        allOf: [
          ref("Webhook"),
          { type: "object", required: ["secret"], properties: { secret: { type: "string", description: "whsec_…: verifies the signatures; shown only in this answer" } } },
        ],
      },
      WebhookInput: {
        type: "object",
        required: ["url"],
        properties: {
          url: { type: "string", format: "uri", description: "https, or http to localhost, 127.0.0.0/8 or ::1" },
          events: { type: "array", items: { type: "string" }, description: "Event type patterns; default [\"*\"]" },
        },
        additionalProperties: false,
      },
      Delivery: {
        type: "object",
        properties: {
          id: { type: "string" },
          eventId: { type: "string", description: "Also the webhook-id header" },
          eventType: { type: "string" },
          eventSequence: { type: "integer", description: "The event's position in the tenant's feed" },
          resource: { type: "object", properties: { type: { type: "string", enum: ["User", "Group"] }, id: { type: "string" } } },
          status: { type: "string", enum: ["pending", "succeeded", "failed"] },
          attempts: { type: "integer" },
          lastAttemptAt: { type: ["string", "null"], format: "date-time" },
          lastStatus: { type: ["integer", "null"], description: "The receiver's HTTP status at the last attempt; null when it did not answer" },
          lastError: { type: ["string", "null"] },
          nextAttemptAt: { type: ["string", "null"], format: "date-time", description: "null unless pending" },
          createdAt: { type: "string", format: "date-time" },
          completedAt: { type: ["string", "null"], format: "date-time" },
        },
      },
      Member: {
        type: "object",
        properties: { id: { type: "string" }, type: { type: "string", enum: ["User", "Group"] }, display: { type: ["string", "null"] } },
      },
      Event: {
        type: "object",
        required: ["id", "type", "tenant", "occurredAt", "resource", "data", "sequence"],
        properties: {
          id: { type: "string", format: "uuid", description: "Also the webhook-id of its deliveries." },
          type: { type: "string", enum: [...EVENT_TYPES] },
          tenant: { type: "string", description: "The tenant's slug." },
          occurredAt: { type: "string", format: "date-time" },
          resource: {
            type: "object",
            description: "What the event is about (membership events: the group; role events: the user).",
            properties: { type: { type: "string", enum: ["User", "Group"] }, id: { type: "string" } },
          },
          data: {
            type: "object",
            description:
              "user.*: {user, previous?}; group.created/updated/deleted: {group, previous?}; group.member_added/removed: {group, members (at most 1,000)}; role.granted/revoked: {user, role}. previous: the changed fields with their former values.",
            properties: {
              user: ref("User"),
              group: ref("Group"),
              members: { type: "array", items: ref("Member"), maxItems: 1000 },
              role: { type: "string" },
              previous: { type: "object" },
            },
          },
          sequence: { type: "integer", description: "The event's position in the tenant's feed; a valid after." },
        },
      },
    },
  },
} as const;
