import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revokeToken, createToken } from "../../src/directory/tokens.js";
import { scimFetch, startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";

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
  return roster.addTenant(`auth-${counter}`);
}

function expectUnauthorized(response: { status: number; headers: Headers; body: any }): void {
  expect(response.status).toBe(401);
  expect(response.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
  expect(response.headers.get("x-request-id")).toMatch(/.+/);
  expect(response.body).toEqual({ schemas: [ERROR_SCHEMA], status: "401", detail: expect.any(String) });
}

const ENDPOINTS: readonly [string, string, unknown?][] = [
  ["GET", "/Users"],
  ["GET", "/Groups"],
  ["GET", "/ServiceProviderConfig"],
  ["GET", "/Schemas"],
  ["GET", "/ResourceTypes"],
  ["POST", "/Users", { schemas: [USER_SCHEMA], userName: "intruder" }],
  ["POST", "/.search", {}],
  ["POST", "/Bulk", { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: [] }],
];

describe("bearer authentication", () => {
  it.each(ENDPOINTS)("answers %s %s without a token with 401 and WWW-Authenticate: Bearer", async (method, path, body) => {
    const t = await tenant();
    const response = await scimFetch(`${t.baseUrl}${path}`, undefined, { method, ...(body === undefined ? {} : { body }) });
    expectUnauthorized(response);
    expect(response.body.detail).toMatch(/missing bearer token/);
  });

  it.each([
    ["a wrong token", "roster_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["a malformed token", "not-a-token"],
    ["an empty Bearer", ""],
  ])("answers %s with 401", async (_name, token) => {
    const t = await tenant();
    const response = await scimFetch(`${t.baseUrl}/Users`, undefined, { headers: { authorization: `Bearer ${token}` } });
    expectUnauthorized(response);
  });

  it("answers Basic credentials with 401", async () => {
    const t = await tenant();
    const response = await scimFetch(`${t.baseUrl}/Users`, undefined, {
      headers: { authorization: `Basic ${Buffer.from(`user:${t.token}`).toString("base64")}` },
    });
    expectUnauthorized(response);
  });

  it('tolerates "Bearer Bearer <token>" and a bare token', async () => {
    const t = await tenant();
    for (const header of [`Bearer Bearer ${t.token}`, t.token, `bearer ${t.token}`]) {
      const response = await scimFetch(`${t.baseUrl}/Users`, undefined, { headers: { authorization: header } });
      expect(response.status, header).toBe(200);
    }
  });

  it("answers a token of tenant A on tenant B's base URL with 401 and no data of A", async () => {
    const a = await tenant();
    const b = await tenant();
    const created = await a.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "secret-a@example.com" } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const requests: [string, string, unknown?][] = [
      ["GET", "/Users"],
      ["GET", `/Users/${id}`],
      ["GET", `/Users?filter=${encodeURIComponent('userName eq "secret-a@example.com"')}`],
      ["PATCH", `/Users/${id}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] }],
      ["DELETE", `/Users/${id}`],
      ["POST", "/.search", {}],
      ["GET", "/ServiceProviderConfig"],
    ];
    for (const [method, path, body] of requests) {
      const response = await scimFetch(`${b.baseUrl}${path}`, a.token, { method, ...(body === undefined ? {} : { body }) });
      expectUnauthorized(response);
      const text = JSON.stringify(response.body);
      expect(text).not.toContain(id);
      expect(text).not.toContain("secret-a");
      expect(text).not.toContain(a.tenant.slug);
    }
    const stillThere = await a.scim(`/Users/${id}`);
    expect(stillThere.status).toBe(200);
    expect(stillThere.body.active).toBeUndefined();
  });

  it("does not show tenant A's users to tenant B with B's own token", async () => {
    const a = await tenant();
    const b = await tenant();
    const created = await a.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "only-a@example.com" } });
    const list = await b.scim("/Users");
    expect(list.body.totalResults).toBe(0);
    const byId = await b.scim(`/Users/${created.body.id}`);
    expect(byId.status).toBe(404);
    const search = await b.scim("/.search", { body: { filter: 'userName eq "only-a@example.com"' } });
    expect(search.body.totalResults).toBe(0);
    const group = await b.scim("/Groups", {
      body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "g", members: [{ value: created.body.id }] },
    });
    expect(group.status).toBe(400);
    expect(group.body.scimType).toBe("invalidValue");
  });

  it("lets the same userName exist in two tenants", async () => {
    const a = await tenant();
    const b = await tenant();
    for (const t of [a, b]) {
      const response = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "same@example.com" } });
      expect(response.status).toBe(201);
    }
  });

  it("answers a revoked token with 401 at once", async () => {
    const t = await tenant();
    const second = await createToken(roster.store, t.tenant, "cli", "second");
    expect((await scimFetch(`${t.baseUrl}/Users`, second.token)).status).toBe(200);
    expect((await revokeToken(roster.store, "cli", second.record.id)).ok).toBe(true);
    expectUnauthorized(await scimFetch(`${t.baseUrl}/Users`, second.token));
    expect((await t.scim("/Users")).status).toBe(200);
  });

  it("answers an unknown tenant slug with 401, not 404", async () => {
    const t = await tenant();
    for (const token of [t.token, undefined]) {
      const response = await scimFetch(`${roster.url}/scim/v2/no-such-tenant/Users`, token);
      expectUnauthorized(response);
    }
    const unknownEndpoint = await scimFetch(`${roster.url}/scim/v2/no-such-tenant/Users/123`, t.token);
    expectUnauthorized(unknownEndpoint);
  });

  it("answers the same way for an unknown tenant and a tenant that exists with a wrong token", async () => {
    const t = await tenant();
    const wrong = "roster_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
    const existing = await scimFetch(`${t.baseUrl}/Users`, wrong);
    const missing = await scimFetch(`${roster.url}/scim/v2/no-such-tenant/Users`, wrong);
    expect(missing.status).toBe(existing.status);
    expect(missing.body).toEqual(existing.body);
  });
});
