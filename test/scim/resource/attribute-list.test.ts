import { describe, expect, it } from "vitest";
import { parseAttributeList } from "../../../src/scim/resource/attribute-list.js";
import { USER } from "./schemas.js";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

function names(text: string | undefined): string[] {
  const result = parseAttributeList(text, USER);
  if (!result.ok) throw new Error(result.issue.detail);
  return result.value.map(
    (path) => `${path.extension ? `${path.schema}:` : ""}${path.attribute.name}${path.subAttribute === undefined ? "" : `.${path.subAttribute.name}`}`,
  );
}

describe("parseAttributeList", () => {
  it.each([
    [undefined, []],
    ["", []],
    ["userName", ["userName"]],
    [" userName , NAME.givenname ,emails.value", ["userName", "name.givenName", "emails.value"]],
    ["userName,,", ["userName"]],
    [`${CORE}:userName`, ["userName"]],
    [`${ENT}:department,${ENT.toLowerCase()}:manager.value`, [`${ENT}:department`, `${ENT}:manager.value`]],
    ["meta.lastModified,id", ["meta.lastModified", "id"]],
    [ENT, [`${ENT}:employeeNumber`, `${ENT}:costCenter`, `${ENT}:organization`, `${ENT}:division`, `${ENT}:department`, `${ENT}:manager`]],
  ])("resolves %j canonically", (text, expected) => {
    expect(names(text)).toEqual(expected);
  });

  it("expands the core schema URN to every core and common attribute", () => {
    const all = names(CORE);
    expect(all.slice(0, 4)).toEqual(["id", "externalId", "meta", "userName"]);
    expect(all).toContain("x509Certificates");
  });

  it("marks extension paths as extensions and core paths as not", () => {
    const result = parseAttributeList(`userName,${ENT}:department`, USER);
    expect(result.ok && result.value.map((path) => [path.schema, path.extension])).toEqual([
      [CORE, false],
      [ENT, true],
    ]);
  });

  it.each([
    ["attributes", "nickname,foo", /^attributes: unknown attribute "foo"/],
    ["excludedAttributes", "name.foo", /^excludedAttributes: unknown sub-attribute "foo" of "name"/],
    ["attributes", "urn:example:params:scim:schemas:extension:acme:2.0:User:x", /^attributes: unknown schema "urn:example:params:scim:schemas:extension:acme:2.0:User"/],
    ["attributes", "emails[type eq \"work\"]", /^attributes: /],
    ["attributes", "department", /^attributes: unknown attribute "department".*urn:ietf:params:scim:schemas:extension:enterprise:2\.0:User:department/],
  ] as const)("returns invalidValue naming the %s parameter for %j", (parameter, text, detail) => {
    const result = parseAttributeList(text, USER, parameter);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issue.code).toBe("invalidValue");
      expect(result.issue.detail).toMatch(detail);
    }
  });
});
