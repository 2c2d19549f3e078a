import { describe, expect, it } from "vitest";
import type { ResolvedFilter, ResolvedPath } from "../../../src/scim/filter/ast.js";
import { parseScimFilter } from "../../../src/scim/filter/parse.js";
import { resolveFilter } from "../../../src/scim/filter/resolve.js";
import { SCIM_ENTERPRISE_USER_SCHEMA as ENTERPRISE, SCIM_USER_SCHEMA as CORE } from "../../../src/scim/schema/core-schemas.js";
import { ACME_EXTENSION, GROUP, USER, USER_WITH_ACME } from "./schemas.js";

function resolveText(text: string, schema = USER_WITH_ACME) {
  const parsed = parseScimFilter(text);
  if (!parsed.ok) throw new Error(parsed.issue.detail);
  return resolveFilter(parsed.value, schema);
}

function pathName(path: ResolvedPath): string {
  const name = path.subAttribute === undefined ? path.attribute.name : `${path.attribute.name}.${path.subAttribute.name}`;
  return path.extension ? `${path.schema}:${name}` : name;
}

/** A compact rendering of a resolved filter: canonical names, extension URNs spelled out. */
function render(filter: ResolvedFilter): string {
  switch (filter.kind) {
    case "compare":
      return `${pathName(filter.path)} ${filter.op} ${JSON.stringify(filter.value)}`;
    case "present":
      return `${pathName(filter.path)} pr`;
    case "and":
    case "or":
      return `(${render(filter.left)} ${filter.kind} ${render(filter.right)})`;
    case "not":
      return `not (${render(filter.filter)})`;
    case "valuePath":
      return `${pathName(filter.path)}[${render(filter.filter)}]`;
  }
}

describe("resolveFilter", () => {
  it.each([
    ['USERNAME eq "bjensen"', 'userName eq "bjensen"'],
    [`${CORE}:userName sw "J"`, 'userName sw "J"'],
    ['name.FamilyName co "O"', 'name.familyName co "O"'],
    ['emails eq "a@example.com"', 'emails.value eq "a@example.com"'],
    ['emails co "example.com"', 'emails.value co "example.com"'],
    ["emails pr", "emails pr"],
    ["name pr", "name pr"],
    ['emails[TYPE eq "work" and value ew "@example.com"]', 'emails[(emails.type eq "work" and emails.value ew "@example.com")]'],
    ['emails[not (primary eq true)]', "emails[not (emails.primary eq true)]"],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', 'meta.lastModified gt "2011-05-13T04:42:34Z"'],
    ['meta.created le "2011-05-13T04:42:34.5+02:00"', 'meta.created le "2011-05-13T04:42:34.5+02:00"'],
    ['id eq "2819c223"', 'id eq "2819c223"'],
    ["active eq false", "active eq false"],
    ["active ne true", "active ne true"],
    ["title eq null", "title eq null"],
    ["active eq null", "active eq null"],
    ['title gt "M"', 'title gt "M"'],
    [`${ENTERPRISE}:manager.value eq "26118915"`, `${ENTERPRISE}:manager.value eq "26118915"`],
    [`${ENTERPRISE}:manager eq "26118915"`, `${ENTERPRISE}:manager.value eq "26118915"`],
    [`${ENTERPRISE}:manager[displayName sw "J"]`, `${ENTERPRISE}:manager[${ENTERPRISE}:manager.displayName sw "J"]`],
    [`${ACME_EXTENSION}:level ge 3`, `${ACME_EXTENSION}:level ge 3`],
    [`${ACME_EXTENSION}:score lt -0.5`, `${ACME_EXTENSION}:score lt -0.5`],
    [`${ACME_EXTENSION}:score eq 2`, `${ACME_EXTENSION}:score eq 2`],
    [`${ACME_EXTENSION}:badge eq "AQID"`, `${ACME_EXTENSION}:badge eq "AQID"`],
    ['x509Certificates.value co "MII"', 'x509Certificates.value co "MII"'],
  ])("resolves %s", (text, expected) => {
    const result = resolveText(text);
    expect(result.ok && render(result.value)).toBe(expected);
  });

  it("resolves members on groups", () => {
    const result = resolveText('members[value eq "2819c223"] or displayName eq "Admins"', GROUP);
    expect(result.ok && render(result.value)).toBe('(members[members.value eq "2819c223"] or displayName eq "Admins")');
  });

  it.each([
    ['foo eq "x"', USER, `filter: unknown attribute "foo" in ${CORE}`],
    ['department eq "R&D"', USER, `extension attributes need their schema URN, as in "${ENTERPRISE}:department"`],
    ['name.nick eq "x"', USER, 'filter: unknown sub-attribute "nick" of "name"'],
    ['emails[kind eq "work"]', USER, 'filter: unknown sub-attribute "kind" of "emails"'],
    ['userName[value eq "x"]', USER, 'filter: "userName[…]" needs a complex attribute before "["'],
    ['emails.value[type eq "x"]', USER, 'filter: "emails.value[…]" needs a complex attribute before "["'],
    ['emails[name.givenName eq "x"]', USER, 'must be a plain sub-attribute name of "emails"'],
    ['password eq "secret"', USER, 'filter: "password" is never returned and cannot be filtered on'],
    ["password pr", USER, 'filter: "password" is never returned and cannot be filtered on'],
    ['active eq "yes"', USER, 'filter: "active" is a boolean; expected true or false, got "yes"'],
    ['active eq "true"', USER, 'filter: "active" is a boolean; expected true or false'],
    ["active gt true", USER, 'filter: "active" is a boolean and can only be compared with eq or ne, not gt'],
    ['active co "t"', USER, "can only be compared with eq or ne, not co"],
    ['meta.lastModified gt "not a date"', USER, 'filter: "meta.lastModified" is a dateTime; expected a quoted xsd:dateTime'],
    ['meta.lastModified gt "2011-02-30T00:00:00Z"', USER, "is a dateTime"],
    ['meta.lastModified gt "2011-05-13"', USER, "is a dateTime"],
    ["meta.lastModified gt 1305261754", USER, "is a dateTime"],
    ['meta.lastModified co "2011"', USER, 'filter: "meta.lastModified" is a dateTime and cannot be compared with co'],
    ["userName eq 42", USER, 'filter: "userName" is a string; expected a "quoted string", got 42'],
    ["userName eq true", USER, "expected a \"quoted string\", got true"],
    ['name eq "Barbara"', USER, 'filter: "name" is complex; compare one of its sub-attributes (formatted, familyName'],
    ["userName gt null", USER, "filter: null can only be compared with eq or ne, not gt"],
    [`${ACME_EXTENSION}:level eq 1.5`, USER_WITH_ACME, 'filter: "level" is an integer; got 1.5'],
    [`${ACME_EXTENSION}:level eq "3"`, USER_WITH_ACME, 'filter: "level" is an integer; expected a number, got "3"'],
    [`${ACME_EXTENSION}:score co 1`, USER_WITH_ACME, 'filter: "score" is a number and cannot be compared with co'],
    [`${ACME_EXTENSION}:badge gt "AQID"`, USER_WITH_ACME, 'filter: "badge" is binary and cannot be compared with gt'],
    [`${ENTERPRISE}:department eq "x"`, GROUP, `filter: unknown schema "${ENTERPRISE}" for resource type Group`],
    ['title pr and emails[type eq 1]', USER, 'filter: "emails.type" is a string; expected a "quoted string", got 1'],
  ])("rejects %s with invalidFilter", (text, schema, fragment) => {
    const result = resolveText(text, schema);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issue.code).toBe("invalidFilter");
    expect(result.issue.detail).toContain(fragment);
  });

  it("rejects a value path nested in another (built by hand, since the parser cannot)", () => {
    const result = resolveFilter(
      {
        kind: "valuePath",
        path: { attribute: "emails" },
        filter: { kind: "valuePath", path: { attribute: "type" }, filter: { kind: "present", path: { attribute: "value" } } },
      },
      USER,
    );
    expect(!result.ok && result.issue.detail).toBe('filter: value path "type[…]" cannot be nested in another value path');
  });
});
