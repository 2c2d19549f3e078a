import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, type ScimResponse, type TestRoster, type TestTenant } from "../helpers/roster.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const RUNS = { numRuns: 200 } as const;
/** Properties that make several requests per run (seed, read, write, read) run fewer times. */
const WRITE_RUNS = { numRuns: 120 } as const;

let roster: TestRoster;
let counter = 0;

beforeAll(async () => {
  roster = await startTestRoster();
});
afterAll(async () => {
  await roster.close();
});

async function tenant(): Promise<TestTenant> {
  counter += 1;
  return roster.addTenant(`props-${counter}`);
}

/** Every answer is a success, or a 4xx SCIM error body; never a 5xx. */
function assertWellFormed(response: ScimResponse, what: string): void {
  const context = `${what} → ${response.status} ${JSON.stringify(response.body)}`;
  expect(response.status, context).toBeLessThan(500);
  if (response.status >= 400) {
    expect(response.body?.schemas, context).toEqual([ERROR]);
    expect(response.body?.status, context).toBe(String(response.status));
    expect(typeof response.body?.detail, context).toBe("string");
  } else {
    expect(response.status, context).toBeGreaterThanOrEqual(200);
  }
}

const attributeNames = fc.constantFrom(
  "userName",
  "USERNAME",
  "displayName",
  "active",
  "title",
  "externalId",
  "id",
  "emails",
  "emails.value",
  "emails.type",
  "emails.primary",
  "name.givenName",
  "name",
  "meta.lastModified",
  "meta.created",
  "meta.version",
  "groups.value",
  "members.value",
  "password",
  "x509Certificates.value",
  `${USER}:userName`,
  `${ENTERPRISE}:department`,
  `${ENTERPRISE}:manager.value`,
  `${ENTERPRISE}:manager`,
  "urn:nope:attr",
  "shoeSize",
  "emails.nope",
);

const literals = fc.oneof(
  fc.string({ maxLength: 12 }).map((text) => JSON.stringify(text)),
  fc.constantFrom('"2024-01-01T00:00:00Z"', '"2024-13-45T99:00:00Z"', '"W/\\"1\\""', "true", "false", "null"),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
);

const operators = fc.constantFrom("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Sw");

const filterText: fc.Arbitrary<string> = fc.letrec<{ filter: string }>((tie) => ({
  filter: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.tuple(attributeNames, operators, literals).map(([path, op, value]) => `${path} ${op} ${value}`),
    attributeNames.map((path) => `${path} pr`),
    fc.tuple(fc.constantFrom("emails", "members", "groups", "name", "addresses"), tie("filter")).map(([path, inner]) => `${path}[${inner}]`),
    fc.tuple(tie("filter"), fc.constantFrom("and", "or", "AND"), tie("filter")).map(([left, op, right]) => `${left} ${op} ${right}`),
    tie("filter").map((inner) => `not (${inner})`),
    tie("filter").map((inner) => `(${inner})`),
  ),
})).filter;

const patchPath = fc.oneof(
  attributeNames,
  fc.tuple(fc.constantFrom("emails", "members", "phoneNumbers"), filterText, fc.option(fc.constantFrom("value", "type", "primary", "display"), { nil: undefined })).map(
    ([path, filter, sub]) => `${path}[${filter}]${sub === undefined ? "" : `.${sub}`}`,
  ),
  fc.string({ maxLength: 20 }),
);

const patchOperation = fc.record(
  {
    op: fc.oneof(fc.constantFrom("add", "remove", "replace", "Replace", "ADD", "move"), fc.string({ maxLength: 6 })),
    path: patchPath,
    value: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(true, false, "False", null, [{ value: "x" }], { active: false }, { displayName: "d" })),
  },
  { requiredKeys: ["op"] },
);

async function seedUser(t: TestTenant, index: number): Promise<string> {
  const response = await t.scim("/Users", {
    body: {
      schemas: [USER, ENTERPRISE],
      userName: `seed${index}@example.com`,
      displayName: "Seed",
      emails: [{ value: `seed${index}@example.com`, type: "work", primary: true }],
      [ENTERPRISE]: { department: "R&D", manager: { value: "m" } },
    },
  });
  expect(response.status).toBe(201);
  return response.body.id as string;
}

describe("properties over HTTP: client input never produces a 5xx", () => {
  it("answers arbitrary filter strings with 200 or a SCIM 4xx", async () => {
    const t = await tenant();
    await seedUser(t, 0);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 60 }), async (filter) => {
        assertWellFormed(await t.scim(`/Users?filter=${encodeURIComponent(filter)}`), `filter ${JSON.stringify(filter)}`);
      }),
      RUNS,
    );
  }, 60_000);

  it("answers grammar-generated filters on Users, Groups and the root with 200 or a SCIM 4xx", async () => {
    const t = await tenant();
    const userId = await seedUser(t, 0);
    await t.scim("/Groups", { body: { schemas: [GROUP], displayName: "G", members: [{ value: userId }] } });
    await fc.assert(
      fc.asyncProperty(filterText, fc.constantFrom("/Users", "/Groups", "/.search"), async (filter, endpoint) => {
        const response =
          endpoint === "/.search"
            ? await t.scim(endpoint, { body: { filter, count: 5 } })
            : await t.scim(`${endpoint}?count=5&filter=${encodeURIComponent(filter)}`);
        assertWellFormed(response, `${endpoint} filter ${filter}`);
      }),
      RUNS,
    );
  }, 60_000);

  it("answers random list parameters with 200 or a SCIM 4xx", async () => {
    const t = await tenant();
    await seedUser(t, 0);
    const param = fc.oneof(fc.string({ maxLength: 10 }), attributeNames, fc.integer({ min: -5, max: 5000 }).map(String));
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom("sortBy", "sortOrder", "startIndex", "count", "cursor", "attributes", "excludedAttributes"), param, { maxKeys: 4 }),
        async (params) => {
          const query = new URLSearchParams(params).toString();
          assertWellFormed(await t.scim(`/Users?${query}`), `?${query}`);
        },
      ),
      RUNS,
    );
  }, 60_000);

  it("answers random PATCH requests with 2xx or a SCIM 4xx, and a failed PATCH changes nothing", async () => {
    const t = await tenant();
    let index = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(patchOperation, { minLength: 1, maxLength: 3 }), fc.boolean(), async (operations, onGroup) => {
        index += 1;
        const userId = await seedUser(t, index);
        let target = `/Users/${userId}`;
        if (onGroup) {
          const group = await t.scim("/Groups", { body: { schemas: [GROUP], displayName: `g${index}`, members: [{ value: userId }] } });
          target = `/Groups/${group.body.id}`;
        }
        const before = await t.scim(target);
        const response = await t.scim(target, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: operations } });
        assertWellFormed(response, `PATCH ${target} ${JSON.stringify(operations)}`);
        const after = await t.scim(target);
        if (response.status >= 400) {
          expect(after.body, JSON.stringify(operations)).toEqual(before.body);
        } else if (response.status === 200) {
          expect(after.body, JSON.stringify(operations)).toEqual(response.body);
          expect(response.headers.get("etag")).toBe(after.body.meta.version);
        } else {
          expect(response.status).toBe(204);
          expect(response.headers.get("etag")).toBe(after.body.meta.version);
        }
      }),
      WRITE_RUNS,
    );
  }, 60_000);

  it("answers random POST bodies with 201 or a SCIM 4xx", async () => {
    const t = await tenant();
    const shaped = fc.record(
      {
        schemas: fc.constantFrom([USER], [USER, ENTERPRISE], [GROUP], ["urn:x"]),
        userName: fc.oneof(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 })),
        displayName: fc.jsonValue({ maxDepth: 1 }),
        active: fc.jsonValue({ maxDepth: 1 }),
        emails: fc.jsonValue({ maxDepth: 2 }),
        members: fc.jsonValue({ maxDepth: 2 }),
        [ENTERPRISE]: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json({ maxDepth: 3 }), shaped.map((body) => JSON.stringify(body))), fc.constantFrom("/Users", "/Groups"), async (body, endpoint) => {
        assertWellFormed(await t.scim(endpoint, { body }), `POST ${endpoint} ${body}`);
      }),
      RUNS,
    );
  }, 60_000);

  it("answers random PUT bodies with 200 or a SCIM 4xx; what it answers is what is stored", async () => {
    const t = await tenant();
    const userId = await seedUser(t, 0);
    const body = fc.record(
      {
        schemas: fc.constantFrom([USER], [USER, ENTERPRISE], ["urn:x"]),
        userName: fc.oneof(fc.constantFrom("seed0@example.com", "other@example.com"), fc.jsonValue({ maxDepth: 1 })),
        id: fc.string({ maxLength: 5 }),
        displayName: fc.jsonValue({ maxDepth: 1 }),
        active: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
        name: fc.jsonValue({ maxDepth: 2 }),
        emails: fc.oneof(
          fc.constant([{ value: "a@x.io", primary: true }, { value: "b@x.io", primary: true }]),
          fc.array(fc.record({ value: fc.string({ maxLength: 6 }), type: fc.constantFrom("work", "home", 1), primary: fc.boolean() }, { requiredKeys: [] }), { maxLength: 3 }),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        groups: fc.jsonValue({ maxDepth: 2 }),
        meta: fc.jsonValue({ maxDepth: 1 }),
        [ENTERPRISE]: fc.oneof(fc.record({ department: fc.string({ maxLength: 4 }), manager: fc.record({ value: fc.string({ maxLength: 4 }) }) }, { requiredKeys: [] }), fc.jsonValue({ maxDepth: 2 })),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, async (replacement) => {
        const before = await t.scim(`/Users/${userId}`);
        const response = await t.scim(`/Users/${userId}`, { method: "PUT", body: replacement });
        assertWellFormed(response, `PUT ${JSON.stringify(replacement)}`);
        const after = await t.scim(`/Users/${userId}`);
        expect(after.body, JSON.stringify(replacement)).toEqual(response.status === 200 ? response.body : before.body);
      }),
      WRITE_RUNS,
    );
  }, 60_000);

  it("answers random bulk requests with 200 or a SCIM 4xx", async () => {
    const t = await tenant();
    const operation = fc.record(
      {
        method: fc.constantFrom("POST", "PUT", "PATCH", "DELETE", "GET", "post"),
        path: fc.oneof(fc.constantFrom("/Users", "/Groups", "/Users/bulkId:a", "/Groups/bulkId:b", "/Users/x", "Users"), fc.string({ maxLength: 8 })),
        bulkId: fc.constantFrom("a", "b", "c", ""),
        version: fc.constantFrom('W/"1"', "*", "bad"),
        data: fc.oneof(
          fc.jsonValue({ maxDepth: 2 }),
          fc.constant({ schemas: [USER], userName: "bulk@example.com" }),
          fc.constant({ schemas: [GROUP], displayName: "g", members: [{ value: "bulkId:a" }] }),
          fc.constant({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] }),
        ),
      },
      { requiredKeys: ["method"] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 4 }), fc.option(fc.integer({ min: -1, max: 3 }), { nil: undefined }), async (operations, failOnErrors) => {
        const body = {
          schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
          ...(failOnErrors === undefined ? {} : { failOnErrors }),
          Operations: operations,
        };
        const response = await t.scim("/Bulk", { body });
        assertWellFormed(response, `bulk ${JSON.stringify(body)}`);
        if (response.status === 200) {
          for (const result of response.body.Operations as { status: string }[]) {
            expect(Number(result.status), JSON.stringify(result)).toBeLessThan(500);
          }
        }
      }),
      { numRuns: 100 },
    );
  }, 60_000);
});
