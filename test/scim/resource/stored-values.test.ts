import { describe, expect, it } from "vitest";
import { applyPatch, parsePatchRequest } from "../../../src/scim/patch/index.js";
import { unwrap } from "../../../src/scim/errors.js";
import { parseResourceInput } from "../../../src/scim/resource/parse-resource.js";
import { validateDocument } from "../../../src/scim/resource/validate-document.js";
import { BADGE_SCHEMA_ID, SCHEMAS } from "../patch/support.js";

// docs/decisions/0020: an update is judged on what it changes. A value stored before the schema
// changed (a tenant profile dropped an attribute or extension, or changed its type) is kept as
// stored when the update leaves it unchanged; a changed value is checked as always.

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const OLD = "urn:example:acme:1.0:User";
const USER = SCHEMAS["User"]!;
const BADGE_USER = SCHEMAS["BadgeUser"]!;

/** Stored while the schema accepted it: `level` was a string, `shoeSize` and the OLD extension were declared. */
const STORED = {
  schemas: [CORE, BADGE_SCHEMA_ID, OLD],
  userName: "dana",
  active: true,
  shoeSize: "42",
  [BADGE_SCHEMA_ID]: { level: "three", retired: "yes" },
  [OLD]: { badge: "B-7" },
};

function patch(document: Record<string, unknown>, ...operations: unknown[]) {
  const parsed = unwrap(parsePatchRequest({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: operations }, BADGE_USER));
  return applyPatch(document, parsed, BADGE_USER);
}

describe("values kept as stored", () => {
  it("validateDocument keeps values the stored document holds unchanged and lists what the schema no longer accepts", () => {
    const result = validateDocument({ ...STORED, active: false }, BADGE_USER, { stored: STORED });
    expect(result.ok && result.value.document).toEqual({ ...STORED, active: false });
    expect(result.ok && result.value.keptAsStored).toEqual([
      'attribute "shoeSize" is no longer declared',
      `attribute "${BADGE_SCHEMA_ID}:retired" is no longer declared`,
      `schema extension "${OLD}" is no longer declared`,
      `attribute "${BADGE_SCHEMA_ID}:level": expected a whole number (integer), not a string, got string "three"`,
    ]);
  });

  it("validateDocument refuses the same values without a stored document, or changed", () => {
    expect(validateDocument(STORED, BADGE_USER)).toMatchObject({ ok: false, issue: { code: "invalidSyntax" } });
    const changed = { ...STORED, [BADGE_SCHEMA_ID]: { level: "four", retired: "yes" } };
    expect(validateDocument(changed, BADGE_USER, { stored: STORED })).toEqual({
      ok: false,
      issue: { code: "invalidValue", detail: `attribute "${BADGE_SCHEMA_ID}:level": expected a whole number (integer), not a string, got string "four"` },
    });
    expect(validateDocument({ ...STORED, shoeSize: "43" }, BADGE_USER, { stored: STORED })).toEqual({
      ok: false,
      issue: { code: "invalidSyntax", detail: 'unknown attribute "shoeSize"' },
    });
  });

  it("a PUT repeating the stored values keeps them; one leaving them out drops them", () => {
    const repeated = unwrap(parseResourceInput({ ...STORED, active: false }, BADGE_USER, { mode: "replace", existing: STORED }));
    expect(repeated.document).toEqual({ ...STORED, active: false });
    const omitted = unwrap(parseResourceInput({ schemas: [CORE], userName: "dana" }, BADGE_USER, { mode: "replace", existing: STORED }));
    expect(omitted.document).toEqual({ schemas: [CORE], userName: "dana" });
    expect(omitted.keptAsStored).toBeUndefined();
  });

  it("a PATCH of active only keeps the stale values and reports them", () => {
    const result = unwrap(patch(STORED, { op: "replace", value: { active: false } }));
    expect(result.changed).toBe(true);
    expect(result.document).toEqual({ ...STORED, active: false });
    expect(result.keptAsStored).toHaveLength(4);
  });

  it("a PATCH restating a stale value is no change; setting a new one is checked", () => {
    const restated = unwrap(patch(STORED, { op: "replace", value: { [BADGE_SCHEMA_ID]: { level: "three" }, [OLD]: { badge: "B-7" }, shoeSize: "42" } }));
    expect(restated.changed).toBe(false);
    expect(unwrap(patch(STORED, { op: "replace", path: `${BADGE_SCHEMA_ID}:level`, value: "three" })).changed).toBe(false);
    expect(patch(STORED, { op: "replace", path: `${BADGE_SCHEMA_ID}:level`, value: "four" })).toMatchObject({ ok: false, issue: { code: "invalidValue" } });
    expect(unwrap(patch(STORED, { op: "replace", path: `${BADGE_SCHEMA_ID}:level`, value: 4 })).document[BADGE_SCHEMA_ID]).toEqual({ level: 4, retired: "yes" });
    expect(patch(STORED, { op: "replace", value: { [OLD]: { badge: "B-8" } } })).toMatchObject({ ok: false, issue: { code: "invalidValue" } });
  });

  it("applies to the plain User schema too: an enterprise attribute of another type is kept when unchanged", () => {
    const stored = { schemas: [CORE, ENTERPRISE], userName: "dana", [ENTERPRISE]: { department: 7 } };
    const parsed = unwrap(parsePatchRequest({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] }, USER));
    expect(unwrap(applyPatch(stored, parsed, USER)).document).toEqual({ ...stored, active: false });
  });
});
