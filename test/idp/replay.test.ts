import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, type TestRoster } from "../helpers/roster.js";

/**
 * Replays recorded identity-provider conversations (test/idp/<vendor>/conversations/*.json) against a
 * real Roster over HTTP. Each step sends one request and checks status, headers and a
 * subset of the body; `capture` keeps values (e.g. the created id) for later steps.
 */
interface Step {
  readonly request: { readonly method: string; readonly path: string; readonly body?: unknown; readonly headers?: Record<string, string> };
  readonly expect: {
    readonly status: number;
    readonly headers?: Record<string, string>;
    readonly body?: unknown;
    readonly absent?: readonly string[];
    readonly length?: Record<string, number>;
  };
  readonly capture?: Record<string, string>;
}

interface Conversation {
  readonly description: string;
  readonly steps: readonly Step[];
}

function fill(value: unknown, vars: ReadonlyMap<string, string>): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([^}]+)\}/g, (whole, name: string) => vars.get(name) ?? whole);
  }
  if (Array.isArray(value)) return value.map((element) => fill(element, vars));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, element]) => [key, fill(element, vars)]));
  }
  return value;
}

/** Expected is a subset of actual: objects by key, non-empty arrays as unordered distinct matches, empty arrays exactly. */
function subsetMismatch(expected: unknown, actual: unknown, where: string): string | undefined {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${where}: expected an array, got ${JSON.stringify(actual)}`;
    if (expected.length === 0) return actual.length === 0 ? undefined : `${where}: expected [], got ${JSON.stringify(actual)}`;
    const used = new Set<number>();
    for (const [index, element] of expected.entries()) {
      const match = actual.findIndex((candidate, at) => !used.has(at) && subsetMismatch(element, candidate, where) === undefined);
      if (match === -1) return `${where}[${index}]: no element matches ${JSON.stringify(element)} in ${JSON.stringify(actual)}`;
      used.add(match);
    }
    return undefined;
  }
  if (typeof expected === "object" && expected !== null) {
    if (typeof actual !== "object" || actual === null) return `${where}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [key, element] of Object.entries(expected)) {
      const mismatch = subsetMismatch(element, (actual as Record<string, unknown>)[key], `${where}.${key}`);
      if (mismatch !== undefined) return mismatch;
    }
    return undefined;
  }
  return Object.is(expected, actual) ? undefined : `${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

function at(body: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((value, key) => (typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined), body);
}

const root = new URL(".", import.meta.url).pathname;
const vendors = readdirSync(root, { withFileTypes: true }).filter(
  (entry) => entry.isDirectory() && existsSync(join(root, entry.name, "conversations")),
);

for (const vendor of vendors) {
  describe(`${vendor.name} conversations replayed over HTTP`, () => {
    let roster: TestRoster;
    beforeAll(async () => {
      roster = await startTestRoster();
    });
    afterAll(async () => {
      await roster.close();
    });

    const folder = join(root, vendor.name, "conversations");
    const files = readdirSync(folder).filter((file) => file.endsWith(".json")).sort();
    for (const [index, file] of files.entries()) {
      const conversation = JSON.parse(readFileSync(join(folder, file), "utf8")) as Conversation;
      it(`${file}: ${conversation.description}`, async () => {
        const tenant = await roster.addTenant(`${vendor.name}-${index}`);
        const vars = new Map<string, string>([["base", tenant.baseUrl]]);
        for (const [number, step] of conversation.steps.entries()) {
          const request = fill(step.request, vars) as Step["request"];
          const response = await tenant.scim(request.path, {
            method: request.method,
            ...(request.body === undefined ? {} : { body: request.body }),
            ...(request.headers === undefined ? {} : { headers: request.headers }),
          });
          const label = `step ${number + 1} ${request.method} ${request.path}`;
          expect(response.status, `${label}: ${JSON.stringify(response.body)}`).toBe(step.expect.status);
          const id = typeof response.body?.id === "string" ? response.body.id : "";
          const expected = fill(step.expect, new Map([...vars, ["$.id", id]])) as Step["expect"];
          for (const [name, value] of Object.entries(expected.headers ?? {})) {
            expect(response.headers.get(name), `${label}: header ${name}`).toBe(value);
          }
          if (expected.body !== undefined) {
            expect(subsetMismatch(expected.body, response.body, "body"), label).toBeUndefined();
          }
          for (const path of expected.absent ?? []) {
            expect(at(response.body, path), `${label}: ${path} must be absent`).toBeUndefined();
          }
          for (const [path, length] of Object.entries(expected.length ?? {})) {
            expect((at(response.body, path) as unknown[] | undefined)?.length, `${label}: length of ${path}`).toBe(length);
          }
          if (response.status < 300 && response.body !== undefined) {
            expect(response.headers.get("content-type"), label).toMatch(/^application\/scim\+json/);
          }
          for (const [name, path] of Object.entries(step.capture ?? {})) {
            const value = at(response.body, path);
            expect(typeof value, `${label}: capture ${path}`).toBe("string");
            vars.set(name, value as string);
          }
        }
      });
    }
  });
}
