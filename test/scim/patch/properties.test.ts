import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyPatch, parsePatchRequest } from "../../../src/scim/patch/index.js";
import { deepFreeze, PATCH_OP, SCHEMAS } from "./support.js";

const PATHS = [
  "userName",
  "title",
  "active",
  "name",
  "name.givenName",
  "emails",
  "emails.value",
  "emails[type eq \"work\"]",
  "emails[type eq \"work\"].value",
  "emails[primary eq true].primary",
  "emails[type eq \"work\" or value co \"@\"].display",
  "roles",
  "groups",
  "id",
  "meta.created",
  "members",
  "members[value eq \"u1\"]",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
  "emails[type eq",
  "unknown",
  "",
];

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom("True", "false", "", "b@example.com", true, false, null, 1.5),
  fc.record({ value: fc.string(), type: fc.constantFrom("work", "home"), primary: fc.boolean() }, { requiredKeys: [] }),
  fc.array(fc.record({ value: fc.string(), type: fc.constantFrom("work", "home"), primary: fc.boolean() }, { requiredKeys: ["value"] }), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom("title", "active", "emails", "id", "members", "name", "__proto__", "schemas", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), fc.jsonValue({ maxDepth: 2 })),
);

const operation = fc.record(
  {
    op: fc.oneof(fc.constantFrom("add", "replace", "remove", "Add", "Replace", "Remove"), fc.string()),
    path: fc.oneof(fc.constantFrom(...PATHS), fc.string(), fc.jsonValue({ maxDepth: 1 })),
    value,
  },
  { requiredKeys: [] },
);

const email = fc.record({ value: fc.emailAddress(), type: fc.constantFrom("work", "home"), primary: fc.boolean() }, { requiredKeys: ["value"] });

/** Operations whose path and value fit the schema, so that most reach the apply step. */
const wellTyped = fc.oneof(
  fc.record({ op: fc.constantFrom("add", "replace"), path: fc.constantFrom("title", "name.givenName", "displayName"), value: fc.string() }),
  fc.record({ op: fc.constantFrom("add", "replace"), path: fc.constant("active"), value: fc.oneof(fc.boolean(), fc.constantFrom("True", "False")) }),
  fc.record({ op: fc.constantFrom("add", "replace"), path: fc.constant("emails"), value: fc.array(email, { maxLength: 3 }) }),
  fc.record({ op: fc.constantFrom("add", "Replace"), path: fc.constantFrom('emails[type eq "work"].value', 'emails[type eq "home"].display'), value: fc.string() }),
  fc.record({ op: fc.constantFrom("add", "replace"), path: fc.constant('emails[value ew "example.com"].primary'), value: fc.boolean() }),
  fc.record({ op: fc.constant("remove"), path: fc.constantFrom("title", "emails", 'emails[type eq "work"]', "name.givenName", "userName") }),
  fc.record({ op: fc.constantFrom("add", "replace"), value: fc.record({ title: fc.string(), active: fc.boolean(), emails: fc.array(email, { maxLength: 2 }) }, { requiredKeys: [] }) }),
  fc.record({ op: fc.constantFrom("add", "replace", "remove"), path: fc.constant("members"), value: fc.array(fc.record({ value: fc.string() }), { maxLength: 2 }) }),
);

const body = fc.oneof(
  fc.record({ schemas: fc.constant([PATCH_OP]), Operations: fc.array(wellTyped, { minLength: 1, maxLength: 5 }) }),
  fc.record({ schemas: fc.constant([PATCH_OP]), Operations: fc.array(operation, { minLength: 1, maxLength: 4 }) }),
  fc.record({ schemas: fc.anything(), Operations: fc.anything() }, { requiredKeys: [] }),
  fc.anything(),
);

const document = fc.record(
  {
    userName: fc.string({ minLength: 1 }),
    title: fc.string(),
    emails: fc.array(fc.record({ value: fc.string(), type: fc.constantFrom("work", "home"), primary: fc.boolean() }, { requiredKeys: [] }), { maxLength: 3 }),
  },
  { requiredKeys: ["userName"] },
);

describe("PATCH properties", () => {
  it("returns a Result and never throws for any body, valid-shaped or not", () => {
    fc.assert(
      fc.property(body, document, fc.boolean(), (raw, before, external) => {
        for (const schema of [SCHEMAS["User"], SCHEMAS["Group"]]) {
          if (schema === undefined) continue;
          const parsed = parsePatchRequest(raw, schema);
          expect(typeof parsed.ok).toBe("boolean");
          if (!parsed.ok) {
            expect(parsed.issue.detail.length).toBeGreaterThan(0);
            continue;
          }
          const result = applyPatch(before, parsed.value, schema, { externalAttributes: new Set(external ? ["members"] : []) });
          expect(typeof result.ok).toBe("boolean");
        }
      }),
      { numRuns: 400 },
    );
  });

  it("never mutates the document it is given", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(wellTyped, operation), { minLength: 1, maxLength: 4 }), document, (operations, before) => {
        const schema = SCHEMAS["User"];
        if (schema === undefined) return;
        const snapshot = structuredClone(before);
        const parsed = parsePatchRequest({ schemas: [PATCH_OP], Operations: operations }, schema);
        if (parsed.ok) applyPatch(deepFreeze(before), parsed.value, schema);
        expect(before).toEqual(snapshot);
      }),
      { numRuns: 300 },
    );
  });

  it("leaves the document untouched and returns no changes when any operation fails", () => {
    const schema = SCHEMAS["User"];
    if (schema === undefined) throw new Error("no User schema");
    const before = deepFreeze({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "bjensen", title: "Guide" });
    const parsed = parsePatchRequest(
      { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "Lead" }, { op: "remove", path: "userName" }] },
      schema,
    );
    if (!parsed.ok) throw new Error(parsed.issue.detail);
    const result = applyPatch(before, parsed.value, schema);
    expect(result).toEqual({ ok: false, issue: { code: "mutability", detail: expect.stringContaining("Operations[1]") } });
    expect(before).toEqual({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "bjensen", title: "Guide" });
  });
});
