import { describe, expect, it } from "vitest";
import type { Filter } from "../../../src/scim/filter/ast.js";
import { MAX_FILTER_DEPTH, MAX_FILTER_LENGTH, formatScimFilter, parseScimFilter } from "../../../src/scim/filter/parse.js";
import fixtures from "./parse.fixtures.json" with { type: "json" };

const valid = fixtures.valid as unknown as readonly { filter: string; ast: Filter }[];

describe("parseScimFilter", () => {
  it.each(valid)("parses $filter", ({ filter, ast }) => {
    expect(parseScimFilter(filter)).toEqual({ ok: true, value: ast });
  });

  it.each(fixtures.invalid)("rejects $filter with invalidFilter: $error", ({ filter, error }) => {
    const result = parseScimFilter(filter);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issue.code).toBe("invalidFilter");
    expect(result.issue.detail).toMatch(/^filter: /);
    expect(result.issue.detail).toContain(error);
  });

  it(`rejects nesting deeper than ${MAX_FILTER_DEPTH} levels with a clear error`, () => {
    const deep = `${"(".repeat(MAX_FILTER_DEPTH + 1)}title pr${")".repeat(MAX_FILTER_DEPTH + 1)}`;
    const result = parseScimFilter(deep);
    expect(result).toEqual({
      ok: false,
      issue: { code: "invalidFilter", detail: `filter: nesting deeper than ${MAX_FILTER_DEPTH} levels at column ${MAX_FILTER_DEPTH + 1}` },
    });
  });

  it(`accepts exactly ${MAX_FILTER_DEPTH} levels of parentheses`, () => {
    const text = `${"(".repeat(MAX_FILTER_DEPTH)}title pr${")".repeat(MAX_FILTER_DEPTH)}`;
    expect(parseScimFilter(text).ok).toBe(true);
  });

  it("rejects a deeply nested adversarial filter without exhausting the stack", () => {
    const result = parseScimFilter("(".repeat(9_000));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issue.detail).toContain("nesting deeper than");
  });

  it(`rejects filters longer than ${MAX_FILTER_LENGTH} characters`, () => {
    const result = parseScimFilter(`userName eq "${"x".repeat(MAX_FILTER_LENGTH)}"`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issue.detail).toContain(`longer than ${MAX_FILTER_LENGTH} characters`);
  });

  it("parses a long chain of or without recursion trouble, and refuses it past the budget's terms", () => {
    const text = Array.from({ length: 600 }, (_, i) => `id eq "${i}"`).join(" or ");
    expect(parseScimFilter(text)).toEqual({
      ok: false,
      issue: { code: "invalidFilter", detail: "filter: 600 terms (comparisons and pr); at most 100 are allowed in one filter" },
    });
  });
});

describe("formatScimFilter", () => {
  it.each(valid)("prints $filter so that it parses back to the same AST", ({ ast }) => {
    expect(parseScimFilter(formatScimFilter(ast))).toEqual({ ok: true, value: ast });
  });

  it.each([
    ['userName eq "bjensen"', 'userName eq "bjensen"'],
    ["a pr or (b pr or c pr)", "a pr or (b pr or c pr)"],
    ["(a pr or b pr) and c pr", "(a pr or b pr) and c pr"],
    ["a pr and (b pr and c pr)", "a pr and (b pr and c pr)"],
    ["NOT(a pr)", "not (a pr)"],
    ['emails[type eq "work"]', 'emails[type eq "work"]'],
    ["a eq -0", "a eq -0"],
  ])("prints %s as %s", (input, printed) => {
    const parsed = parseScimFilter(input);
    expect(parsed.ok && formatScimFilter(parsed.value)).toBe(printed);
  });
});
