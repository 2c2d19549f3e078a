import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { applyPatch, parsePatchRequest, type PatchQuirks } from "../../../src/scim/patch/index.js";
import { deepFreeze, PATCH_OP, printExternal, SCHEMAS } from "./support.js";

/**
 * Each fixtures/*.json file: `{ resource, cases: [...] }`, and each case:
 * `name` (a contract statement), `before` (the stored document), `operations` (the
 * request's Operations; or a whole `body`), optional `options` ({ externalAttributes,
 * quirks }), then either `after` (+ optional `changed`, `external`, `writeOnly`) or
 * `error: { code, detail }` where `detail` is a fragment of the message.
 */
interface Case {
  readonly name: string;
  readonly before: Record<string, unknown>;
  readonly operations?: unknown;
  readonly body?: unknown;
  readonly options?: { readonly externalAttributes?: readonly string[]; readonly quirks?: Partial<PatchQuirks> };
  readonly after?: Record<string, unknown>;
  readonly changed?: boolean;
  readonly external?: unknown[];
  readonly writeOnly?: Record<string, unknown>;
  readonly error?: { readonly code: string; readonly detail: string };
}

const directory = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

for (const file of readdirSync(directory).filter((name) => name.endsWith(".json"))) {
  const fixture = JSON.parse(readFileSync(join(directory, file), "utf8")) as { resource: string; cases: Case[] };
  const schema = SCHEMAS[fixture.resource];
  if (schema === undefined) throw new Error(`${file}: unknown resource ${fixture.resource}`);

  describe(`PATCH fixtures: ${file}`, () => {
    for (const testCase of fixture.cases) {
      it(testCase.name, () => {
        const body = testCase.body ?? { schemas: [PATCH_OP], Operations: testCase.operations };
        const before = deepFreeze(structuredClone(testCase.before));
        const quirks = testCase.options?.quirks;
        const parsed = parsePatchRequest(deepFreeze(structuredClone(body)), schema, quirks === undefined ? {} : { quirks });
        const result = parsed.ok
          ? applyPatch(before, parsed.value, schema, {
              externalAttributes: new Set(testCase.options?.externalAttributes ?? []),
              ...(quirks === undefined ? {} : { quirks }),
            })
          : parsed;

        expect(before).toEqual(testCase.before);
        if (testCase.error !== undefined) {
          expect(result.ok ? result.value : result.issue).toMatchObject({ code: testCase.error.code });
          if (!result.ok) expect(result.issue.detail).toContain(testCase.error.detail);
          return;
        }
        if (!result.ok) throw new Error(`unexpected ${result.issue.code}: ${result.issue.detail}`);
        expect(result.value.document).toEqual(testCase.after);
        if (testCase.changed !== undefined) expect(result.value.changed).toBe(testCase.changed);
        expect(printExternal(result.value.external)).toEqual(testCase.external ?? []);
        expect(result.value.writeOnly).toEqual(testCase.writeOnly ?? {});
      });
    }
  });
}
