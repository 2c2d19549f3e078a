import { describe, expect, it } from "vitest";
import entraFixture from "./fixtures/entra-string-booleans.json" with { type: "json" };
import entraLegacyGroup from "./fixtures/entra-legacy-group-schema.json" with { type: "json" };
import type { ScimErrorCode } from "../../../src/scim/errors.js";
import { parseResourceInput } from "../../../src/scim/resource/parse-resource.js";
import { validateDocument } from "../../../src/scim/resource/validate-document.js";
import type { ResourceSchema } from "../../../src/scim/schema/types.js";
import { DEVICE, DEVICE_EXTENSION_ID, DEVICE_SCHEMA_ID, GROUP, USER } from "./schemas.js";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group";
const DEVICE_BASE = { serial: "SN1", [DEVICE_EXTENSION_ID]: { bench: "B1" } };
const DEVICE_DOC = { schemas: [DEVICE_SCHEMA_ID, DEVICE_EXTENSION_ID], serial: "SN1", [DEVICE_EXTENSION_ID]: { bench: "B1" } };

interface Accepts {
  readonly name: string;
  readonly schema?: ResourceSchema;
  readonly body: unknown;
  readonly document: Record<string, unknown>;
  readonly writeOnly?: Record<string, unknown>;
}

const accepted: readonly Accepts[] = [
  {
    name: "rewrites attribute and sub-attribute names given in any case to their canonical spelling",
    body: { USERNAME: "bjensen", Name: { GIVENNAME: "Barbara" }, EMAILS: [{ VALUE: "b@example.com" }] },
    document: { schemas: [CORE], userName: "bjensen", name: { givenName: "Barbara" }, emails: [{ value: "b@example.com" }] },
  },
  {
    name: "accepts extension attributes under their URN key matched case-insensitively",
    body: { schemas: [CORE, ENTERPRISE.toUpperCase()], userName: "b", [ENTERPRISE.toLowerCase()]: { DEPARTMENT: "Sales" } },
    document: { schemas: [CORE, ENTERPRISE], userName: "b", [ENTERPRISE]: { department: "Sales" } },
  },
  {
    name: "accepts extension attributes as fully qualified top-level keys",
    body: { userName: "b", [`${ENTERPRISE}:department`]: "Sales", [`${ENTERPRISE}:manager`]: { value: "42" } },
    document: { schemas: [CORE, ENTERPRISE], userName: "b", [ENTERPRISE]: { department: "Sales", manager: { value: "42" } } },
  },
  {
    name: "accepts core attributes as fully qualified top-level keys",
    body: { [`${CORE}:userName`]: "b" },
    document: { schemas: [CORE], userName: "b" },
  },
  {
    name: "adds the extension URN to schemas when the extension's key is present but schemas omits it",
    body: { schemas: [CORE], userName: "b", [ENTERPRISE]: { employeeNumber: "7" } },
    document: { schemas: [CORE, ENTERPRISE], userName: "b", [ENTERPRISE]: { employeeNumber: "7" } },
  },
  {
    name: "tolerates a missing schemas attribute",
    body: { userName: "b" },
    document: { schemas: [CORE], userName: "b" },
  },
  {
    name: "lists only the extensions actually present in schemas",
    body: { schemas: [CORE, ENTERPRISE], userName: "b" },
    document: { schemas: [CORE], userName: "b" },
  },
  {
    name: "drops null values, empty arrays, emptied complex values and a null extension, and keeps empty strings",
    body: { userName: "b", nickName: null, title: "", emails: [], name: { givenName: null }, [ENTERPRISE]: null },
    document: { schemas: [CORE], userName: "b", title: "" },
  },
  {
    name: "silently ignores readOnly attributes and sub-attributes (RFC 7644 §3.3)",
    body: {
      id: 12,
      meta: "garbage",
      userName: "b",
      groups: [{ value: "g1" }],
      [ENTERPRISE]: { manager: { value: "m1", displayName: "Boss" } },
    },
    document: { schemas: [CORE, ENTERPRISE], userName: "b", [ENTERPRISE]: { manager: { value: "m1" } } },
  },
  {
    name: "drops members.display of a group and keeps the writable member sub-attributes",
    schema: GROUP,
    body: { displayName: "Admins", members: [{ value: "u1", display: "Ann", type: "User" }] },
    document: { schemas: [GROUP_URN], displayName: "Admins", members: [{ value: "u1", type: "User" }] },
  },
  {
    name: "removes the writeOnly password from the document and returns it separately",
    body: { userName: "b", password: "s3cret" },
    document: { schemas: [CORE], userName: "b" },
    writeOnly: { password: "s3cret" },
  },
  {
    name: "accepts type values outside canonicalValues",
    body: { userName: "b", emails: [{ value: "b@example.com", type: "internal", primary: true }, { value: "c@example.com" }] },
    document: {
      schemas: [CORE],
      userName: "b",
      emails: [{ value: "b@example.com", type: "internal", primary: true }, { value: "c@example.com" }],
    },
  },
  {
    name: "accepts integer, decimal, dateTime, base64 binary and multi-valued simple values",
    schema: DEVICE,
    body: {
      ...DEVICE_BASE,
      ports: 4,
      weight: 1.25,
      purchased: "2024-02-29T23:59:60.5+01:00",
      firmware: "AAEC/w==",
      tags: ["a", "b"],
      [DEVICE_EXTENSION_ID]: { bench: "B1", calibrated: false },
    },
    document: {
      schemas: [DEVICE_SCHEMA_ID, DEVICE_EXTENSION_ID],
      serial: "SN1",
      ports: 4,
      weight: 1.25,
      purchased: "2024-02-29T23:59:60.5+01:00",
      firmware: "AAEC/w==",
      tags: ["a", "b"],
      [DEVICE_EXTENSION_ID]: { bench: "B1", calibrated: false },
    },
  },
  {
    name: "accepts an xsd:dateTime without a time zone",
    schema: DEVICE,
    body: { ...DEVICE_BASE, purchased: "2024-01-31T12:00:00" },
    document: { ...DEVICE_DOC, purchased: "2024-01-31T12:00:00" },
  },
];

interface Rejects {
  readonly name: string;
  readonly schema?: ResourceSchema;
  readonly body: unknown;
  readonly code: ScimErrorCode;
  readonly detail: string;
}

const rejected: readonly Rejects[] = [
  { name: "rejects an array body", body: [], code: "invalidSyntax", detail: "resource must be a JSON object, got array" },
  { name: "rejects a null body", body: null, code: "invalidSyntax", detail: "resource must be a JSON object, got null" },
  { name: "rejects a string body", body: "x", code: "invalidSyntax", detail: 'resource must be a JSON object, got string "x"' },
  { name: "rejects an unknown attribute", body: { userName: "b", foo: 1 }, code: "invalidSyntax", detail: 'unknown attribute "foo"' },
  {
    name: "rejects an attribute named after an Object.prototype member",
    body: { userName: "b", constructor: 1 },
    code: "invalidSyntax",
    detail: 'unknown attribute "constructor"',
  },
  {
    name: "rejects an unknown sub-attribute",
    body: { userName: "b", name: { givenName: "B", nick: "x" } },
    code: "invalidSyntax",
    detail: 'unknown attribute "name.nick"',
  },
  {
    name: "rejects an unknown extension URN",
    body: { userName: "b", "urn:example:params:scim:schemas:extension:acme:2.0:User": {} },
    code: "invalidSyntax",
    detail: 'unknown schema extension "urn:example:params:scim:schemas:extension:acme:2.0:User"',
  },
  {
    name: "rejects an unknown attribute inside an extension",
    body: { userName: "b", [ENTERPRISE]: { team: "x" } },
    code: "invalidSyntax",
    detail: `unknown attribute "${ENTERPRISE}:team"`,
  },
  {
    name: "rejects an unknown fully qualified extension attribute",
    body: { userName: "b", [`${ENTERPRISE}:team`]: "x" },
    code: "invalidSyntax",
    detail: `unknown attribute "${ENTERPRISE}:team"`,
  },
  {
    name: "rejects an extension value that is not an object",
    body: { userName: "b", [ENTERPRISE]: "Sales" },
    code: "invalidSyntax",
    detail: `extension "${ENTERPRISE}" must be an object, got string "Sales"`,
  },
  {
    name: "rejects an attribute given twice in different cases",
    body: { userName: "a", USERNAME: "b" },
    code: "invalidSyntax",
    detail: 'attribute "userName" is given more than once',
  },
  {
    name: "rejects an extension attribute given both under its URN and fully qualified",
    body: { userName: "a", [ENTERPRISE]: { department: "A" }, [`${ENTERPRISE}:department`]: "B" },
    code: "invalidSyntax",
    detail: `attribute "${ENTERPRISE}:department" is given more than once`,
  },
  {
    name: "rejects schemas that is not an array of strings",
    body: { schemas: [CORE, 7], userName: "b" },
    code: "invalidSyntax",
    detail: '"schemas" must be an array of schema URNs, got array',
  },
  {
    name: "rejects schemas given as a single string",
    body: { schemas: "urn:x", userName: "b" },
    code: "invalidSyntax",
    detail: '"schemas" must be an array of schema URNs, got string "urn:x"',
  },
  {
    name: "rejects schemas naming an unknown schema that holds attributes",
    body: { schemas: [CORE, "urn:x"], userName: "b", "urn:x": { a: 1 } },
    code: "invalidSyntax",
    detail: `"schemas": unknown schema "urn:x"; expected ${CORE} or ${ENTERPRISE}`,
  },
  {
    name: "rejects schemas without the core schema",
    body: { schemas: [ENTERPRISE], userName: "b" },
    code: "invalidSyntax",
    detail: `"schemas" must include the core schema "${CORE}"`,
  },
  {
    name: "rejects a boolean given as a string",
    body: { userName: "b", active: "yes" },
    code: "invalidValue",
    detail: 'attribute "active": expected boolean, got string "yes"',
  },
  {
    name: "names the element and sub-attribute of a wrong value inside a multi-valued attribute",
    body: { userName: "b", emails: [{ value: "a@example.com" }, { value: "b@example.com", primary: "yes" }] },
    code: "invalidValue",
    detail: 'attribute "emails[1].primary": expected boolean, got string "yes"',
  },
  {
    name: "rejects a number for a string attribute",
    body: { userName: 42 },
    code: "invalidValue",
    detail: 'attribute "userName": expected string, got number 42',
  },
  {
    name: "rejects a single object for a multi-valued attribute",
    body: { userName: "b", emails: { value: "b@example.com" } },
    code: "invalidValue",
    detail: 'attribute "emails": expected an array (multi-valued complex), got object',
  },
  {
    name: "rejects a string for a complex attribute",
    body: { userName: "b", name: "Bob" },
    code: "invalidValue",
    detail: 'attribute "name": expected complex value (object), got string "Bob"',
  },
  {
    name: "rejects a null element of a multi-valued attribute",
    body: { userName: "b", emails: [null] },
    code: "invalidValue",
    detail: 'attribute "emails[0]": expected object, got null',
  },
  {
    name: "rejects a wrong type inside an extension with its qualified name",
    body: { userName: "b", [ENTERPRISE]: { department: 5 } },
    code: "invalidValue",
    detail: `attribute "${ENTERPRISE}:department": expected string, got number 5`,
  },
  {
    name: "rejects a non-string password",
    body: { userName: "b", password: 1234 },
    code: "invalidValue",
    detail: 'attribute "password": expected string, got number 1234',
  },
  {
    name: "rejects a fractional integer",
    schema: DEVICE,
    body: { ...DEVICE_BASE, ports: 1.5 },
    code: "invalidValue",
    detail: 'attribute "ports": expected a whole number (integer), got number 1.5',
  },
  {
    name: "rejects a decimal given as a string",
    schema: DEVICE,
    body: { ...DEVICE_BASE, weight: "3" },
    code: "invalidValue",
    detail: 'attribute "weight": expected a number (decimal), not a string, got string "3"',
  },
  {
    name: "rejects an impossible date",
    schema: DEVICE,
    body: { ...DEVICE_BASE, purchased: "2023-02-29T00:00:00Z" },
    code: "invalidValue",
    detail: 'attribute "purchased": expected dateTime (RFC 3339, e.g. "2024-01-31T12:00:00Z"), got string "2023-02-29T00:00:00Z"',
  },
  {
    name: "rejects a date without a time",
    schema: DEVICE,
    body: { ...DEVICE_BASE, purchased: "2024-01-31" },
    code: "invalidValue",
    detail: 'attribute "purchased": expected dateTime (RFC 3339, e.g. "2024-01-31T12:00:00Z"), got string "2024-01-31"',
  },
  {
    name: "rejects binary that is not base64",
    schema: DEVICE,
    body: { ...DEVICE_BASE, firmware: "not base64!" },
    code: "invalidValue",
    detail: 'attribute "firmware": expected base64 binary, got string "not base64!"',
  },
  {
    name: "rejects a single value for a multi-valued simple attribute",
    schema: DEVICE,
    body: { ...DEVICE_BASE, tags: "a" },
    code: "invalidValue",
    detail: 'attribute "tags": expected an array (multi-valued string), got string "a"',
  },
  { name: "requires userName", body: { displayName: "B" }, code: "invalidValue", detail: "userName is required" },
  { name: "treats an empty required string as missing", body: { userName: "" }, code: "invalidValue", detail: "userName is required" },
  { name: "treats a null required value as missing", body: { userName: null }, code: "invalidValue", detail: "userName is required" },
  { name: "requires a group's displayName", schema: GROUP, body: { members: [] }, code: "invalidValue", detail: "displayName is required" },
  {
    name: "requires the required sub-attributes of a complex value that is given",
    schema: DEVICE,
    body: { ...DEVICE_BASE, location: { rack: "R1" } },
    code: "invalidValue",
    detail: "location.site is required",
  },
  {
    name: "requires an extension the resource type marks required",
    schema: DEVICE,
    body: { serial: "SN1" },
    code: "invalidValue",
    detail: `extension "${DEVICE_EXTENSION_ID}" is required`,
  },
  {
    name: "requires the required attributes of an extension that is present",
    schema: DEVICE,
    body: { serial: "SN1", [DEVICE_EXTENSION_ID]: { calibrated: true } },
    code: "invalidValue",
    detail: `${DEVICE_EXTENSION_ID}:bench is required`,
  },
  {
    name: "rejects two primary values in one multi-valued attribute",
    body: { userName: "b", emails: [{ value: "a@x.com", primary: true }, { value: "b@x.com", primary: true }] },
    code: "invalidValue",
    detail: 'attribute "emails": at most one value may have "primary": true, found 2',
  },
];

describe("parseResourceInput (create)", () => {
  it.each(accepted)("$name", ({ schema, body, document, writeOnly }) => {
    const result = parseResourceInput(body, schema ?? USER, { mode: "create" });
    expect(result).toEqual({ ok: true, value: { document, writeOnly: writeOnly ?? {} } });
  });

  it.each(rejected)("$name", ({ schema, body, code, detail }) => {
    expect(parseResourceInput(body, schema ?? USER, { mode: "create" })).toEqual({ ok: false, issue: { code, detail } });
  });

  it("puts canonical attributes in schema order and schemas first", () => {
    const result = parseResourceInput({ emails: [{ value: "a@x.com" }], active: true, userName: "b" }, USER, { mode: "create" });
    expect(result.ok && Object.keys(result.value.document)).toEqual(["schemas", "userName", "active", "emails"]);
  });
});

describe("lenientBooleans (Entra ID quirk)", () => {
  it("converts boolean strings of the Entra fixture when enabled", () => {
    const result = parseResourceInput(entraFixture.request, USER, { mode: "create", lenientBooleans: true });
    expect(result).toEqual({ ok: true, value: { document: entraFixture.expectedDocument, writeOnly: {} } });
  });

  it("rejects the Entra fixture by default", () => {
    expect(parseResourceInput(entraFixture.request, USER, { mode: "create" })).toEqual({ ok: false, issue: entraFixture.expectedStrictIssue });
  });

  it.each([
    ["TRUE", true],
    ["false", false],
    ["False", false],
  ])("accepts %j as %j", (given, expected) => {
    const result = parseResourceInput({ userName: "b", active: given }, USER, { mode: "create", lenientBooleans: true });
    expect(result.ok && result.value.document["active"]).toBe(expected);
  });

  it("still rejects other strings", () => {
    expect(parseResourceInput({ userName: "b", active: "1" }, USER, { mode: "create", lenientBooleans: true })).toEqual({
      ok: false,
      issue: { code: "invalidValue", detail: 'attribute "active": expected boolean, got string "1"' },
    });
  });
});

describe("parseResourceInput (replace)", () => {
  const existing = { ...DEVICE_DOC, location: { site: "S1", rack: "R1" } };
  const replace = (body: unknown) => parseResourceInput(body, DEVICE, { mode: "replace", existing });

  it("returns 400 mutability when an immutable attribute's value differs", () => {
    expect(replace({ ...DEVICE_BASE, serial: "SN2" })).toEqual({
      ok: false,
      issue: { code: "mutability", detail: 'attribute "serial" is immutable and already set; it cannot be changed' },
    });
  });

  it("returns 400 mutability when an immutable sub-attribute of a complex value differs", () => {
    expect(replace({ ...DEVICE_BASE, location: { site: "S1", rack: "R2" } })).toEqual({
      ok: false,
      issue: { code: "mutability", detail: 'attribute "location.rack" is immutable and already set; it cannot be changed' },
    });
  });

  it("accepts immutable values given unchanged", () => {
    const result = replace({ ...DEVICE_BASE, location: { site: "S2", rack: "R1" } });
    expect(result.ok && result.value.document).toEqual({ ...DEVICE_DOC, location: { site: "S2", rack: "R1" } });
  });

  it("keeps stored immutable values the body leaves out", () => {
    const result = replace({ serial: "SN1", [DEVICE_EXTENSION_ID]: { bench: "B2" }, location: { site: "S3" } });
    expect(result.ok && result.value.document).toEqual({
      schemas: [DEVICE_SCHEMA_ID, DEVICE_EXTENSION_ID],
      serial: "SN1",
      location: { site: "S3", rack: "R1" },
      [DEVICE_EXTENSION_ID]: { bench: "B2" },
    });
  });

  it("allows setting an immutable attribute that has no value yet", () => {
    const result = parseResourceInput({ ...DEVICE_BASE, location: { site: "S1", rack: "R9" } }, DEVICE, {
      mode: "replace",
      existing: DEVICE_DOC,
    });
    expect(result.ok && result.value.document["location"]).toEqual({ site: "S1", rack: "R9" });
  });

  it("replaces group members wholesale although their sub-attributes are immutable", () => {
    const stored = { schemas: [GROUP_URN], displayName: "A", members: [{ value: "u1", type: "User" }] };
    const result = parseResourceInput({ displayName: "A", members: [{ value: "u2" }] }, GROUP, { mode: "replace", existing: stored });
    expect(result.ok && result.value.document).toEqual({ schemas: [GROUP_URN], displayName: "A", members: [{ value: "u2" }] });
  });

  it("still requires a required immutable attribute the body leaves out", () => {
    expect(replace({ [DEVICE_EXTENSION_ID]: { bench: "B2" } })).toEqual({
      ok: false,
      issue: { code: "invalidValue", detail: "serial is required" },
    });
  });

  it("ignores existing in create mode", () => {
    const result = parseResourceInput({ ...DEVICE_BASE, serial: "SN2" }, DEVICE, { mode: "create", existing });
    expect(result.ok && result.value.document["serial"]).toBe("SN2");
  });
});

describe("validateDocument", () => {
  it("re-checks a patched document for two primaries", () => {
    const patched = { schemas: [CORE], userName: "b", phoneNumbers: [{ value: "1", primary: true }, { value: "2", primary: true }] };
    expect(validateDocument(patched, USER)).toEqual({
      ok: false,
      issue: { code: "invalidValue", detail: 'attribute "phoneNumbers": at most one value may have "primary": true, found 2' },
    });
  });

  it("re-checks a patched document for a removed required attribute", () => {
    expect(validateDocument({ schemas: [CORE], displayName: "B" }, USER)).toEqual({
      ok: false,
      issue: { code: "invalidValue", detail: "userName is required" },
    });
  });

  it("returns a valid canonical document unchanged", () => {
    const document = { schemas: [CORE, ENTERPRISE], userName: "b", active: false, [ENTERPRISE]: { department: "D" } };
    expect(validateDocument(document, USER)).toEqual({ ok: true, value: { document, writeOnly: {} } });
  });
});

describe("Entra ID's legacy group schema URN", () => {
  it("drops an unknown schema URN under which the body holds no attributes", () => {
    const result = parseResourceInput(entraLegacyGroup.request, GROUP, { mode: "create" });
    expect(result).toEqual({ ok: true, value: { document: entraLegacyGroup.expectedDocument, writeOnly: {} } });
  });
});

describe("strings Roster refuses", () => {
  it("refuses a NUL character in a string attribute", () => {
    const result = parseResourceInput({ userName: "a\u0000b" }, USER, { mode: "create" });
    expect(result).toEqual({
      ok: false,
      issue: { code: "invalidValue", detail: 'attribute "userName": strings may not contain the NUL character (U+0000)' },
    });
  });

  it("treats a required attribute of only white space as missing", () => {
    const result = parseResourceInput({ userName: "   " }, USER, { mode: "create" });
    expect(result).toEqual({ ok: false, issue: { code: "invalidValue", detail: "userName is required" } });
  });
});
