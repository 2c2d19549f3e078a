import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { applyPatch, parsePatchRequest, type PatchQuirks } from "../../../src/scim/patch/index.js";
import { deepFreeze, printExternal, SCHEMAS } from "./support.js";

/**
 * Replays recorded-style IdP PATCH requests (test/idp/<vendor>/patch/*.json) at the pure
 * level: the request body applied to `before` gives `after` (+ `external`, `writeOnly`).
 * Every quirk a fixture names must be needed: with that one quirk off the request fails.
 * Groups are patched with `members` external, as the HTTP layer does.
 */
interface IdpFixture {
  readonly description: string;
  readonly resource: string;
  readonly quirks: readonly (keyof PatchQuirks)[];
  readonly request: { readonly body: unknown };
  readonly before: Record<string, unknown>;
  readonly after: Record<string, unknown>;
  readonly external?: unknown[];
  readonly writeOnly?: Record<string, unknown>;
}

const idp = join(dirname(fileURLToPath(import.meta.url)), "../../idp");

function replay(fixture: IdpFixture, quirks: Partial<PatchQuirks>) {
  const schema = SCHEMAS[fixture.resource];
  if (schema === undefined) throw new Error(`unknown resource ${fixture.resource}`);
  const parsed = parsePatchRequest(fixture.request.body, schema, { quirks });
  if (!parsed.ok) return parsed;
  const externalAttributes = new Set(fixture.resource === "Group" ? ["members"] : []);
  return applyPatch(fixture.before, parsed.value, schema, { externalAttributes, quirks });
}

for (const vendor of ["okta", "entra"]) {
  const directory = join(idp, vendor, "patch");
  describe(`${vendor} PATCH requests replayed on documents`, () => {
    for (const file of readdirSync(directory).filter((name) => name.endsWith(".json")).sort()) {
      const fixture = deepFreeze(JSON.parse(readFileSync(join(directory, file), "utf8")) as IdpFixture);

      it(`applies ${file}: ${fixture.description}`, () => {
        const result = replay(fixture, {});
        if (!result.ok) throw new Error(`unexpected ${result.issue.code}: ${result.issue.detail}`);
        expect(result.value.document).toEqual(fixture.after);
        expect(printExternal(result.value.external)).toEqual(fixture.external ?? []);
        expect(result.value.writeOnly).toEqual(fixture.writeOnly ?? {});
      });

      for (const quirk of fixture.quirks) {
        it(`rejects ${file} without the ${quirk} quirk`, () => {
          const result = replay(fixture, { [quirk]: false });
          expect(result.ok).toBe(false);
        });
      }
    }
  });
}
