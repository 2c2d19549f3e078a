import { describe, expect, it } from "vitest";
import type { AttributePath, ResolvedPath } from "../../src/scim/filter/ast.js";
import { parseAttributePath, parsePatchPath, resolveAttributePath } from "../../src/scim/path.js";
import {
  ENTERPRISE_USER_SCHEMA,
  GROUP_RESOURCE_TYPE,
  GROUP_SCHEMA,
  SCIM_ENTERPRISE_USER_SCHEMA as ENTERPRISE,
  SCIM_GROUP_SCHEMA,
  SCIM_USER_SCHEMA as CORE,
  USER_RESOURCE_TYPE,
  USER_SCHEMA,
} from "../../src/scim/schema/core-schemas.js";
import type { ResourceSchema } from "../../src/scim/schema/types.js";

const USER: ResourceSchema = { resourceType: USER_RESOURCE_TYPE, core: USER_SCHEMA, extensions: [ENTERPRISE_USER_SCHEMA] };
const GROUP: ResourceSchema = { resourceType: GROUP_RESOURCE_TYPE, core: GROUP_SCHEMA, extensions: [] };

describe("parseAttributePath", () => {
  it.each<[string, AttributePath]>([
    ["userName", { attribute: "userName" }],
    ["name.givenName", { attribute: "name", subAttribute: "givenName" }],
    ["groups.$ref", { attribute: "groups", subAttribute: "$ref" }],
    [`${CORE}:userName`, { schema: CORE, attribute: "userName" }],
    [`${ENTERPRISE}:manager.value`, { schema: ENTERPRISE, attribute: "manager", subAttribute: "value" }],
    [`${ENTERPRISE}:department`, { schema: ENTERPRISE, attribute: "department" }],
    ["urn:acme:scim:1.0:ext:User:cost-center_2", { schema: "urn:acme:scim:1.0:ext:User", attribute: "cost-center_2" }],
  ])("parses %s", (text, path) => {
    expect(parseAttributePath(text)).toEqual({ ok: true, value: path });
  });

  it.each([
    ["", "path: empty attribute path"],
    ["2fa", 'path: invalid attribute name "2fa" at column 1'],
    ["name.", "path: empty attribute name at column 6"],
    ["name.givenName.first", '"name.givenName.first" has more than one sub-attribute level at column 16'],
    [`${CORE}:`, `no attribute name after the schema URI "${CORE}"`],
    ["urn::userName", 'malformed schema URI "urn:"'],
    ["user name", 'invalid attribute name "user name" at column 1'],
    ["emails[type eq \"work\"]", "invalid attribute name"],
  ])("rejects %j with invalidPath: %s", (text, fragment) => {
    const result = parseAttributePath(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issue.code).toBe("invalidPath");
    expect(result.issue.detail).toContain(fragment);
  });
});

function resolve(text: string, schema = USER, within?: ResolvedPath) {
  const parsed = parseAttributePath(text);
  if (!parsed.ok) throw new Error(parsed.issue.detail);
  return resolveAttributePath(parsed.value, schema, { within });
}

function names(path: ResolvedPath): [string, boolean, string, string | undefined] {
  return [path.schema, path.extension, path.attribute.name, path.subAttribute?.name];
}

describe("resolveAttributePath", () => {
  it.each<[string, ResourceSchema, [string, boolean, string, string | undefined]]>([
    ["userName", USER, [CORE, false, "userName", undefined]],
    ["USERNAME", USER, [CORE, false, "userName", undefined]],
    ["name.GIVENNAME", USER, [CORE, false, "name", "givenName"]],
    ["emails", USER, [CORE, false, "emails", undefined]],
    ["emails.value", USER, [CORE, false, "emails", "value"]],
    ["id", USER, [CORE, false, "id", undefined]],
    ["externalId", USER, [CORE, false, "externalId", undefined]],
    ["meta.lastModified", USER, [CORE, false, "meta", "lastModified"]],
    [`${CORE}:userName`, USER, [CORE, false, "userName", undefined]],
    [`${CORE.toLowerCase()}:meta.created`, USER, [CORE, false, "meta", "created"]],
    [`${ENTERPRISE}:manager.value`, USER, [ENTERPRISE, true, "manager", "value"]],
    [`${ENTERPRISE.toUpperCase()}:Department`, USER, [ENTERPRISE, true, "department", undefined]],
    ["members.value", GROUP, [SCIM_GROUP_SCHEMA, false, "members", "value"]],
    ["id", GROUP, [SCIM_GROUP_SCHEMA, false, "id", undefined]],
  ])("resolves %s to its canonical attribute", (text, schema, expected) => {
    const result = resolve(text, schema);
    expect(result.ok && names(result.value)).toEqual(expected);
  });

  it.each([
    ["foo", USER, `path: unknown attribute "foo" in ${CORE}`],
    ["department", USER, `extension attributes need their schema URN, as in "${ENTERPRISE}:department"`],
    ["name.nickname", USER, 'path: unknown sub-attribute "nickname" of "name"; known: formatted, familyName'],
    ["userName.first", USER, 'path: "userName" is not complex, so it has no sub-attribute "first"'],
    [`${ENTERPRISE}:userName`, USER, `path: unknown attribute "userName" in ${ENTERPRISE}`],
    ["urn:acme:ext:User:x", USER, 'path: unknown schema "urn:acme:ext:User" for resource type User'],
    [`${ENTERPRISE}:department`, GROUP, `path: unknown schema "${ENTERPRISE}" for resource type Group`],
    ["userName", GROUP, `path: unknown attribute "userName" in ${SCIM_GROUP_SCHEMA}`],
  ])("rejects %s with invalidPath", (text, schema, detail) => {
    const result = resolve(text, schema);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issue.code).toBe("invalidPath");
    expect(result.issue.detail).toContain(detail);
  });

  it("uses the caller's error code for an unknown attribute", () => {
    const result = resolveAttributePath({ attribute: "foo" }, USER, { errorCode: "invalidFilter" });
    expect(result).toEqual({ ok: false, issue: { code: "invalidFilter", detail: `filter: unknown attribute "foo" in ${CORE}` } });
  });

  it("resolves a name within a value path as a sub-attribute of the outer attribute", () => {
    const emails = resolve("emails");
    if (!emails.ok) throw new Error(emails.issue.detail);
    const inner = resolve("TYPE", USER, emails.value);
    expect(inner.ok && names(inner.value)).toEqual([CORE, false, "emails", "type"]);
  });

  it("resolves within an extension's complex attribute keeping the extension", () => {
    const manager = resolve(`${ENTERPRISE}:manager`);
    if (!manager.ok) throw new Error(manager.issue.detail);
    const inner = resolve("displayName", USER, manager.value);
    expect(inner.ok && names(inner.value)).toEqual([ENTERPRISE, true, "manager", "displayName"]);
  });

  it.each([
    ["primry", 'unknown sub-attribute "primry" of "emails"'],
    ["value.x", 'must be a plain sub-attribute name of "emails"'],
    [`${CORE}:type`, 'must be a plain sub-attribute name of "emails"'],
  ])("rejects %s within emails[…]", (text, fragment) => {
    const emails = resolve("emails");
    if (!emails.ok) throw new Error(emails.issue.detail);
    const inner = resolve(text, USER, emails.value);
    expect(!inner.ok && inner.issue.detail).toContain(fragment);
  });

  it("rejects resolving within a non-complex attribute", () => {
    const userName = resolve("userName");
    if (!userName.ok) throw new Error(userName.issue.detail);
    const inner = resolve("value", USER, userName.value);
    expect(!inner.ok && inner.issue.detail).toBe('path: "userName" is not complex, so it has no sub-attribute "value"');
  });
});

describe("parsePatchPath", () => {
  it.each([
    ["members", { attribute: { attribute: "members" } }],
    ["name.familyName", { attribute: { attribute: "name", subAttribute: "familyName" } }],
    [
      'emails[type eq "work"].value',
      {
        attribute: { attribute: "emails" },
        filter: { kind: "compare", path: { attribute: "type" }, op: "eq", value: "work" },
        subAttribute: "value",
      },
    ],
    [
      'members[value eq "2819c223"]',
      { attribute: { attribute: "members" }, filter: { kind: "compare", path: { attribute: "value" }, op: "eq", value: "2819c223" } },
    ],
    [
      'addresses[type eq "work" and primary eq true].streetAddress',
      {
        attribute: { attribute: "addresses" },
        filter: {
          kind: "and",
          left: { kind: "compare", path: { attribute: "type" }, op: "eq", value: "work" },
          right: { kind: "compare", path: { attribute: "primary" }, op: "eq", value: true },
        },
        subAttribute: "streetAddress",
      },
    ],
    [`${ENTERPRISE}:manager.value`, { attribute: { schema: ENTERPRISE, attribute: "manager", subAttribute: "value" } }],
    [`${ENTERPRISE}:department`, { attribute: { schema: ENTERPRISE, attribute: "department" } }],
    [
      `${CORE}:emails[type eq "work"]`,
      { attribute: { schema: CORE, attribute: "emails" }, filter: { kind: "compare", path: { attribute: "type" }, op: "eq", value: "work" } },
    ],
  ])("parses %s", (text, expected) => {
    expect(parsePatchPath(text)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["", "path: empty path"],
    ["emails[", 'path: unexpected end of input at column 8; expected an attribute path'],
    ['emails[type eq "work"', 'missing "]" for the "[" at column 7'],
    ['emails[type eqq "work"]', 'path: unexpected "eqq" at column 13; expected one of eq ne co sw ew gt ge lt le pr'],
    ['emails[type eq "work"]value', 'unexpected "value" at column 23; expected "." and a sub-attribute name'],
    ['emails[type eq "work"].value.x', 'invalid sub-attribute ".value.x" after "]" at column 23'],
    ['emails[type eq "work"][primary eq true]', 'unexpected "[" at column 23'],
    ['emails.value[type eq "work"]', 'not to the sub-attribute "emails.value"'],
    ['emails[type[value eq "x"]]', 'nested "[" at column 12'],
    ["name.givenName extra", 'unexpected "extra" at column 16; expected "[" or end of path'],
    ['"emails"', 'unexpected "emails" at column 1; expected an attribute path'],
    ["2fa", 'invalid attribute name "2fa" at column 1'],
  ])("rejects %j with invalidPath: %s", (text, fragment) => {
    const result = parsePatchPath(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issue.code).toBe("invalidPath");
    expect(result.issue.detail).toContain(fragment);
  });
});
