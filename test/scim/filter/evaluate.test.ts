import { describe, expect, it } from "vitest";
import { evaluateFilter, matchesElement } from "../../../src/scim/filter/evaluate.js";
import { parseScimFilter } from "../../../src/scim/filter/parse.js";
import { resolveFilter } from "../../../src/scim/filter/resolve.js";
import { SCIM_ENTERPRISE_USER_SCHEMA as ENTERPRISE, SCIM_USER_SCHEMA as CORE } from "../../../src/scim/schema/core-schemas.js";
import { ACME_EXTENSION as ACME, GROUP, USER_WITH_ACME } from "./schemas.js";

const BJENSEN: Readonly<Record<string, unknown>> = {
  schemas: [CORE, ENTERPRISE, ACME],
  id: "2819c223-7f76-453a-919d-413861904646",
  externalId: "bjensen",
  userName: "Bjensen@Example.com",
  name: { familyName: "Jensen", givenName: "Barbara", middleName: null },
  displayName: "Babs Jensen",
  nickName: "",
  title: "Tour Guide",
  active: true,
  emails: [
    { value: "bjensen@example.com", type: "work", primary: true },
    { value: "babs@jensen.org", type: "home" },
  ],
  phoneNumbers: [],
  addresses: [{}],
  meta: {
    resourceType: "User",
    created: "2010-01-23T04:56:22Z",
    lastModified: "2011-05-13T04:42:34.250Z",
    version: 'W/"3694e05e9dff591"',
  },
  [ENTERPRISE]: {
    employeeNumber: "701984",
    department: "Tour Operations",
    manager: { value: "26118915-6090-4610-87e4-49d8ca9f808d", displayName: "John Smith" },
  },
  [ACME]: { level: 3, score: 4.5, badge: "AQID", nickCode: "Babs", tags: ["Red", "blue"] },
};

function evaluateText(text: string, resource = BJENSEN, schema = USER_WITH_ACME): boolean {
  const parsed = parseScimFilter(text);
  if (!parsed.ok) throw new Error(parsed.issue.detail);
  const resolved = resolveFilter(parsed.value, schema);
  if (!resolved.ok) throw new Error(resolved.issue.detail);
  return evaluateFilter(resolved.value, resource);
}

describe("evaluateFilter", () => {
  it.each<[string, boolean]>([
    // case-insensitive strings (caseExact false) vs case-exact ones
    ['userName eq "bjensen@example.com"', true],
    ['userName eq "BJENSEN@EXAMPLE.COM"', true],
    ['userName eq "bjensen"', false],
    ['userName co "EXAMPLE"', true],
    ['userName sw "bj"', true],
    ['userName ew ".COM"', true],
    ['userName ew ".org"', false],
    ['externalId eq "bjensen"', true],
    ['externalId eq "BJENSEN"', false],
    ['id sw "2819C223"', false],
    [`${ACME}:nickCode eq "babs"`, false],
    [`${ACME}:nickCode eq "Babs"`, true],
    // ordering of strings
    ['title gt "tour"', true],
    ['title lt "Tour Guide"', false],
    ['title le "tour guide"', true],
    ['title ge "u"', false],
    // ne is not(eq), including on absent attributes
    ['title ne "Tour Guide"', false],
    ['title ne "Manager"', true],
    ['userType ne "Employee"', true],
    ['userType eq "Employee"', false],
    // null compares presence
    ["userType eq null", true],
    ["title eq null", false],
    ["title ne null", true],
    ["nickName eq null", true],
    // pr
    ["title pr", true],
    ["userType pr", false],
    ["nickName pr", false],
    ["phoneNumbers pr", false],
    ["addresses pr", false],
    ["emails pr", true],
    ["name pr", true],
    ["name.middleName pr", false],
    ["name.givenName pr", true],
    [`${ENTERPRISE}:manager pr`, true],
    // booleans
    ["active eq true", true],
    ["active eq false", false],
    ["active ne true", false],
    // multi-valued: any element matches
    ['emails.value eq "babs@jensen.org"', true],
    ['emails eq "BABS@jensen.org"', true],
    ['emails co "jensen.org"', true],
    ['emails.type eq "other"', false],
    ['emails.value ne "babs@jensen.org"', false],
    ['emails.primary eq true', true],
    // value paths: one element satisfies the whole inner filter
    ['emails[type eq "work" and value ew "@example.com"]', true],
    ['emails[type eq "home" and value ew "@example.com"]', false],
    ['emails.type eq "home" and emails.value ew "@example.com"', true],
    ['emails[type eq "home" and not (primary eq true)]', true],
    ["emails[primary pr]", true],
    ['phoneNumbers[type eq "work"]', false],
    [`${ENTERPRISE}:manager[displayName sw "john"]`, true],
    ['name[givenName eq "barbara"]', true],
    // dateTime by instant
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', true],
    ['meta.lastModified eq "2011-05-13T06:42:34.25+02:00"', true],
    ['meta.lastModified eq "2011-05-13T04:42:34.25"', true],
    ['meta.lastModified lt "2011-05-13T04:42:34.251Z"', true],
    ['meta.created ge "2010-01-23T04:56:22Z"', true],
    ['meta.created gt "2010-01-23T00:00:00-05:00"', false],
    // numbers numerically
    [`${ACME}:level eq 3`, true],
    [`${ACME}:level gt 2`, true],
    [`${ACME}:level le 2`, false],
    [`${ACME}:score ge 4.5`, true],
    [`${ACME}:score lt 4.5e0`, false],
    [`${ACME}:badge eq "AQID"`, true],
    [`${ACME}:badge eq "aqid"`, false],
    // multi-valued simple attribute
    [`${ACME}:tags eq "red"`, true],
    [`${ACME}:tags eq "green"`, false],
    // extensions live under their URN key
    [`${ENTERPRISE}:department eq "tour operations"`, true],
    [`${ENTERPRISE}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true],
    [`${ENTERPRISE}:manager eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true],
    [`${ENTERPRISE}:costCenter pr`, false],
    // logic
    ['title pr and userType eq "Employee"', false],
    ['title pr or userType eq "Employee"', true],
    ['not (title pr) or active eq true', true],
    ['not (userName sw "b" and (emails.type eq "work" or title eq "x"))', false],
    ['meta.resourceType eq "user"', false],
    ['meta.resourceType eq "User"', true],
  ])("%s is %s for bjensen", (text, expected) => {
    expect(evaluateText(text)).toBe(expected);
  });

  it.each<[Record<string, unknown>, string, boolean]>([
    [{ userName: 42 }, 'userName eq "42"', false],
    [{ userName: 42 }, 'userName ne "42"', true],
    [{ active: "true" }, "active eq true", false],
    [{ meta: { lastModified: "yesterday" } }, 'meta.lastModified lt "2030-01-01T00:00:00Z"', false],
    [{ emails: { value: "single@example.com" } }, 'emails eq "single@example.com"', true],
    [{ emails: ["not-an-object"] }, 'emails[value eq "x"]', false],
    [{ emails: [{ value: null }] }, "emails.value pr", false],
    [{ USERNAME: "bjensen" }, 'userName eq "bjensen"', true],
    [{ [ENTERPRISE.toLowerCase()]: { department: "x" } }, `${ENTERPRISE}:department eq "x"`, true],
    [{ [ENTERPRISE]: "not an object" }, `${ENTERPRISE}:department pr`, false],
    [{}, "title ne null", false],
    [{}, 'title ne "x"', true],
    [{}, "not (title pr)", true],
    [{ userName: "𝒜" }, 'userName gt "\uffff"', true],
  ])("evaluates %j against %s as %s", (resource, text, expected) => {
    expect(evaluateText(text, resource)).toBe(expected);
  });

  it("evaluates group member value paths, members.value being a caseExact id", () => {
    const group = { displayName: "Admins", members: [{ value: "2819c223", type: "User" }] };
    expect(evaluateText('members[value eq "2819c223" and type eq "user"]', group, GROUP)).toBe(true);
    expect(evaluateText('members[value eq "2819C223"]', group, GROUP)).toBe(false);
    expect(evaluateText('members[value eq "2819c224"]', group, GROUP)).toBe(false);
  });
});

describe("matchesElement", () => {
  const resolved = (() => {
    const parsed = parseScimFilter('emails[type eq "WORK" and not (value ew ".org")]');
    if (!parsed.ok) throw new Error(parsed.issue.detail);
    const result = resolveFilter(parsed.value, USER_WITH_ACME);
    if (!result.ok || result.value.kind !== "valuePath") throw new Error("expected a value path");
    return result.value;
  })();

  it.each<[Record<string, unknown>, boolean]>([
    [{ value: "bjensen@example.com", type: "work" }, true],
    [{ value: "bjensen@jensen.org", type: "work" }, false],
    [{ value: "bjensen@example.com", type: "home" }, false],
    [{ value: "bjensen@example.com" }, false],
    [{}, false],
  ])("tests one element %j as %s", (element, expected) => {
    expect(matchesElement(resolved.filter, element, resolved.path)).toBe(expected);
  });
});
