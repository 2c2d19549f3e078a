import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const MAX_OPERATIONS = 5;
const MAX_PAYLOAD = 4_096;

let roster: TestRoster;
let counter = 0;

beforeAll(async () => {
  roster = await startTestRoster({ limits: { bulkMaxOperations: MAX_OPERATIONS, bulkMaxPayloadBytes: MAX_PAYLOAD } });
});
afterAll(async () => {
  await roster.close();
});

async function tenant(): Promise<TestTenant> {
  counter += 1;
  return roster.addTenant(`bulk-${counter}`);
}

function bulk(operations: readonly unknown[], failOnErrors?: number) {
  return { schemas: [BULK_REQUEST], ...(failOnErrors === undefined ? {} : { failOnErrors }), Operations: operations };
}

function postUser(bulkId: string, userName: string) {
  return { method: "POST", path: "/Users", bulkId, data: { schemas: [USER], userName } };
}

describe("/Bulk", () => {
  it("creates a user and a group that references it by bulkId", async () => {
    const t = await tenant();
    const response = await t.scim("/Bulk", {
      body: bulk([
        postUser("u1", "bulk-user@example.com"),
        { method: "POST", path: "/Groups", bulkId: "g1", data: { schemas: [GROUP], displayName: "Bulk Group", members: [{ type: "User", value: "bulkId:u1" }] } },
      ]),
    });
    expect(response.status).toBe(200);
    expect(response.body.schemas).toEqual([BULK_RESPONSE]);
    const [user, group] = response.body.Operations;
    expect(user).toEqual({ method: "POST", bulkId: "u1", location: expect.stringMatching(new RegExp(`^${t.baseUrl}/Users/`)), version: 'W/"1"', status: "201" });
    expect(group).toMatchObject({ method: "POST", bulkId: "g1", status: "201" });
    const userId = (user.location as string).split("/").pop();
    const read = await t.scim(`/Groups/${(group.location as string).split("/").pop()}`);
    expect(read.body.members.map((member: { value: string }) => member.value)).toEqual([userId]);
  });

  it("resolves a forward reference to a bulkId created later in the request", async () => {
    const t = await tenant();
    const response = await t.scim("/Bulk", {
      body: bulk([
        { method: "POST", path: "/Groups", bulkId: "g1", data: { schemas: [GROUP], displayName: "Forward", members: [{ value: "bulkId:u1" }] } },
        postUser("u1", "later@example.com"),
      ]),
    });
    expect(response.status).toBe(200);
    expect(response.body.Operations.map((operation: { status: string }) => operation.status)).toEqual(["201", "201"]);
    expect(response.body.Operations.map((operation: { bulkId: string }) => operation.bulkId)).toEqual(["g1", "u1"]);
    const groups = await t.scim('/Groups?filter=displayName eq "Forward"');
    expect(groups.body.Resources[0].members[0].display).toBe("later@example.com");
  });

  it("runs PUT, PATCH and DELETE on created resources by bulkId path", async () => {
    const t = await tenant();
    const response = await t.scim("/Bulk", {
      body: bulk([
        postUser("u1", "chain@example.com"),
        { method: "PATCH", path: "/Users/bulkId:u1", data: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] } },
        { method: "PUT", path: "/Users/bulkId:u1", version: 'W/"2"', data: { schemas: [USER], userName: "chain@example.com", displayName: "Put" } },
        postUser("u2", "temp@example.com"),
        { method: "DELETE", path: "/Users/bulkId:u2" },
      ]),
    });
    expect(response.status).toBe(200);
    expect(response.body.Operations.map((operation: { status: string }) => operation.status)).toEqual(["201", "200", "200", "201", "204"]);
    const users = await t.scim("/Users");
    expect(users.body.totalResults).toBe(1);
    expect(users.body.Resources[0]).toMatchObject({ userName: "chain@example.com", displayName: "Put", meta: { version: 'W/"3"' } });
  });

  it("reports 412 for an operation whose version does not match, and runs the rest", async () => {
    const t = await tenant();
    const created = await t.scim("/Users", { body: { schemas: [USER], userName: "versioned@example.com" } });
    const response = await t.scim("/Bulk", {
      body: bulk([
        { method: "PUT", path: `/Users/${created.body.id}`, version: 'W/"9"', data: { schemas: [USER], userName: "versioned@example.com", displayName: "No" } },
        { method: "PATCH", path: `/Users/${created.body.id}`, version: 'W/"1"', data: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "Yes" }] } },
      ]),
    });
    expect(response.body.Operations[0]).toEqual({
      method: "PUT",
      status: "412",
      response: { schemas: [ERROR], status: "412", detail: expect.stringContaining('W/"9"') },
    });
    expect(response.body.Operations[1]).toMatchObject({ method: "PATCH", status: "200", version: 'W/"2"' });
    expect((await t.scim(`/Users/${created.body.id}`)).body.displayName).toBe("Yes");
  });

  it("stops after failOnErrors failures", async () => {
    const t = await tenant();
    const response = await t.scim("/Bulk", {
      body: bulk(
        [
          postUser("a", "dup@example.com"),
          postUser("b", "dup@example.com"),
          postUser("c", "DUP@example.com"),
          postUser("d", "never@example.com"),
        ],
        2,
      ),
    });
    expect(response.status).toBe(200);
    expect(response.body.Operations).toHaveLength(3);
    expect(response.body.Operations[1]).toMatchObject({ bulkId: "b", status: "409", response: { scimType: "uniqueness" } });
    expect(response.body.Operations[2]).toMatchObject({ bulkId: "c", status: "409" });
    const users = await t.scim("/Users");
    expect(users.body.totalResults).toBe(1);
  });

  it("answers more than maxOperations operations with 413 and runs none", async () => {
    const t = await tenant();
    const operations = Array.from({ length: MAX_OPERATIONS + 1 }, (_, index) => postUser(`u${index}`, `many${index}@x.io`));
    const response = await t.scim("/Bulk", { body: bulk(operations) });
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ schemas: [ERROR], status: "413", detail: expect.stringContaining(String(MAX_OPERATIONS)) });
    expect((await t.scim("/Users")).body.totalResults).toBe(0);
  });

  it("accepts exactly maxOperations operations", async () => {
    const t = await tenant();
    const operations = Array.from({ length: MAX_OPERATIONS }, (_, index) => postUser(`u${index}`, `ok${index}@x.io`));
    const response = await t.scim("/Bulk", { body: bulk(operations) });
    expect(response.status).toBe(200);
    expect((await t.scim("/Users")).body.totalResults).toBe(MAX_OPERATIONS);
  });

  it("answers a payload over maxPayloadSize with 413 and runs none", async () => {
    const t = await tenant();
    const response = await t.scim("/Bulk", {
      body: bulk([{ ...postUser("u1", "big@example.com"), data: { schemas: [USER], userName: "big@example.com", displayName: "x".repeat(MAX_PAYLOAD) } }]),
    });
    expect(response.status).toBe(413);
    expect(response.body.schemas).toEqual([ERROR]);
    expect(response.body.status).toBe("413");
    expect((await t.scim("/Users")).body.totalResults).toBe(0);
  });

  it("answers a reference to an unknown bulkId with 409 for that operation", async () => {
    const t = await tenant();
    const response = await t.scim("/Bulk", {
      body: bulk([
        { method: "POST", path: "/Groups", bulkId: "g1", data: { schemas: [GROUP], displayName: "Orphan", members: [{ value: "bulkId:nope" }] } },
        postUser("u1", "fine@example.com"),
      ]),
    });
    expect(response.status).toBe(200);
    expect(response.body.Operations[0]).toEqual({
      method: "POST",
      bulkId: "g1",
      status: "409",
      response: { schemas: [ERROR], status: "409", detail: expect.stringContaining("nope") },
    });
    expect(response.body.Operations[1]).toMatchObject({ bulkId: "u1", status: "201" });
  });

  it("answers 409 for operations depending on a failed POST", async () => {
    const t = await tenant();
    const response = await t.scim("/Bulk", {
      body: bulk([
        { method: "POST", path: "/Users", bulkId: "bad", data: { schemas: [USER], active: true } },
        { method: "POST", path: "/Groups", bulkId: "g", data: { schemas: [GROUP], displayName: "Dep", members: [{ value: "bulkId:bad" }] } },
      ]),
    });
    expect(response.body.Operations.map((operation: { status: string }) => operation.status)).toEqual(["400", "409"]);
    expect((await t.scim("/Groups")).body.totalResults).toBe(0);
  });

  it("reports circular references with 409", async () => {
    const t = await tenant();
    const response = await t.scim("/Bulk", {
      body: bulk([
        { method: "POST", path: "/Groups", bulkId: "a", data: { schemas: [GROUP], displayName: "A", members: [{ value: "bulkId:b" }] } },
        { method: "POST", path: "/Groups", bulkId: "b", data: { schemas: [GROUP], displayName: "B", members: [{ value: "bulkId:a" }] } },
      ]),
    });
    expect(response.status).toBe(200);
    expect(response.body.Operations.map((operation: { status: string }) => operation.status)).toEqual(["409", "409"]);
  });

  it.each([
    ["no schemas", { Operations: [] }],
    ["Operations not an array", { schemas: [BULK_REQUEST], Operations: {} }],
    ["a POST without bulkId", bulk([{ method: "POST", path: "/Users", data: { schemas: [USER], userName: "x" } }])],
    ["an unknown method", bulk([{ method: "GET", path: "/Users" }])],
    ["a duplicated bulkId", bulk([postUser("x", "a@x.io"), postUser("x", "b@x.io")])],
    ["failOnErrors of 0", bulk([postUser("x", "a@x.io")], 0)],
  ])("answers a bulk request with %s with 400 invalidSyntax and runs nothing", async (_name, body) => {
    const t = await tenant();
    const response = await t.scim("/Bulk", { body });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ schemas: [ERROR], status: "400", scimType: "invalidSyntax" });
    expect((await t.scim("/Users")).body.totalResults).toBe(0);
  });

  it("reports a bad operation path as that operation's invalidPath error", async () => {
    const t = await tenant();
    const response = await t.scim("/Bulk", { body: bulk([{ method: "DELETE", path: "/Widgets/1" }]) });
    expect(response.status).toBe(200);
    expect(response.body.Operations[0]).toMatchObject({ status: "400", response: { scimType: "invalidPath" } });
  });
});
