import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseResourceInput } from "../../../src/scim/resource/parse-resource.js";
import { projectResource } from "../../../src/scim/resource/project.js";
import { serializeResource } from "../../../src/scim/resource/serialize.js";
import type { ResolvedPath } from "../../../src/scim/filter/ast.js";
import type { ResourceSchema } from "../../../src/scim/schema/types.js";
import { DEVICE, GROUP, USER } from "./schemas.js";

const ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const SCHEMAS: readonly ResourceSchema[] = [USER, GROUP, DEVICE];

/** Attribute names of a schema in random case, so generated bodies reach the type checks. */
function knownKeys(schema: ResourceSchema): fc.Arbitrary<string> {
  const names = [
    "schemas",
    "id",
    "meta",
    ...schema.core.attributes.map((a) => a.name),
    ...schema.extensions.flatMap((e) => [e.id, ...e.attributes.map((a) => `${e.id}:${a.name}`)]),
  ];
  return fc
    .tuple(fc.constantFrom(...names), fc.boolean())
    .map(([name, upper]) => (upper ? name.toUpperCase() : name));
}

function bodyOf(schema: ResourceSchema): fc.Arbitrary<unknown> {
  return fc.oneof(fc.anything(), fc.jsonValue(), fc.dictionary(fc.oneof(knownKeys(schema), fc.string()), fc.jsonValue(), { maxKeys: 8 }));
}

const options = fc.record({
  mode: fc.constantFrom("create" as const, "replace" as const),
  lenientBooleans: fc.boolean(),
});

describe("properties", () => {
  it("parseResourceInput never throws on arbitrary input, and returns a result", () => {
    const cases = fc.constantFrom(...SCHEMAS).chain((schema) => fc.tuple(fc.constant(schema), bodyOf(schema), bodyOf(schema)));
    fc.assert(
      fc.property(cases, options, ([schema, body, existing], { mode, lenientBooleans }) => {
        const stored = typeof existing === "object" && existing !== null && !Array.isArray(existing) ? existing : {};
        const result = parseResourceInput(body, schema, { mode, lenientBooleans, existing: stored as Record<string, unknown> });
        expect(typeof result.ok).toBe("boolean");
      }),
      { numRuns: 300 },
    );
  });

  const text = fc.string({ minLength: 1, maxLength: 12 });
  const email = fc.record(
    { value: text, type: fc.constantFrom("work", "home", "other", "internal"), primary: fc.boolean(), display: fc.string() },
    { requiredKeys: ["value"] },
  );
  const emails = fc.array(email, { maxLength: 4 }).map((values) => {
    let seen = false;
    return values.map((value) => {
      if (value.primary !== true) return value;
      if (seen) return { ...value, primary: false };
      seen = true;
      return value;
    });
  });
  const user = fc.record(
    {
      userName: text.filter((name) => name.trim() !== ""),
      USERNAME_CASE: fc.boolean(),
      displayName: fc.string(),
      active: fc.boolean(),
      externalId: text,
      name: fc.record({ givenName: text, familyName: text, formatted: fc.string() }, { requiredKeys: [] }),
      emails,
      enterprise: fc.record({ department: text, employeeNumber: text, manager: fc.record({ value: text }) }, { requiredKeys: [] }),
      password: text,
    },
    { requiredKeys: ["userName", "USERNAME_CASE"] },
  ).map(({ USERNAME_CASE, userName, enterprise, ...rest }) => ({
    ...rest,
    [USERNAME_CASE ? "USERNAME" : "userName"]: userName,
    ...(enterprise === undefined ? {} : { [ENT]: enterprise }),
  }));

  it("accepts generated valid users, and serialise → parse gives back the same document", () => {
    fc.assert(
      fc.property(user, fc.nat(), (body, version) => {
        const first = parseResourceInput(body, USER, { mode: "create" });
        expect(first.ok).toBe(true);
        if (!first.ok) return;
        const again = parseResourceInput(first.value.document, USER, { mode: "create" });
        expect(again).toEqual({ ok: true, value: { document: first.value.document, writeOnly: {} } });
        const wire = serializeResource({
          id: "u1",
          resourceType: "User",
          document: first.value.document,
          created: "2024-01-01T00:00:00Z",
          lastModified: "2024-01-01T00:00:00Z",
          version,
          location: "https://x/Users/u1",
          extra: { groups: [{ value: "g1", display: "G" }] },
        });
        const back = parseResourceInput(wire, USER, { mode: "replace", existing: first.value.document });
        expect(back).toEqual({ ok: true, value: { document: first.value.document, writeOnly: {} } });
      }),
    );
  });

  it("projection without attributes or excludedAttributes answers exactly what the full projection does", () => {
    // `attributes: []` counts as not given but takes the full projection; without options a
    // resource the default projection leaves alone is returned as it is (project.ts).
    const emptyish = fc.constantFrom<unknown>([], {}, [{}], [{ value: "a" }, {}], "text", 7, null, JSON.parse('{"__proto__": {"value": "x"}}'), JSON.parse('[{"value": "a", "__proto__": {}}]'));
    const schemas = fc.subarray(["urn:ietf:params:scim:schemas:core:2.0:User", ENT, "urn:example:unknown"]);
    const cases = fc.tuple(fc.constantFrom(...SCHEMAS), bodyOf(USER), user, fc.dictionary(fc.oneof(knownKeys(USER), fc.string()), emptyish, { maxKeys: 3 }), schemas, fc.boolean());
    fc.assert(
      fc.property(cases, ([schema, random, generated, odd, listed, withPassword]) => {
        const base = typeof random === "object" && random !== null && !Array.isArray(random) ? (random as Record<string, unknown>) : {};
        const { password, ...valid } = generated as Record<string, unknown>;
        const wire: Record<string, unknown> = { schemas: listed, id: "u1", ...base, ...valid, ...odd, ...(withPassword ? { password } : {}) };
        const shortcut = projectResource(wire, schema);
        const full = projectResource(wire, schema, { attributes: [] });
        expect(JSON.stringify(shortcut)).toBe(JSON.stringify(full));
      }),
      { numRuns: 5_000 },
    );
  });

  it("projection without options returns a resource it leaves unchanged as it is, and a copy otherwise", () => {
    const plain = { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], id: "u1", userName: "a", emails: [{ value: "a@example.com", primary: true }], meta: { resourceType: "User" } };
    expect(projectResource(plain, USER)).toBe(plain);
    const withPassword = { ...plain, password: "secret" };
    expect(projectResource(withPassword, USER)).toEqual(plain);
    const withEmptyEmails = { ...plain, emails: [] };
    expect(projectResource(withEmptyEmails, USER)).toEqual({ schemas: plain.schemas, id: "u1", userName: "a", meta: plain.meta });
    const listingAbsentExtension = { ...plain, schemas: [...plain.schemas, ENT] };
    expect(projectResource(listingAbsentExtension, USER)).toEqual(plain);
  });

  it("projection never throws, never returns the password, and always keeps id", () => {
    const all: ResolvedPath[] = [
      ...USER.core.attributes.map((attribute) => ({ schema: USER.core.id, extension: false, attribute })),
      ...ENT_ATTRIBUTES.map((attribute) => ({ schema: ENT, extension: true, attribute })),
    ];
    fc.assert(
      fc.property(user, fc.subarray(all), fc.subarray(all), (body, attributes, excludedAttributes) => {
        const wire = { id: "u1", ...body, password: "p" };
        const projected = projectResource(wire, USER, { attributes, excludedAttributes });
        expect(projected["id"]).toBe("u1");
        expect(projected).not.toHaveProperty("password");
      }),
    );
  });
});

const ENT_ATTRIBUTES = USER.extensions[0]?.attributes ?? [];
