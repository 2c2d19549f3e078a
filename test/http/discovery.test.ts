import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const LIMITS = { maxPageSize: 4, defaultPageSize: 3, bulkMaxOperations: 3, bulkMaxPayloadBytes: 2_048 };

let roster: TestRoster;
let counter = 0;

beforeAll(async () => {
  roster = await startTestRoster({ limits: LIMITS });
});
afterAll(async () => {
  await roster.close();
});

async function tenant(): Promise<TestTenant> {
  counter += 1;
  return roster.addTenant(`discovery-${counter}`);
}

async function config(t: TestTenant): Promise<any> {
  const response = await t.scim("/ServiceProviderConfig");
  expect(response.status).toBe(200);
  return response.body;
}

async function seedUsers(t: TestTenant, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const response = await t.scim("/Users", { body: { schemas: [USER], userName: `user${String(index).padStart(2, "0")}@example.com` } });
    ids.push(response.body.id);
  }
  return ids;
}

describe("discovery documents", () => {
  it("serves /ServiceProviderConfig with the configured limits", async () => {
    const t = await tenant();
    const response = await t.scim("/ServiceProviderConfig");
    expect(response.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(response.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
      patch: { supported: true },
      bulk: { supported: true, maxOperations: LIMITS.bulkMaxOperations, maxPayloadSize: LIMITS.bulkMaxPayloadBytes },
      filter: { supported: true, maxResults: LIMITS.maxPageSize },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      pagination: { cursor: true, index: true, defaultPageSize: LIMITS.defaultPageSize, maxPageSize: LIMITS.maxPageSize },
      authenticationSchemes: [expect.objectContaining({ type: "oauthbearertoken" })],
      meta: { resourceType: "ServiceProviderConfig", location: `${t.baseUrl}/ServiceProviderConfig` },
    });
  });

  it("serves /Schemas as a ListResponse of User, Group and the enterprise extension", async () => {
    const t = await tenant();
    const response = await t.scim("/Schemas");
    expect(response.status).toBe(200);
    expect(response.body.schemas).toEqual([LIST]);
    expect(response.body.totalResults).toBe(3);
    expect(response.body.Resources.map((schema: { id: string }) => schema.id).sort()).toEqual([ENTERPRISE, GROUP, USER].sort());
  });

  it.each([USER, GROUP, ENTERPRISE])("serves /Schemas/%s", async (urn) => {
    const t = await tenant();
    const response = await t.scim(`/Schemas/${urn}`);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
      id: urn,
      attributes: expect.any(Array),
      meta: { resourceType: "Schema", location: `${t.baseUrl}/Schemas/${urn}` },
    });
  });

  it("describes password as writeOnly and never returned, and userName as unique", async () => {
    const t = await tenant();
    const response = await t.scim(`/Schemas/${USER}`);
    const attributes = response.body.attributes as { name: string; [key: string]: unknown }[];
    expect(attributes.find((attribute) => attribute.name === "password")).toMatchObject({ mutability: "writeOnly", returned: "never" });
    expect(attributes.find((attribute) => attribute.name === "userName")).toMatchObject({ required: true, uniqueness: "server", caseExact: false });
  });

  it("answers an unknown schema with 404", async () => {
    const t = await tenant();
    const response = await t.scim("/Schemas/urn:example:nope");
    expect(response.status).toBe(404);
    expect(response.body.detail).toContain("urn:example:nope");
  });

  it("serves /ResourceTypes and /ResourceTypes/User", async () => {
    const t = await tenant();
    const list = await t.scim("/ResourceTypes");
    expect(list.body.schemas).toEqual([LIST]);
    expect(list.body.totalResults).toBe(2);
    const user = await t.scim("/ResourceTypes/User");
    expect(user.body).toEqual({
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
      id: "User",
      name: "User",
      endpoint: "/Users",
      description: expect.any(String),
      schema: USER,
      schemaExtensions: [{ schema: ENTERPRISE, required: false }],
      meta: { resourceType: "ResourceType", location: `${t.baseUrl}/ResourceTypes/User` },
    });
    const group = await t.scim("/ResourceTypes/Group");
    expect(group.body).toMatchObject({ id: "Group", endpoint: "/Groups", schema: GROUP });
    expect((await t.scim("/ResourceTypes/Widget")).status).toBe(404);
  });

  it("serves every endpoint each resource type advertises", async () => {
    const t = await tenant();
    const list = await t.scim("/ResourceTypes");
    for (const type of list.body.Resources as { endpoint: string; schema: string }[]) {
      const response = await t.scim(type.endpoint);
      expect(response.status).toBe(200);
      const schema = await t.scim(`/Schemas/${type.schema}`);
      expect(schema.status).toBe(200);
    }
  });
});

describe("the ServiceProviderConfig is truthful", () => {
  it("patch.supported: a PATCH works", async () => {
    const t = await tenant();
    expect((await config(t)).patch.supported).toBe(true);
    const [id] = await seedUsers(t, 1);
    const response = await t.scim(`/Users/${id}`, {
      method: "PATCH",
      body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] },
    });
    expect(response.status).toBe(200);
  });

  it("bulk.maxOperations is exactly the enforced limit", async () => {
    const t = await tenant();
    const { maxOperations } = (await config(t)).bulk as { maxOperations: number };
    const operations = (n: number) =>
      Array.from({ length: n }, (_, index) => ({ method: "POST", path: "/Users", bulkId: `b${index}`, data: { schemas: [USER], userName: `b${n}-${index}` } }));
    const atLimit = await t.scim("/Bulk", { body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: operations(maxOperations) } });
    expect(atLimit.status).toBe(200);
    const over = await t.scim("/Bulk", { body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: operations(maxOperations + 1) } });
    expect(over.status).toBe(413);
  });

  it("bulk.maxPayloadSize is exactly the enforced limit in bytes", async () => {
    const t = await tenant();
    const { maxPayloadSize } = (await config(t)).bulk as { maxPayloadSize: number };
    const bodyOf = (size: number) => {
      const base = { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: [], padding: "" };
      const overhead = JSON.stringify(base).length;
      return JSON.stringify({ ...base, padding: "p".repeat(size - overhead) });
    };
    const exact = await t.scim("/Bulk", { body: bodyOf(maxPayloadSize) });
    expect(exact.status, JSON.stringify(exact.body)).not.toBe(413);
    const over = await t.scim("/Bulk", { body: bodyOf(maxPayloadSize + 1) });
    expect(over.status).toBe(413);
  });

  it("filter.maxResults is the page size ceiling", async () => {
    const t = await tenant();
    const { maxResults } = (await config(t)).filter as { maxResults: number };
    await seedUsers(t, maxResults + 2);
    const response = await t.scim(`/Users?count=${maxResults + 100}&filter=${encodeURIComponent('userName sw "user"')}`);
    expect(response.body.totalResults).toBe(maxResults + 2);
    expect(response.body.Resources).toHaveLength(maxResults);
    const defaulted = await t.scim("/Users");
    expect(defaulted.body.Resources).toHaveLength((await config(t)).pagination.defaultPageSize);
  });

  it("sort.supported: sortBy orders results", async () => {
    const t = await tenant();
    await seedUsers(t, 3);
    const response = await t.scim("/Users?sortBy=userName&sortOrder=descending");
    expect(response.body.Resources.map((user: { userName: string }) => user.userName)).toEqual([
      "user02@example.com",
      "user01@example.com",
      "user00@example.com",
    ]);
  });

  it("etag.supported: ETag, If-Match and If-None-Match work", async () => {
    const t = await tenant();
    const [id] = await seedUsers(t, 1);
    const read = await t.scim(`/Users/${id}`);
    const etag = read.headers.get("etag");
    expect(etag).toBe(read.body.meta.version);
    expect((await t.scim(`/Users/${id}`, { headers: { "if-none-match": etag! } })).status).toBe(304);
    expect((await t.scim(`/Users/${id}`, { method: "DELETE", headers: { "if-match": 'W/"0"' } })).status).toBe(412);
  });

  it("pagination.cursor and pagination.index both page through all users", async () => {
    const t = await tenant();
    const ids = await seedUsers(t, 5);
    const pagination = (await config(t)).pagination as { cursor: boolean; index: boolean };
    expect(pagination).toMatchObject({ cursor: true, index: true });
    const byIndex: string[] = [];
    for (let start = 1; start <= 5; start += 2) {
      const page = await t.scim(`/Users?startIndex=${start}&count=2`);
      byIndex.push(...page.body.Resources.map((user: { id: string }) => user.id));
    }
    expect(new Set(byIndex)).toEqual(new Set(ids));
    const byCursor: string[] = [];
    let cursor = "";
    for (let guard = 0; guard < 10; guard += 1) {
      const page = await t.scim(`/Users?count=2&cursor=${encodeURIComponent(cursor)}`);
      byCursor.push(...page.body.Resources.map((user: { id: string }) => user.id));
      if (page.body.nextCursor === undefined) break;
      cursor = page.body.nextCursor;
    }
    expect(byCursor).toHaveLength(5);
    expect(new Set(byCursor)).toEqual(new Set(ids));
  });

  it("changePassword.supported is false and no password is ever returned", async () => {
    const t = await tenant();
    expect((await config(t)).changePassword.supported).toBe(false);
    const created = await t.scim("/Users", { body: { schemas: [USER], userName: "pw@example.com", password: "hunter2hunter2" } });
    expect(created.body.password).toBeUndefined();
    const asked = await t.scim(`/Users/${created.body.id}?attributes=password`);
    expect(asked.body.password).toBeUndefined();
  });
});
