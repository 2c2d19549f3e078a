import { describe, expect, it } from "vitest";
import { parseProfile } from "../../src/directory/profile-yaml.js";
import { EMPTY_PROFILE } from "../../src/directory/profiles.js";

function errorsOf(source: string): readonly string[] {
  const result = parseProfile(source, "fleetio.yaml");
  if (result.ok) throw new Error("expected the profile to be refused");
  return result.errors;
}

describe("parseProfile", () => {
  it("reads declared attributes in the core schema, the enterprise extension and a custom URN", () => {
    const result = parseProfile(
      [
        "attributes:",
        "  role:",
        "    type: string",
        "  user_type:",
        "    namespace: enterprise",
        "    type: string",
        "    allowedValues: [admin, regular]",
        "  auto_integrate_roles:",
        "    namespace: urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        "    type: string",
        "    commaSeparated: true",
        "    allowedValues: [client_admin, no_access]",
        "  vehicles_record_set:",
        "    namespace: enterprise",
        "    type: string",
        "    references: record_sets",
        "  badge:",
        "    namespace: urn:example:roster:1.0:User",
        "    type: integer",
        "    multiValued: true",
        "unmanagedUsers:",
        "  visible: true",
        "  userNameCollision: link",
      ].join("\n"),
      "p.yaml",
    );
    expect(result).toEqual({
      ok: true,
      value: {
        attributes: [
          { name: "role", namespace: { kind: "core" }, type: "string", multiValued: false, description: "", commaSeparated: false },
          {
            name: "user_type",
            namespace: { kind: "enterprise" },
            type: "string",
            multiValued: false,
            description: "",
            commaSeparated: false,
            allowedValues: ["admin", "regular"],
          },
          {
            name: "auto_integrate_roles",
            namespace: { kind: "enterprise" },
            type: "string",
            multiValued: false,
            description: "",
            commaSeparated: true,
            allowedValues: ["client_admin", "no_access"],
          },
          {
            name: "vehicles_record_set",
            namespace: { kind: "enterprise" },
            type: "string",
            multiValued: false,
            description: "",
            commaSeparated: false,
            references: "record_sets",
          },
          {
            name: "badge",
            namespace: { kind: "extension", urn: "urn:example:roster:1.0:User" },
            type: "integer",
            multiValued: true,
            description: "",
            commaSeparated: false,
          },
        ],
        roles: {},
        deprovisioning: "deactivate",
        sync: EMPTY_PROFILE.sync,
        identity: EMPTY_PROFILE.identity,
        unmanagedUsers: { visible: true, userNameCollision: "link" },
      },
    });
  });

  it("reads identity rules, lower-casing email domains", () => {
    const result = parseProfile(
      "attributes:\n  site:\n    type: string\nidentity:\n  userNameIsEmail: true\n  emailDomains: [Fleet.Example]\n  timezones: iana\n  defaults:\n    timezone: Etc/UTC\n    site: HQ\n",
      "p.yaml",
    );
    expect(result.ok && result.value.identity).toEqual({
      userNameIsEmail: true,
      emailDomains: ["fleet.example"],
      timezones: "iana",
      defaults: { timezone: "Etc/UTC", site: "HQ" },
    });
  });

  it("reads role rules", () => {
    const result = parseProfile(
      "attributes:\n  role_name:\n    type: string\n  user_type:\n    type: string\nroles:\n  fromAttribute: role_name\n  admin: { attribute: user_type, equals: admin }\n  fromGroups:\n    mappings: { Okta-Admins: Administrator }\n",
      "p.yaml",
    );
    expect(result.ok && result.value.roles).toEqual({
      fromAttribute: "role_name",
      admin: { attribute: "user_type", equals: "admin" },
      fromGroups: { matchDeclaredRoles: true, mappings: { "Okta-Admins": "Administrator" } },
    });
  });

  it("reads sync switches, keeping only the updates switched off", () => {
    const result = parseProfile("sync:\n  users: false\n  passwords: unsupported\n  updates:\n    displayName: false\n    title: true\n", "p.yaml");
    expect(result.ok && result.value.sync).toEqual({ users: false, passwords: "unsupported", ignoredUpdates: ["displayName"] });
  });

  it("reads an empty file as the plain-SCIM profile", () => {
    expect(parseProfile("# nothing yet\n", "p.yaml")).toEqual({ ok: true, value: EMPTY_PROFILE });
  });

  it.each([
    [
      "a misspelt type",
      "attributes:\n  user_type:\n    namespace: enterprise\n    type: strnig\n",
      'fleetio.yaml:4:11: attributes.user_type.type: expected one of string, boolean, integer, decimal, dateTime, got "strnig"',
    ],
    [
      "an unknown top-level option",
      "attributes: {}\nsyncc: {}\n",
      "fleetio.yaml:2:1: syncc: unknown option; expected one of attributes, roles, identity, sync, deprovisioning, unmanagedUsers",
    ],
    [
      "an unknown attribute option",
      "attributes:\n  role:\n    type: string\n    allowed: [a]\n",
      "fleetio.yaml:4:5: attributes.role.allowed: unknown option; expected one of namespace, type, multiValued, description, allowedValues, commaSeparated, references, maxLength",
    ],
    [
      "a maxLength that is not a whole number of characters",
      "attributes:\n  badge:\n    type: string\n    maxLength: ten\n",
      'fleetio.yaml:4:16: attributes.badge.maxLength: expected a whole number of characters from 1 to 65536, got "ten"',
    ],
    [
      "a maxLength above the ceiling",
      "attributes:\n  badge:\n    type: string\n    maxLength: 65537\n",
      "fleetio.yaml:4:16: attributes.badge.maxLength: expected a whole number of characters from 1 to 65536, got 65537",
    ],
    ["a maxLength of 0", "attributes:\n  badge:\n    type: string\n    maxLength: 0\n", "fleetio.yaml:4:16: attributes.badge.maxLength: expected a whole number of characters from 1 to 65536, got 0"],
    [
      "a default longer than its attribute allows",
      `identity:\n  defaults:\n    displayName: ${"d".repeat(513)}\n`,
      "fleetio.yaml:3:18: identity.defaults.displayName: expected at most 512 characters, got 513",
    ],
    [
      "a default longer than a declared attribute's maxLength",
      "attributes:\n  badge:\n    type: string\n    maxLength: 3\nidentity:\n  defaults:\n    badge: '1234'\n",
      "fleetio.yaml:7:12: identity.defaults.badge: expected at most 3 characters, got 4",
    ],
    [
      "a maxLength on a number",
      "attributes:\n  limit:\n    type: integer\n    maxLength: 10\n",
      "fleetio.yaml:4:5: attributes.limit.maxLength: applies only to type string, not integer",
    ],
    ["a missing type", "attributes:\n  role:\n    namespace: core\n", 'fleetio.yaml:3:5: attributes.role: missing "type"; expected one of string, boolean, integer, decimal, dateTime'],
    [
      "a namespace that is neither core, enterprise nor a URN",
      "attributes:\n  role:\n    type: string\n    namespace: role\n",
      'fleetio.yaml:4:16: attributes.role.namespace: expected core, enterprise or a custom schema URN (urn:example:roster:1.0:User), got "role"',
    ],
    [
      "allowed values on a number",
      "attributes:\n  limit:\n    type: decimal\n    allowedValues: [a]\n",
      "fleetio.yaml:4:5: attributes.limit.allowedValues: applies only to type string, not decimal",
    ],
    [
      "an empty list of allowed values",
      "attributes:\n  t:\n    type: string\n    allowedValues: []\n",
      "fleetio.yaml:4:20: attributes.t.allowedValues: expected a non-empty list of strings, e.g. [admin, regular], got a list",
    ],
    [
      "a list reference that is not a list name",
      "attributes:\n  r:\n    type: string\n    references: Record Sets\n",
      'fleetio.yaml:4:17: attributes.r.references: expected a list name (a-z, 0-9, _), e.g. roles or record_sets, got "Record Sets"',
    ],
    [
      "an attribute RFC 7643 already defines",
      "attributes:\n  department:\n    namespace: enterprise\n    type: string\n",
      'fleetio.yaml:2:3: attributes.department: "department" is already defined by RFC 7643 in that schema; choose another name',
    ],
    [
      "a boolean written as yes",
      "unmanagedUsers:\n  visible: yes\n",
      'fleetio.yaml:2:12: unmanagedUsers.visible: expected true or false, got "yes"',
    ],
    [
      "an unknown collision mode",
      "unmanagedUsers:\n  userNameCollision: merge\n",
      'fleetio.yaml:2:22: unmanagedUsers.userNameCollision: expected one of separate, conflict, link, got "merge"',
    ],
    [
      "an email domain that is not a domain",
      "identity:\n  emailDomains: [example.com, '@corp']\n",
      'fleetio.yaml:2:31: identity.emailDomains[1]: expected a domain name such as example.com, got "@corp"',
    ],
    [
      "a default for an attribute that cannot have one",
      "identity:\n  defaults:\n    emails: a@b.c\n",
      "fleetio.yaml:3:5: identity.defaults.emails: unknown option; expected one of timezone, locale, preferredLanguage, userType, title, nickName, displayName",
    ],
    [
      "a default time zone that is not an IANA name",
      "identity:\n  timezones: iana\n  defaults:\n    timezone: Mars/Olympus\n",
      'fleetio.yaml:4:5: identity.defaults.timezone: expected an IANA time zone such as Etc/UTC or Europe/Paris, got "Mars/Olympus"',
    ],
    [
      "a role attribute that is not declared",
      "attributes:\n  role_name:\n    type: string\nroles:\n  fromAttribute: role\n",
      'fleetio.yaml:5:18: roles.fromAttribute: expected the name of an attribute declared under attributes (role_name), got "role"',
    ],
    [
      "an admin value the attribute does not allow",
      "attributes:\n  user_type:\n    type: string\n    allowedValues: [admin, regular]\nroles:\n  admin: { attribute: user_type, equals: true }\n",
      "fleetio.yaml:6:42: roles.admin.equals: expected a string value of \"user_type\", got true",
    ],
    [
      "an update switch for an attribute that does not exist",
      "sync:\n  updates:\n    displayname: false\n",
      "fleetio.yaml:3:5: sync.updates.displayname: unknown option; expected one of displayName, nickName, title, userType, preferredLanguage, locale, timezone, profileUrl, active, emails, phoneNumbers, addresses, name, name.givenName, name.familyName, name.middleName, name.formatted, name.honorificPrefix, name.honorificSuffix, externalId",
    ],
    ["an unknown deprovisioning mode", "deprovisioning: delete\n", 'fleetio.yaml:1:17: deprovisioning: expected one of deactivate, removeFromOrganisation, got "delete"'],
    ["an unknown password mode", "sync:\n  passwords: store\n", 'fleetio.yaml:2:14: sync.passwords: expected one of ignored, unsupported, got "store"'],
    ["a profile that is not a mapping", "- a\n", "fleetio.yaml:1:1: expected a mapping (key: value), got a list"],
    ["a duplicate key", "attributes: {}\nattributes: {}\n", "fleetio.yaml:1:1: Map keys must be unique"],
  ])("refuses %s with file, line, column and what was expected", (_what, source, expected) => {
    expect(errorsOf(source)).toEqual([expected]);
  });

  it("reports every problem of a profile, not only the first", () => {
    expect(errorsOf("attributes:\n  a:\n    type: text\n  b:\n    type: string\n    multiValued: maybe\n")).toHaveLength(2);
  });

  it("reports its problems as data too, in line order whatever order the options are checked in", () => {
    const result = parseProfile("sync:\n  users: maybe\nattributes:\n  a:\n    type: text\n", "p.yaml");
    expect(result.ok ? [] : result.problems).toEqual([
      { line: 2, column: 10, path: "sync.users", message: 'expected true or false, got "maybe"' },
      { line: 5, column: 11, path: "attributes.a.type", message: 'expected one of string, boolean, integer, decimal, dateTime, got "text"' },
    ]);
    expect(result.ok ? [] : result.errors).toEqual([
      'p.yaml:2:10: sync.users: expected true or false, got "maybe"',
      'p.yaml:5:11: attributes.a.type: expected one of string, boolean, integer, decimal, dateTime, got "text"',
    ]);
  });

  it.each([
    ["a NUL character written raw", "identity:\n  defaults:\n    title: a\u0000b\n", "p.yaml:3:12: identity.defaults.title: the text holds a NUL character, which no profile value may contain"],
    ["a NUL character as a YAML escape", 'identity:\n  emailDomains: ["a\\0.example"]\n', "p.yaml:2:18: identity.emailDomains[0]: the text holds a NUL character, which no profile value may contain"],
    ["a lone surrogate as a YAML escape", 'roles:\n  fromGroups:\n    mappings:\n      "\\uD800": Driver\n', "p.yaml:4:7: roles.fromGroups.mappings: the text holds a lone UTF-16 surrogate, which no profile value may contain"],
  ])("refuses %s, naming where it is", (_what, source, expected) => {
    const result = parseProfile(source, "p.yaml");
    expect(result.ok ? [] : result.errors).toEqual([expected]);
  });
});
