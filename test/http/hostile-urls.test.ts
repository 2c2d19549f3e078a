import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { apiFetch } from "../api/support.js";
import { scimFetch, startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const LONG = "a".repeat(101);

let roster: TestRoster;
let acme: TestTenant;
let key: string;

beforeAll(async () => {
  roster = await startTestRoster();
  acme = await roster.addTenant("acme");
  ({ key } = await createApiKey(roster.store, acme.tenant, "test"));
  const created = await acme.scim("/Users", { body: { schemas: [USER], userName: "nul-probe@example.com", title: "Engineer" } });
  expect(created.status).toBe(201);
});
afterAll(async () => {
  await roster.close();
});

function api(path: string, init: { method?: string; body?: unknown } = {}) {
  return apiFetch(`${roster.url}/api/v1/tenants/acme${path}`, key, init);
}

describe("NUL characters in URLs, ids and filters", () => {
  it.each([
    ["GET", "/Users/%00"],
    ["GET", "/Users/a%00b"],
    ["GET", "/Groups/%00"],
    ["PUT", "/Users/%00"],
    ["PATCH", "/Groups/%00"],
    ["DELETE", "/Users/%00"],
  ])("answers 404 with a SCIM error to %s %s, on an id holding NUL", async (method, path) => {
    const body = method === "PUT" ? { schemas: [USER], userName: "x@example.com" } : method === "PATCH" ? {} : undefined;
    const response = await acme.scim(path, { method, ...(body === undefined ? {} : { body }) });
    expect(response.status).toBe(404);
    expect(response.body.schemas).toEqual([ERROR]);
    expect(response.body.detail).toMatch(/NUL character/);
  });

  it.each([
    '/Users?filter=userName eq "a%00"',
    '/Users?filter=title eq "a%00"',
    '/Users?filter=emails.value eq "a%00"',
    '/Groups?filter=displayName co "%00"',
  ])("answers 400 invalidValue to a filter in the query holding NUL: %s", async (path) => {
    const response = await acme.scim(path);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ schemas: [ERROR], status: "400", scimType: "invalidValue" });
    expect(response.body.detail).toMatch(/NUL character/);
  });

  it.each(['userName eq "a\\u0000"', 'title eq "\\u0000"', 'emails[value sw "x\\u0000y"]'])(
    "answers 400 invalidFilter to a filter whose string escapes a NUL: %s",
    async (filter) => {
      const inQuery = await acme.scim(`/Users?filter=${encodeURIComponent(filter)}`);
      expect(inQuery.status).toBe(400);
      expect(inQuery.body).toMatchObject({ schemas: [ERROR], scimType: "invalidFilter" });
      expect(inQuery.body.detail).toMatch(/NUL character \(U\+0000\)/);
      const searched = await acme.scim("/Users/.search", { body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter } });
      expect(searched.status).toBe(400);
      expect(searched.body).toMatchObject({ schemas: [ERROR], scimType: "invalidFilter" });
    },
  );

  it("answers 404 to a tenant slug holding NUL, on the SCIM and management APIs alike", async () => {
    const scim = await scimFetch(`${roster.url}/scim/v2/ac%00me/Users`, acme.token);
    expect(scim.status).toBe(404);
    expect(scim.body.schemas).toEqual([ERROR]);
    const managed = await apiFetch(`${roster.url}/api/v1/tenants/acme%00/users`, key);
    expect(managed.status).toBe(404);
    expect(managed.body.error.code).toBe("notFound");
  });

  it.each(["/users/%00", "/groups/%00", "/groups/%00/members", "/webhooks/%00", "/webhooks/%00/deliveries"])(
    "answers 404 in the management API's shape to GET %s",
    async (path) => {
      const response = await api(path);
      expect(response.status).toBe(404);
      expect(response.body.error).toEqual({ code: "notFound", message: expect.stringMatching(/NUL character/) });
    },
  );

  it("answers 400 in the management API's shape to a query parameter holding NUL", async () => {
    const response = await api("/users?userName=a%00");
    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({ code: "invalidRequest", message: expect.stringMatching(/NUL character/) });
  });

  it("answers 400 invalidValue to a group member id holding NUL, in POST and PATCH", async () => {
    const created = await acme.scim("/Groups", { body: { schemas: [GROUP], displayName: "Nul members", members: [{ value: "a\u0000" }] } });
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({ schemas: [ERROR], scimType: "invalidValue", detail: expect.stringMatching(/NUL character/) });
    const group = await acme.scim("/Groups", { body: { schemas: [GROUP], displayName: "Nul target" } });
    expect(group.status).toBe(201);
    const patched = await acme.scim(`/Groups/${group.body.id}`, {
      method: "PATCH",
      body: { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: "\u0000" }] }] },
    });
    expect(patched.status).toBe(400);
    expect(patched.body).toMatchObject({ schemas: [ERROR], scimType: "invalidValue", detail: expect.stringMatching(/NUL character/) });
  });

  it("answers 400 in the management API's shape to a member userId holding NUL", async () => {
    const group = await api("/groups", { body: { displayName: "App crew" } });
    expect(group.status).toBe(201);
    const response = await api(`/groups/${group.body.id}/members`, { body: { userId: "\u0000" } });
    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({ code: "invalidRequest", message: expect.stringMatching(/NUL character/) });
  });

  it("answers 400 in the management API's shape to a list name holding NUL in PUT roles and PUT lists/<name>", async () => {
    for (const path of ["/roles", "/lists/record_sets"]) {
      const response = await api(path, { method: "PUT", body: ["Driver", "Mech\u0000anic"] });
      expect(response.status).toBe(400);
      expect(response.body.error).toEqual({ code: "invalidRequest", message: expect.stringMatching(/\[1\]: .*NUL character/) });
    }
    expect((await api("/roles")).body).toEqual([]);
  });

  it("still finds the tenant's users afterwards", async () => {
    const response = await acme.scim('/Users?filter=title eq "Engineer"');
    expect(response.status).toBe(200);
    expect(response.body.totalResults).toBe(1);
  });
});

describe("path segments over 100 characters", () => {
  it.each([`/Users/${LONG}`, `/Groups/${LONG}`])("answers 404 with a SCIM error to GET %s", async (path) => {
    const response = await acme.scim(path);
    expect(response.status).toBe(404);
    expect(response.body.schemas).toEqual([ERROR]);
    expect(response.body.detail).toMatch(/longer than 100 characters/);
  });

  it("answers 404 to a 101-character tenant slug", async () => {
    const response = await scimFetch(`${roster.url}/scim/v2/${LONG}/Users`, acme.token);
    expect(response.status).toBe(404);
    expect(response.body.schemas).toEqual([ERROR]);
  });

  it.each([`/users/${LONG}`, `/lists/${LONG}`])("answers 404 in the management API's shape to GET %s", async (path) => {
    const response = await api(path);
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe("notFound");
  });

  it("answers 404 in the management API's shape to a 101-character tenant slug", async () => {
    const response = await apiFetch(`${roster.url}/api/v1/tenants/${LONG}/users`, key);
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe("notFound");
  });
});

describe("/Bulk with a bad operation after committed ones", () => {
  it("gives each operation its own result when a later path is badly percent-encoded or holds NUL", async () => {
    const response = await acme.scim("/Bulk", {
      body: {
        schemas: [BULK_REQUEST],
        Operations: [
          { method: "POST", path: "/Users", bulkId: "u1", data: { schemas: [USER], userName: "bulk-committed@example.com" } },
          { method: "DELETE", path: "/Users/%" },
          { method: "DELETE", path: "/Users/%E0%A4%A" },
          { method: "DELETE", path: "/Users/%00" },
          { method: "PATCH", path: "/Groups/a%00b", data: {} },
          { method: "DELETE", path: `/Users/${LONG}` },
        ],
      },
    });
    expect(response.status).toBe(200);
    const statuses = response.body.Operations.map((operation: { status: string }) => operation.status);
    expect(statuses).toEqual(["201", "400", "400", "404", "404", "404"]);
    expect(response.body.Operations[1].response).toMatchObject({ schemas: [ERROR], scimType: "invalidPath", detail: expect.stringMatching(/percent-encoding/) });
    expect(response.body.Operations[3].response.detail).toMatch(/NUL character/);
    const committed = await acme.scim('/Users?filter=userName eq "bulk-committed@example.com"');
    expect(committed.body.totalResults).toBe(1);
  });

  it("gives an operation that throws unexpectedly its own error result, after the ones before it committed", async () => {
    // Data nested deeper than the stack allows: walking it throws a RangeError, not a ScimError.
    const depth = 50_000;
    const deep = `${"[".repeat(depth)}${"]".repeat(depth)}`;
    const body = `{"schemas":["${BULK_REQUEST}"],"Operations":[${JSON.stringify({ method: "POST", path: "/Users", bulkId: "u1", data: { schemas: [USER], userName: "bulk-before-deep@example.com" } })},{"method":"PATCH","path":"/Users/bulkId:u1","data":${deep}},{"method":"DELETE","path":"/Users/bulkId:u1"}]}`;
    const response = await acme.scim("/Bulk", { body });
    expect(response.status).toBe(200);
    const [created, deepOperation, deleted] = response.body.Operations;
    expect(created).toMatchObject({ method: "POST", bulkId: "u1", status: "201" });
    expect(Number(deepOperation.status)).toBeGreaterThanOrEqual(400);
    expect(deepOperation.response.schemas).toEqual([ERROR]);
    expect(deleted).toMatchObject({ method: "DELETE", status: "204" });
  });
});
