import { describe, expect, it } from "vitest";
import { describeDeepNesting, findDeepNesting, isBulkOperationData, MAX_NESTING_DEPTH } from "../../src/scim/nesting.js";
import { MAX_LOGGED_DEPTH, redactBody } from "../../src/http/request-log.js";

/** `depth` arrays, one inside the other: `[[[]]]` is 3 deep. */
function nestedArrays(depth: number): unknown {
  return JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`);
}

/** `{"a":{"a":…{"a":1}}}`, `depth` objects deep. */
function nestedObjects(depth: number): unknown {
  return JSON.parse(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);
}

describe("findDeepNesting", () => {
  it.each([
    ["a string", "text"],
    ["a number", 3],
    ["null", null],
    ["an empty object", {}],
    ["a flat resource", { schemas: ["urn:x"], userName: "a", emails: [{ value: "a@x.io" }] }],
  ])("finds nothing in %s", (_name, value) => {
    expect(findDeepNesting(value)).toBeUndefined();
  });

  it("accepts exactly MAX_NESTING_DEPTH levels and refuses one more, naming the path", () => {
    expect(findDeepNesting(nestedObjects(MAX_NESTING_DEPTH))).toBeUndefined();
    expect(findDeepNesting(nestedArrays(MAX_NESTING_DEPTH))).toBeUndefined();
    expect(findDeepNesting(nestedObjects(MAX_NESTING_DEPTH + 1))).toEqual({ path: Array(MAX_NESTING_DEPTH).fill("a").join(".") });
    expect(findDeepNesting(nestedArrays(MAX_NESTING_DEPTH + 1))).toEqual({ path: "[0]".repeat(MAX_NESTING_DEPTH) });
  });

  it("counts a scalar inside the deepest container as no level of its own", () => {
    expect(findDeepNesting(nestedObjects(3), 3)).toBeUndefined();
    expect(findDeepNesting(nestedObjects(4), 3)).toEqual({ path: "a.a.a" });
  });

  it("finds deep nesting past shallow siblings, in the element that holds it", () => {
    const body = { schemas: ["urn:x"], emails: [{ value: "a" }, { value: nestedArrays(40) }] };
    const found = findDeepNesting(body);
    expect(found?.path).toMatch(/^emails\[1\]\.value(\[0\])+$/);
  });

  it("checks a body nested a million levels deep without overflowing the stack", () => {
    const depth = 1_000_000;
    const body = nestedArrays(depth);
    expect(() => JSON.stringify(body)).toThrow(RangeError);
    const found = findDeepNesting(body);
    expect(found).toBeDefined();
    expect(describeDeepNesting("the request body", found!)).toBe(
      `the request body nests objects and arrays deeper than 32 levels at ${"[0]".repeat(32)}; no attribute needs more than 32`,
    );
  });

  it("shows at most 200 characters of a long path", () => {
    const key = "k".repeat(30);
    const body = JSON.parse(`${`{"${key}":`.repeat(40)}1${"}".repeat(40)}`);
    const found = findDeepNesting(body);
    expect(found?.path).toBe(`${Array(32).fill(key).join(".").slice(0, 200)}…`);
  });

  it("leaves a /Bulk operation's data to be measured on its own, but not the rest of the envelope", () => {
    const deep = nestedObjects(10_000);
    const bulk = (operation: Record<string, unknown>) => ({ schemas: ["urn:x"], Operations: [{ method: "POST", path: "/Users" }, operation] });
    expect(findDeepNesting(bulk({ method: "POST", path: "/Users", data: deep }), MAX_NESTING_DEPTH, isBulkOperationData)).toBeUndefined();
    expect(findDeepNesting(bulk({ method: "POST", path: "/Users", extra: deep }), MAX_NESTING_DEPTH, isBulkOperationData)?.path).toMatch(
      /^Operations\[1\]\.extra(\.a)+$/,
    );
    expect(findDeepNesting({ data: deep }, MAX_NESTING_DEPTH, isBulkOperationData)).toBeDefined();
    expect(findDeepNesting({ Operations: { data: deep } }, MAX_NESTING_DEPTH, isBulkOperationData)).toBeDefined();
  });
});

describe("redactBody", () => {
  it("logs a body nested past MAX_LOGGED_DEPTH as a note instead of throwing", () => {
    expect(redactBody(nestedArrays(100_000))).toBe(`[body nested deeper than ${MAX_LOGGED_DEPTH} levels: not logged]`);
    expect(redactBody(nestedArrays(MAX_LOGGED_DEPTH + 1))).toBe(`[body nested deeper than ${MAX_LOGGED_DEPTH} levels: not logged]`);
  });

  it("logs a body of MAX_LOGGED_DEPTH levels in full, secrets redacted", () => {
    const body = { password: "Secret!", deep: nestedObjects(MAX_LOGGED_DEPTH - 1) };
    const logged = redactBody(body);
    expect(JSON.parse(logged!)).toEqual({ password: "[redacted]", deep: nestedObjects(MAX_LOGGED_DEPTH - 1) });
  });
});
