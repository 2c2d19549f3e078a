import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executeBulk } from "../../src/directory/bulk.js";
import type { ScimContext } from "../../src/directory/resources.js";
import { tenantSchemas } from "../../src/directory/schemas.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

// Issue 20, item 3: a chain of 1,000 bulkId references took 3.5× as long as 1,000
// independent creates. Every round re-examined every operation still waiting (and walked its
// data for references), so a chain listed last-first took one round per link: quadratic.
// The contract is tested by counting work, never by timing it.

const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

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
  return roster.addTenant(`chain-${counter}`);
}

/** User `i` of `n` whose manager is user `i + 1` (the last has none): each refers to an operation listed after it. */
function reportOf(tag: string, i: number, n: number): Record<string, unknown> {
  return {
    schemas: [USER, ENTERPRISE],
    userName: `${tag}-${i}@example.com`,
    ...(i + 1 < n ? { [ENTERPRISE]: { manager: { value: `bulkId:u${i + 1}` } } } : {}),
  };
}

describe("/Bulk bulkId chains", () => {
  it("walks each operation's data a bounded number of times, however long a last-first chain is", async () => {
    const t = await tenant();
    const context: ScimContext = { store: roster.server.store, tenant: t.tenant, baseUrl: t.baseUrl, schemas: tenantSchemas() };
    const n = 150;
    // Each operation's data counts how often its members are enumerated: once per walk over it.
    let walks = 0;
    const observed = (data: Record<string, unknown>) =>
      new Proxy(data, {
        ownKeys(target) {
          walks += 1;
          return Reflect.ownKeys(target);
        },
      });
    const operations = Array.from({ length: n }, (_, i) => ({ method: "POST", path: "/Users", bulkId: `u${i}`, data: observed(reportOf("walk", i, n)) }));
    const answer = (await executeBulk(context, { schemas: [BULK_REQUEST], Operations: operations }, { bulkMaxOperations: 1_000 })) as {
      Operations: { status: string }[];
    };
    expect(answer.Operations.map((operation) => operation.status)).toEqual(Array(n).fill("201"));
    // Found once for its references, checked once for depth, copied once with ids substituted.
    expect(walks).toBeLessThanOrEqual(4 * n);
  });

  it("resolves a chain of 200 listed last-first, each user's manager the one after it", async () => {
    const t = await tenant();
    const n = 200;
    const operations = Array.from({ length: n }, (_, i) => ({ method: "POST", path: "/Users", bulkId: `u${i}`, data: reportOf("rev", i, n) }));
    const response = await t.scim("/Bulk", { body: { schemas: [BULK_REQUEST], Operations: operations } });
    expect(response.status).toBe(200);
    const results = response.body.Operations as { bulkId: string; status: string; location: string }[];
    expect(results.map((result) => result.bulkId)).toEqual(operations.map((operation) => operation.bulkId));
    expect(results.every((result) => result.status === "201")).toBe(true);
    const idOf = (i: number) => results[i]!.location.slice(results[i]!.location.lastIndexOf("/") + 1);
    for (const i of [0, 1, 99, n - 2]) {
      const user = await t.scim(`/Users/${idOf(i)}`);
      expect(user.body[ENTERPRISE].manager.value).toBe(idOf(i + 1));
    }
    expect((await t.scim(`/Users/${idOf(n - 1)}`)).body[ENTERPRISE]).toBeUndefined();
  });

  it("runs an operation as soon as what it refers to exists, earliest in the request first", async () => {
    const t = await tenant();
    // 0 waits on 2; 1 and 3 are free: the order is 1, 2, then 0 (released, and earlier than 3), then 3.
    // Operations 0 and 3 ask for the same userName: the one that runs first gets it.
    const response = await t.scim("/Bulk", {
      body: {
        schemas: [BULK_REQUEST],
        Operations: [
          { method: "POST", path: "/Users", bulkId: "u0", data: { schemas: [USER, ENTERPRISE], userName: "same@example.com", [ENTERPRISE]: { manager: { value: "bulkId:u2" } } } },
          { method: "POST", path: "/Users", bulkId: "u1", data: { schemas: [USER], userName: "one@example.com" } },
          { method: "POST", path: "/Users", bulkId: "u2", data: { schemas: [USER], userName: "two@example.com" } },
          { method: "POST", path: "/Users", bulkId: "u3", data: { schemas: [USER], userName: "same@example.com" } },
        ],
      },
    });
    expect(response.body.Operations.map((operation: { status: string }) => operation.status)).toEqual(["201", "201", "201", "409"]);
    expect(response.body.Operations[3].response.scimType).toBe("uniqueness");
  });

  it("answers an operation referring to the bulkId of an operation that creates nothing with 409 naming it", async () => {
    const t = await tenant();
    const created = await t.scim("/Users", { body: { schemas: [USER], userName: "there@example.com" } });
    const response = await t.scim("/Bulk", {
      body: {
        schemas: [BULK_REQUEST],
        Operations: [
          { method: "POST", path: "/Groups", bulkId: "g", data: { schemas: [GROUP], displayName: "G", members: [{ value: "bulkId:patch" }] } },
          { method: "PATCH", path: `/Users/${created.body.id}`, bulkId: "patch", data: { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] } },
        ],
      },
    });
    expect(response.body.Operations).toEqual([
      expect.objectContaining({ bulkId: "g", status: "409", response: expect.objectContaining({ detail: 'bulkId "patch" does not name a resource created by this request' }) }),
      expect.objectContaining({ bulkId: "patch", status: "200" }),
    ]);
  });

  it("fails a whole chain hanging off a failed create with 409, link by link, and stops at failOnErrors", async () => {
    const t = await tenant();
    const n = 5;
    const operations = Array.from({ length: n }, (_, i) => ({ method: "POST", path: "/Users", bulkId: `u${i}`, data: reportOf("fail", i, n) }));
    operations[n - 1] = { method: "POST", path: "/Users", bulkId: `u${n - 1}`, data: { schemas: [USER] } as never };
    const all = await t.scim("/Bulk", { body: { schemas: [BULK_REQUEST], Operations: operations } });
    expect(all.body.Operations.map((operation: { status: string }) => operation.status)).toEqual(["409", "409", "409", "409", "400"]);
    const stopped = await t.scim("/Bulk", { body: { schemas: [BULK_REQUEST], failOnErrors: 2, Operations: operations } });
    expect(stopped.body.Operations.map((operation: { bulkId: string }) => operation.bulkId)).toEqual(["u3", "u4"]);
  });
});
