import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantSchemas } from "../../src/directory/schemas.js";
import type { Filter } from "../../src/scim/filter/ast.js";
import { DEFAULT_FILTER_BUDGET } from "../../src/scim/filter/budget.js";
import { resolveFilter } from "../../src/scim/filter/resolve.js";
import { StoreFilterError } from "../../src/store/store.js";
import { startTestRoster, testDatabaseKind, type TestRoster, type TestTenant } from "../helpers/roster.js";

const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const { maxTerms, maxValuePaths, maxDepth, maxUnindexedSubstrings } = DEFAULT_FILTER_BUDGET;

let roster: TestRoster;
let t: TestTenant;

beforeAll(async () => {
  roster = await startTestRoster();
  t = await roster.addTenant("budget");
  for (let i = 0; i < 5; i++) {
    const created = await t.scim("/Users", {
      body: { userName: `user${i}@example.com`, title: `title-${i}`, emails: [{ value: `user${i}@example.com`, type: "work" }] },
    });
    expect(created.status).toBe(201);
  }
});
afterAll(async () => {
  await roster.close();
});

function join(count: number, operator: "and" | "or", term: (i: number) => string): string {
  return Array.from({ length: count }, (_, i) => term(i)).join(` ${operator} `);
}

function list(filter: string) {
  return t.scim(`/Users?filter=${encodeURIComponent(filter)}`);
}

function expectInvalidFilter(response: { status: number; body: any }, detail: string): void {
  expect(response.status).toBe(400);
  expect(response.body).toEqual({ schemas: [ERROR], status: "400", scimType: "invalidFilter", detail });
}

/** The issue's filter: an `and` of 180 value paths with `ew`, 9,895 characters. */
const ISSUE_FILTER = join(180, "and", (i) => `emails[value ew "@mail.subdomain-${String(i).padStart(3, "0")}.example.com"]`);
const VALUE_PATHS_REFUSED = `filter: 180 value paths (attribute[…]); at most ${maxValuePaths} are allowed in one filter`;

describe("the filter complexity budget over HTTP", () => {
  it("refuses the issue's 9,895-character filter of 180 value paths with 400 invalidFilter naming the limit, on GET and POST .search", async () => {
    expect(ISSUE_FILTER.length).toBe(9_895);
    expectInvalidFilter(await list(ISSUE_FILTER), VALUE_PATHS_REFUSED);
    expectInvalidFilter(await t.scim("/Users/.search", { body: { schemas: [SEARCH], filter: ISSUE_FILTER } }), VALUE_PATHS_REFUSED);
    expectInvalidFilter(await t.scim("/.search", { body: { schemas: [SEARCH], filter: ISSUE_FILTER } }), VALUE_PATHS_REFUSED);
  });

  it("refuses 996 or terms with 400 invalidFilter naming the term limit, never 500", async () => {
    // Short terms, so that the filter stays under the 10,000-character limit as the fuzzer's did.
    const filter = join(996, "or", () => "id pr");
    expect(filter.length).toBeLessThan(10_000);
    expectInvalidFilter(await t.scim("/Users/.search", { body: { schemas: [SEARCH], filter } }), `filter: 996 terms (comparisons and pr); at most ${maxTerms} are allowed in one filter`);
    expectInvalidFilter(await t.scim("/Groups/.search", { body: { schemas: [SEARCH], filter } }), `filter: 996 terms (comparisons and pr); at most ${maxTerms} are allowed in one filter`);
  });

  it("answers the largest filters within the budget correctly on the database", async () => {
    // Every term on the JSON document (no index), left-deep as the parser builds it.
    const wide = join(maxTerms, "or", (i) => `title eq "title-${i}"`);
    // not × 7, the and of value paths, each value path and its inner and: 10 levels.
    const deep = `${"not (".repeat(maxDepth - 3)}${join(maxValuePaths, "and", (i) => `emails[type eq "work" and value ew "${i % 5}@example.com"]`)}${")".repeat(maxDepth - 3)}`;
    const substrings = join(maxUnindexedSubstrings, "or", (i) => `title co "-${i}"`);
    const mixed = `(${join(40, "or", (i) => `nickName eq "n${i}"`)}) or (${join(maxValuePaths, "or", (i) => `emails[value sw "user${i}"]`)}) or (${join(40, "or", (i) => `userName co "${i}@"`)})`;
    const answers = await Promise.all([list(wide), list(deep), list(substrings), list(mixed)]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((answer) => answer.body.totalResults)).toEqual([5, 5, 5, 5]);
  });

  it(`refuses more than ${maxUnindexedSubstrings} substring comparisons on unindexed attributes, and allows them on indexed ones`, async () => {
    expectInvalidFilter(
      await list(join(maxUnindexedSubstrings + 1, "or", (i) => `title co "${i}"`)),
      `filter: ${maxUnindexedSubstrings + 1} substring comparisons (co, sw, ew) on attributes without an index; at most ${maxUnindexedSubstrings} are allowed (see docs/filters.md for the indexed attributes)`,
    );
    const indexed = await list(join(maxUnindexedSubstrings * 3, "or", (i) => `userName co "${i}@" or externalId sw "${i}"`));
    expect(indexed.status).toBe(200);
    expect(indexed.body.totalResults).toBe(5);
  });

  it("refuses a PATCH value-path filter past the budget with 400 naming the limit, and applies one within it", async () => {
    const user = (await list('userName eq "user0@example.com"')).body.Resources[0];
    const past = await t.scim(`/Users/${user.id}`, {
      method: "PATCH",
      body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: `emails[${join(maxTerms + 1, "or", (i) => `type eq "t${i}"`)}].value`, value: "x@example.com" }] },
    });
    expect(past.status).toBe(400);
    expect(past.body.schemas).toEqual([ERROR]);
    expect(past.body.detail).toBe(`Operations[0]: path: value filter: ${maxTerms + 1} terms (comparisons and pr); at most ${maxTerms} are allowed in one filter`);
    const within = await t.scim(`/Users/${user.id}`, {
      method: "PATCH",
      body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: `emails[${join(maxTerms, "or", (i) => `type eq "${i === 0 ? "work" : `t${i}`}"`)}].type`, value: "home" }] },
    });
    expect(within.status).toBe(200);
    expect(within.body.emails).toEqual([{ value: "user0@example.com", type: "home" }]);
  });
});

describe("a filter the database itself refuses as too complex", () => {
  it(`is a StoreFilterError (400 invalidFilter), never a database error: 996 or terms past the budget on ${testDatabaseKind()}`, async () => {
    let filter: Filter = { kind: "compare", path: { attribute: "title" }, op: "eq", value: "t0" };
    for (let i = 1; i < 996; i++) filter = { kind: "or", left: filter, right: { kind: "compare", path: { attribute: "title" }, op: "eq", value: `t${i}` } };
    const resolved = resolveFilter(filter, tenantSchemas().byKind.User);
    if (!resolved.ok) throw new Error(resolved.issue.detail);
    const outcome = await roster.store
      .read((session) => session.queryResources(t.tenant.id, "User", { filter: resolved.value, count: 10, startIndex: 1 }))
      .then(
        (page) => ({ answered: page.totalResults }),
        (error: unknown) => ({ refused: error instanceof StoreFilterError ? "StoreFilterError" : String(error) }),
      );
    // SQLite's expression depth limit is 1,000 (https://www.sqlite.org/limits.html); PostgreSQL evaluates it.
    expect(outcome).toEqual(testDatabaseKind() === "sqlite" ? { refused: "StoreFilterError" } : { answered: 0 });
  });
});
