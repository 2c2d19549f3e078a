import { describe, expect, it } from "vitest";
import type { AttributePath } from "../../../src/scim/filter/ast.js";
import { DEFAULT_FILTER_BUDGET, checkSubstringBudget } from "../../../src/scim/filter/budget.js";
import { parseScimFilter } from "../../../src/scim/filter/parse.js";
import { parsePatchPath } from "../../../src/scim/path.js";

const { maxTerms, maxValuePaths, maxDepth, maxUnindexedSubstrings } = DEFAULT_FILTER_BUDGET;

function terms(count: number, join: "and" | "or", term: (i: number) => string = (i) => `title eq "${i}"`): string {
  return Array.from({ length: count }, (_, i) => term(i)).join(` ${join} `);
}

/** `not (not (… title pr …))`, `levels` deep. */
function nots(levels: number): string {
  return `${"not (".repeat(levels)}title pr${")".repeat(levels)}`;
}

function refusal(text: string): string | undefined {
  const result = parseScimFilter(text);
  if (result.ok) return undefined;
  expect(result.issue.code).toBe("invalidFilter");
  return result.issue.detail;
}

describe("the filter complexity budget", () => {
  it("leaves the filters identity providers send alone", () => {
    for (const text of [
      'userName eq "bjensen@example.com"',
      'externalId eq "00u1abcd"',
      'displayName eq "Engineering"',
      'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
      'emails[type eq "work" and value co "@example.com"] or userName sw "j"',
      'not (active eq false) and meta.lastModified gt "2011-05-13T04:42:34Z"',
    ]) {
      expect(parseScimFilter(text).ok, text).toBe(true);
    }
  });

  it(`accepts ${maxTerms} terms and refuses ${maxTerms + 1} with invalidFilter naming the limit and the count`, () => {
    expect(refusal(terms(maxTerms, "or"))).toBeUndefined();
    expect(refusal(terms(maxTerms + 1, "or"))).toBe(`filter: ${maxTerms + 1} terms (comparisons and pr); at most ${maxTerms} are allowed in one filter`);
  });

  it("counts the terms inside value paths", () => {
    const paths = (inside: number) => terms(6, "and", (i) => `emails[${terms(inside, "or", (j) => `type eq "${i}-${j}"`)}]`);
    expect(refusal(paths(16))).toBeUndefined();
    expect(refusal(paths(17))).toBe(`filter: 102 terms (comparisons and pr); at most ${maxTerms} are allowed in one filter`);
  });

  it(`refuses the issue's filter: an and of 180 value paths with ew, ${maxValuePaths} being the limit`, () => {
    const text = terms(180, "and", (i) => `emails[value ew "@mail.subdomain-${String(i).padStart(3, "0")}.example.com"]`);
    expect(text.length).toBe(9_895);
    expect(refusal(text)).toBe(`filter: 180 value paths (attribute[…]); at most ${maxValuePaths} are allowed in one filter`);
    expect(refusal(terms(maxValuePaths, "and", (i) => `emails[value ew "${i}"]`))).toBeUndefined();
    expect(refusal(terms(maxValuePaths + 1, "and", (i) => `emails[value ew "${i}"]`))).toContain(`${maxValuePaths + 1} value paths`);
  });

  it(`counts nesting levels of not, value paths and alternating and/or: ${maxDepth} pass, ${maxDepth + 1} do not`, () => {
    expect(refusal(nots(maxDepth))).toBeUndefined();
    expect(refusal(nots(maxDepth + 1))).toBe(
      `filter: nested ${maxDepth + 1} levels deep (and/or groups, not, value paths); at most ${maxDepth} levels are allowed`,
    );
    // a or (b and (c or (d and …))): every bracket alternates, so opens a level.
    const alternating = (levels: number) => {
      let text = "title pr";
      for (let i = 0; i < levels; i++) text = `nickName eq "${i}" ${i % 2 === 0 ? "and" : "or"} (${text})`;
      return text;
    };
    expect(refusal(alternating(maxDepth))).toBeUndefined();
    expect(refusal(alternating(maxDepth + 1))).toContain(`nested ${maxDepth + 1} levels deep`);
  });

  it("does not count brackets that change nothing, nor the length of an and/or chain, as depth", () => {
    expect(refusal(`((((((((((((title pr))))))))))))`)).toBeUndefined();
    expect(refusal(terms(maxTerms, "and"))).toBeUndefined();
    expect(refusal(`(${terms(40, "and")}) or (${terms(40, "or")})`)).toBeUndefined();
  });

  it("applies to a PATCH path's value filter, as invalidPath naming the limit", () => {
    const result = parsePatchPath(`emails[${terms(maxTerms + 1, "or", (i) => `type eq "${i}"`)}].value`);
    expect(result).toEqual({
      ok: false,
      issue: { code: "invalidPath", detail: `path: value filter: ${maxTerms + 1} terms (comparisons and pr); at most ${maxTerms} are allowed in one filter` },
    });
    expect(parsePatchPath(`emails[${terms(maxTerms, "or", (i) => `type eq "${i}"`)}].value`).ok).toBe(true);
  });

  it(`allows ${maxUnindexedSubstrings} substring comparisons on unindexed attributes and refuses one more, whatever the indexed ones`, () => {
    const indexed = (path: AttributePath) => path.attribute === "userName";
    const text = (unindexed: number) =>
      [terms(unindexed, "or", (i) => `title co "${i}"`), terms(20, "or", (i) => `userName sw "${i}"`), 'title eq "x"'].join(" or ");
    expect(checkSubstringBudget(unwrapParsed(text(maxUnindexedSubstrings)), indexed)).toEqual({ ok: true, value: null });
    expect(checkSubstringBudget(unwrapParsed(text(maxUnindexedSubstrings + 1)), indexed)).toEqual({
      ok: false,
      issue: {
        code: "invalidFilter",
        detail: `filter: ${maxUnindexedSubstrings + 1} substring comparisons (co, sw, ew) on attributes without an index; at most ${maxUnindexedSubstrings} are allowed (see docs/filters.md for the indexed attributes)`,
      },
    });
  });
});

function unwrapParsed(text: string) {
  const result = parseScimFilter(text);
  if (!result.ok) throw new Error(result.issue.detail);
  return result.value;
}
