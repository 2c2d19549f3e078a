import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenantSchemas } from "../../src/directory/schemas.js";
import { evaluateFilter } from "../../src/scim/filter/evaluate.js";
import { formatScimFilter, parseScimFilter } from "../../src/scim/filter/parse.js";
import { resolveFilter } from "../../src/scim/filter/resolve.js";
import { compareCodePoints, foldCase } from "../../src/scim/filter/values.js";
import type { ResourceKind } from "../../src/store/store.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

/**
 * Filters are compiled to SQL by the store; src/scim/filter/evaluate.ts is the reference
 * semantics. Over HTTP, every filter that answers 200 must select exactly the resources
 * the reference evaluator selects from the served documents, and a filter the reference
 * accepts must not be refused.
 */
const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

let roster: TestRoster;
let t: TestTenant;
const served: Record<ResourceKind, Record<string, unknown>[]> = { User: [], Group: [] };

const USERS: readonly Record<string, unknown>[] = [
  {
    userName: "alice@example.com",
    externalId: "A-1",
    displayName: "Alice Ämble",
    title: "Engineer",
    active: true,
    name: { givenName: "Alice", familyName: "Ämble" },
    emails: [
      { value: "alice@example.com", type: "work", primary: true },
      { value: "Alice@Home.org", type: "home" },
    ],
    [ENTERPRISE]: { department: "R&D", employeeNumber: "10", manager: { value: "boss-1" } },
  },
  { userName: "BOB@example.com", externalId: "a-1", displayName: "bob", active: false, emails: [{ value: "bob@corp.net", type: "work" }] },
  { userName: "carol", title: "engineer", active: true, emails: [{ value: "carol@example.com" }], [ENTERPRISE]: { department: "Sales" } },
  { userName: "dave_%x", displayName: "", title: "Zed", name: { familyName: "Dune" } },
  { userName: "émile@example.com", nickName: "Em", active: true, [ENTERPRISE]: { employeeNumber: "9", manager: { value: "boss-2" } } },
  { userName: "frank@EXAMPLE.com", emails: [{ value: "frank@example.com", type: "other", primary: false }, { value: "f@x.io", type: "work" }] },
];

const STRINGS = [
  "alice@example.com",
  "ALICE@EXAMPLE.COM",
  "bob",
  "example",
  "EXAMPLE",
  ".com",
  "@",
  "A-1",
  "a-1",
  "Engineer",
  "engineer",
  "work",
  "home",
  "R&D",
  "Sales",
  "boss-1",
  "Ä",
  "ä",
  "é",
  "%",
  "_",
  "",
  "Zed",
  "10",
  "9",
  "Alice",
  "Dune",
];

const PATHS_BY_KIND: Record<ResourceKind, readonly string[]> = {
  User: [
    "userName",
    "externalId",
    "displayName",
    "nickName",
    "title",
    "active",
    "name.givenName",
    "name.familyName",
    "emails",
    "emails.value",
    "emails.type",
    "emails.primary",
    "groups.value",
    "groups.display",
    "meta.created",
    "meta.lastModified",
    "id",
    `${ENTERPRISE}:department`,
    `${ENTERPRISE}:employeeNumber`,
    `${ENTERPRISE}:manager.value`,
  ],
  Group: ["displayName", "externalId", "members", "members.value", "members.display", "members.type", "meta.lastModified", "id"],
};

const VALUE_PATHS_BY_KIND: Record<ResourceKind, readonly [string, readonly string[]][]> = {
  User: [
    ["emails", ["value", "type", "primary"]],
    ["groups", ["value", "display"]],
  ],
  Group: [["members", ["value", "display", "type"]]],
};

function literal(kind: ResourceKind): fc.Arbitrary<string> {
  const ids = () => served[kind].map((resource) => resource.id as string);
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...STRINGS).map((text) => JSON.stringify(text)) },
    { weight: 1, arbitrary: fc.constantFrom("true", "false", "null", "10", "9") },
    { weight: 1, arbitrary: fc.constantFrom('"2000-01-01T00:00:00Z"', '"2999-01-01T00:00:00Z"', '"2000-01-01"') },
    { weight: 1, arbitrary: fc.nat().map((index) => JSON.stringify(ids()[index % Math.max(ids().length, 1)] ?? "none")) },
    { weight: 1, arbitrary: fc.constantFrom("User", "Group", "bob", "Alice Ämble").map((text) => JSON.stringify(text)) },
  );
}

const OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"] as const;

function filterFor(kind: ResourceKind): fc.Arbitrary<string> {
  const comparison = (paths: readonly string[]) =>
    fc.oneof(
      fc.tuple(fc.constantFrom(...paths), fc.constantFrom(...OPS), literal(kind)).map(([path, op, value]) => `${path} ${op} ${value}`),
      fc.constantFrom(...paths).map((path) => `${path} pr`),
    );
  const inner = (subs: readonly string[]): fc.Arbitrary<string> =>
    fc.oneof(
      comparison(subs),
      fc.tuple(comparison(subs), fc.constantFrom("and", "or"), comparison(subs)).map(([l, op, r]) => `${l} ${op} ${r}`),
      comparison(subs).map((text) => `not (${text})`),
    );
  const valuePath = fc
    .constantFrom(...VALUE_PATHS_BY_KIND[kind])
    .chain(([attribute, subs]) => inner(subs).map((text) => `${attribute}[${text}]`));
  return fc.letrec<{ f: string }>((tie) => ({
    f: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      comparison(PATHS_BY_KIND[kind]),
      valuePath,
      fc.tuple(tie("f"), fc.constantFrom("and", "or"), tie("f")).map(([l, op, r]) => `(${l}) ${op} (${r})`),
      tie("f").map((text) => `not (${text})`),
    ),
  })).f;
}

function expected(kind: ResourceKind, text: string): string[] | undefined {
  const parsed = parseScimFilter(text);
  if (!parsed.ok) return undefined;
  const resolved = resolveFilter(parsed.value, tenantSchemas().byKind[kind]);
  if (!resolved.ok) return undefined;
  return served[kind].filter((resource) => evaluateFilter(resolved.value, resource)).map((resource) => resource.id as string).sort();
}

beforeAll(async () => {
  roster = await startTestRoster();
  t = await roster.addTenant("differential");
  const ids: string[] = [];
  for (const user of USERS) {
    const schemas = ENTERPRISE in user ? [USER, ENTERPRISE] : [USER];
    const response = await t.scim("/Users", { body: { schemas, ...user } });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    ids.push(response.body.id);
  }
  const groups = [
    { displayName: "Engineering", externalId: "g-1", members: [ids[0], ids[2]] },
    { displayName: "engineering-all", members: [ids[0], ids[1], ids[2], ids[3]] },
    { displayName: "Empty" },
  ];
  const groupIds: string[] = [];
  for (const group of groups) {
    const response = await t.scim("/Groups", {
      body: { schemas: [GROUP], ...group, members: (group.members ?? []).map((value) => ({ value })) },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    groupIds.push(response.body.id);
  }
  const nested = await t.scim(`/Groups/${groupIds[2]}`, {
    method: "PATCH",
    body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "add", path: "members", value: [{ value: groupIds[0] }] }] },
  });
  expect(nested.status).toBe(204);
  served.User = (await t.scim("/Users?count=100")).body.Resources;
  served.Group = (await t.scim("/Groups?count=100")).body.Resources;
  expect(served.User).toHaveLength(USERS.length);
  expect(served.Group).toHaveLength(3);
});
afterAll(async () => {
  await roster.close();
});

describe("SQL filtering agrees with the reference evaluator over HTTP", () => {
  it.each(["User", "Group"] as const)("selects exactly what the reference selects on %s", async (kind) => {
    const endpoint = kind === "User" ? "/Users" : "/Groups";
    await fc.assert(
      fc.asyncProperty(filterFor(kind), async (text) => {
        const response = await t.scim(`${endpoint}?count=100&filter=${encodeURIComponent(text)}`);
        const reference = expected(kind, text);
        const context = `${kind} filter ${text} → ${response.status} ${JSON.stringify(response.body?.detail ?? "")}`;
        if (reference === undefined) {
          expect(response.status, context).toBe(400);
          return;
        }
        expect(response.status, context).toBe(200);
        const got = ((response.body.Resources ?? []) as { id: string }[]).map((resource) => resource.id).sort();
        expect(got, context).toEqual(reference);
        expect(response.body.totalResults, context).toBe(reference.length);
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it("sorts and pages exactly as RFC 7644 §3.4.2.3 describes, by index and by cursor", async () => {
    const sortable = fc.constantFrom<readonly [string, boolean]>(
      ["userName", false],
      ["displayName", false],
      ["title", false],
      ["nickName", false],
      ["externalId", true],
      ["name.familyName", false],
      ["emails.value", false],
      ["emails.type", false],
      ["active", true],
      ["meta.created", true],
      [`${ENTERPRISE}:department`, false],
      [`${ENTERPRISE}:employeeNumber`, false],
    );
    await fc.assert(
      fc.asyncProperty(sortable, fc.constantFrom("ascending", "descending"), fc.integer({ min: 1, max: 4 }), async ([path, caseExact], order, count) => {
        const want = referenceOrder(served.User, path, caseExact, order);
        const byIndex = await t.scim(`/Users?sortBy=${encodeURIComponent(path)}&sortOrder=${order}&count=100`);
        expect(byIndex.status, JSON.stringify(byIndex.body)).toBe(200);
        const context = `sortBy=${path} ${order}`;
        expect(byIndex.body.Resources.map((user: { id: string }) => user.id), context).toEqual(want);
        const walked: string[] = [];
        let cursor = "";
        for (let guard = 0; guard < 20; guard += 1) {
          const page = await t.scim(`/Users?sortBy=${encodeURIComponent(path)}&sortOrder=${order}&count=${count}&cursor=${encodeURIComponent(cursor)}`);
          walked.push(...page.body.Resources.map((user: { id: string }) => user.id));
          if (page.body.nextCursor === undefined) break;
          cursor = page.body.nextCursor;
        }
        expect(walked, `${context} by cursor, pages of ${count}`).toEqual(want);
      }),
      { numRuns: 40 },
    );
  }, 60_000);

  it("round-trips generated filters through formatScimFilter", () => {
    fc.assert(
      fc.property(filterFor("User"), (text) => {
        const parsed = parseScimFilter(text);
        if (!parsed.ok) return;
        const again = parseScimFilter(formatScimFilter(parsed.value));
        expect(again.ok && again.value).toEqual(parsed.value);
      }),
      { numRuns: 100 },
    );
  });
});

/** The sort key of RFC 7644 §3.4.2.3: a multi-valued attribute sorts by its primary element, else its first. */
function sortKey(resource: Record<string, unknown>, path: string, caseExact: boolean): string | number | undefined {
  const extension = path.startsWith("urn:");
  const base = (extension ? resource[ENTERPRISE] : resource) as Record<string, unknown> | undefined;
  const [attribute, sub] = (extension ? path.slice(ENTERPRISE.length + 1) : path).split(".") as [string, string | undefined];
  let value: unknown = base?.[attribute];
  if (Array.isArray(value)) {
    const elements = value as Record<string, unknown>[];
    value = elements.find((element) => element.primary === true) ?? elements[0];
  }
  if (sub !== undefined) value = (value as Record<string, unknown> | undefined)?.[sub];
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value !== "string") return undefined;
  return caseExact ? value : foldCase(value);
}

function referenceOrder(resources: readonly Record<string, unknown>[], path: string, caseExact: boolean, order: "ascending" | "descending"): string[] {
  const sign = order === "ascending" ? 1 : -1;
  const keyed = resources.map((resource) => ({ id: resource.id as string, key: sortKey(resource, path, caseExact) }));
  keyed.sort((a, b) => {
    if (a.key === undefined || b.key === undefined) {
      // Missing values: last if ascending, first if descending; id breaks ties.
      if (a.key === undefined && b.key === undefined) return compareCodePoints(a.id, b.id);
      return (a.key === undefined ? 1 : -1) * sign;
    }
    const byKey = typeof a.key === "number" && typeof b.key === "number" ? a.key - b.key : compareCodePoints(String(a.key), String(b.key));
    return byKey !== 0 ? byKey * sign : compareCodePoints(a.id, b.id);
  });
  return keyed.map((entry) => entry.id);
}
