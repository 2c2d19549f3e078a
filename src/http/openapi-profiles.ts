import { MAX_IMPACT_EXAMPLES, MAX_ROLES_LISTED } from "../directory/profile-impact.js";
import { PROFILE_OPTIONS } from "../directory/profile-yaml.js";
import { TENANT, error, ok, ref } from "./openapi-parts.js";

/** The profile endpoints in the OpenAPI document (api-openapi.ts spreads these into `paths` and `components.schemas`). */

const YAML_TEXT = { type: "string", description: "The profile's YAML text (docs/profiles.md)." };

const ERRORS = {
  "401": error("unauthorized: no API key, or an unknown or revoked one."),
  "403": error("forbidden: the key belongs to another tenant."),
  "404": error("notFound: no such tenant (administrator keys)."),
};
const PROFILE_BODY = {
  required: true,
  content: {
    "application/json": { schema: ref("ProfileObject") },
    "application/yaml": { schema: YAML_TEXT },
    "text/yaml": { schema: YAML_TEXT },
  },
};
const REFUSED = {
  "400": error(
    "invalidProfile: error.problems lists every problem at once, in line order (line and column in the YAML sent; null for a JSON body), each with the option's path. invalidRequest: a JSON body that is not an object, or names an unknown top-level option.",
  ),
  "415": error("unsupportedMediaType: the body is neither application/json nor application/yaml (text/yaml)."),
};

export const PROFILE_PATHS = {
  "/tenants/{tenant}/profile": {
    parameters: [TENANT],
    get: {
      operationId: "getProfile",
      summary: "The tenant's profile as stored: its YAML text exactly with Accept: application/yaml (or text/yaml; empty when it has none), else JSON.",
      responses: {
        "200": {
          description: "The profile and its version (0: never set). profile is null when the tenant has none.",
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["version", "profile"],
                properties: { version: { type: "integer", minimum: 0 }, profile: { oneOf: [ref("ProfileObject"), { type: "null" }] } },
              },
            },
            "application/yaml": { schema: YAML_TEXT },
          },
        },
        ...ERRORS,
      },
    },
    put: {
      operationId: "putProfile",
      summary:
        "Replace the tenant's profile (YAML with Content-Type: application/yaml, else the equivalent JSON object, stored as YAML). Applies from the next request; records role.granted/role.revoked events and profile.updated in the audit log. Stored values the new rules refuse are kept: deactivating and deleting always work.",
      requestBody: PROFILE_BODY,
      responses: {
        "200": ok("Stored: the new version, and what the change did (judged in the same transaction).", {
          type: "object",
          required: ["version", "previousVersion", "impact"],
          properties: { version: { type: "integer" }, previousVersion: { type: "integer" }, impact: ref("ProfileImpact") },
        }),
        ...REFUSED,
        ...ERRORS,
      },
    },
  },
  "/tenants/{tenant}/profile/check": {
    parameters: [TENANT],
    post: {
      operationId: "checkProfile",
      summary: "Validate a profile as PUT would, and report its impact on the directory as it is, without saving anything (no version, event or audit entry).",
      requestBody: PROFILE_BODY,
      responses: {
        "200": ok("Valid: the impact, judged against the stored version.", {
          type: "object",
          required: ["valid", "version", "impact"],
          properties: { valid: { const: true }, version: { type: "integer" }, impact: ref("ProfileImpact") },
        }),
        ...REFUSED,
        ...ERRORS,
      },
    },
  },
} as const;

const impactUser = { type: "object", required: ["id", "userName", "active"], properties: { id: { type: "string" }, userName: { type: ["string", "null"] }, active: { type: "boolean" } } };
const examples = { type: "array", items: impactUser, maxItems: MAX_IMPACT_EXAMPLES };
const grantChange = {
  granted: { type: "integer" },
  revoked: { type: "integer" },
  grantedExamples: examples,
  revokedExamples: examples,
};

export const PROFILE_SCHEMAS = {
  ProfileObject: {
    type: "object",
    description: "A profile as JSON: the same options as its YAML (docs/profiles.md).",
    properties: Object.fromEntries(PROFILE_OPTIONS.map((option) => [option, {}])),
    additionalProperties: false,
  },
  /** One problem of a refused profile: the items of Error.problems (invalidProfile), from POST /tenants, PUT and check …/profile. */
  ProfileProblem: {
    type: "object",
    required: ["line", "column", "path", "message"],
    properties: {
      line: { type: ["integer", "null"], minimum: 1, description: "In the YAML text sent; null for a profile sent as a JSON object." },
      column: { type: ["integer", "null"], minimum: 1 },
      path: { type: ["string", "null"], description: "The option, e.g. attributes.user_type.allowedValues[1]; null for the text itself (YAML syntax)." },
      message: { type: "string" },
    },
  },
  ProfileImpact: {
    type: "object",
    required: ["users", "breakingRules", "roles", "otherRoleChanges", "admin"],
    properties: {
      users: { type: "integer", description: "Users of the tenant examined, managed and unmanaged." },
      breakingRules: {
        type: "object",
        description: "Managed users whose stored values the new profile refuses: the refusal an identity provider would get creating them as stored. They keep working.",
        required: ["count", "examples"],
        properties: {
          count: { type: "integer" },
          examples: {
            type: "array",
            maxItems: MAX_IMPACT_EXAMPLES,
            items: { allOf: [impactUser, { type: "object", required: ["rule"], properties: { rule: { type: "string" } } }] },
          },
        },
      },
      roles: {
        type: "array",
        maxItems: MAX_ROLES_LISTED,
        description: "Each role that changes, by name.",
        items: { type: "object", required: ["role", "granted", "revoked", "grantedExamples", "revokedExamples"], properties: { role: { type: "string" }, ...grantChange } },
      },
      otherRoleChanges: { type: "integer", description: `Grants and revocations of roles past the first ${MAX_ROLES_LISTED} listed.` },
      admin: { type: "object", required: ["granted", "revoked", "grantedExamples", "revokedExamples"], properties: grantChange },
    },
  },
} as const;
