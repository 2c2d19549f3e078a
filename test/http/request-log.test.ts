import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestLogEntry } from "../../src/store/store.js";
import { scimFetch, startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

const RETENTION = 20;

let roster: TestRoster;
let counter = 0;

beforeAll(async () => {
  roster = await startTestRoster({ requestLogRetention: RETENTION });
});
afterAll(async () => {
  await roster.close();
});

async function tenant(): Promise<TestTenant> {
  counter += 1;
  return roster.addTenant(`reqlog-${counter}`);
}

async function log(t: TestTenant): Promise<readonly RequestLogEntry[]> {
  await roster.server.flushRequestLog();
  return roster.store.read((session) => session.listRequestLog(t.tenant.id, 100));
}

describe("request log", () => {
  it("records a successful request with method, path, status, duration, user agent and request id", async () => {
    const t = await tenant();
    const response = await t.scim("/Users?filter=userName%20eq%20%22x%22", { headers: { "x-request-id": "okta-req-1" } });
    expect(response.status).toBe(200);
    const entries = await log(t);
    expect(entries).toEqual([
      {
        tenantId: t.tenant.id,
        requestId: "okta-req-1",
        at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        method: "GET",
        path: `/scim/v2/${t.tenant.slug}/Users?filter=userName%20eq%20%22x%22`,
        status: 200,
        durationMs: expect.any(Number),
        scimType: null,
        errorDetail: null,
        userAgent: "Okta SCIM Client 1.0.0",
        requestBody: null,
      },
    ]);
    expect(entries[0]!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("records a failure with its scimType and detail, under the id the client saw", async () => {
    const t = await tenant();
    const response = await t.scim(`/Users?filter=${encodeURIComponent('userName eqq "x"')}`);
    expect(response.status).toBe(400);
    const [entry] = await log(t);
    expect(entry).toMatchObject({
      status: 400,
      scimType: "invalidFilter",
      errorDetail: response.body.detail,
      requestId: response.headers.get("x-request-id"),
    });
  });

  it("records request bodies with password and other secrets redacted", async () => {
    const t = await tenant();
    const created = await t.scim("/Users", { body: { schemas: [USER], userName: "logged@example.com", password: "Sup3rSecret!" } });
    expect(created.status).toBe(201);
    await t.scim(`/Users/${created.body.id}`, {
      method: "PATCH",
      body: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { password: "An0therSecret!" } }] },
    });
    const entries = await log(t);
    expect(entries).toHaveLength(2);
    for (const entry of entries) {
      expect(entry.requestBody).not.toBeNull();
      expect(entry.requestBody).not.toContain("Secret!");
      expect(entry.requestBody).toContain("[redacted]");
    }
    const post = entries.find((entry) => entry.method === "POST")!;
    expect(JSON.parse(post.requestBody!)).toEqual({ schemas: [USER], userName: "logged@example.com", password: "[redacted]" });
  });

  it("redacts a password given by path in a PATCH operation", async () => {
    const t = await tenant();
    const created = await t.scim("/Users", { body: { schemas: [USER], userName: "pathpw@example.com" } });
    await t.scim(`/Users/${created.body.id}`, {
      method: "PATCH",
      body: {
        schemas: [PATCH_OP],
        Operations: [
          { op: "replace", path: "password", value: "PathSecret123" },
          { op: "replace", path: "urn:ietf:params:scim:schemas:core:2.0:User:password", value: "UrnPathSecret123" },
          { op: "replace", value: { "urn:ietf:params:scim:schemas:core:2.0:User:password": "UrnKeySecret123" } },
        ],
      },
    });
    const entries = await log(t);
    const patch = entries.find((entry) => entry.method === "PATCH")!;
    expect(patch.requestBody).not.toMatch(/Secret123/);
    expect(JSON.parse(patch.requestBody!).Operations[0]).toEqual({ op: "replace", path: "password", value: "[redacted]" });
  });

  it("records a 401 with a wrong token for an existing tenant", async () => {
    const t = await tenant();
    const response = await scimFetch(`${t.baseUrl}/Users`, "roster_wrongwrongwrongwrongwrongwrongwrongwrongw");
    expect(response.status).toBe(401);
    const [entry] = await log(t);
    expect(entry).toMatchObject({ method: "GET", status: 401, scimType: null, errorDetail: expect.stringContaining("not valid") });
  });

  it("does not record the Authorization header or the token anywhere", async () => {
    const t = await tenant();
    await t.scim("/Users");
    const [entry] = await log(t);
    expect(JSON.stringify(entry)).not.toContain(t.token);
  });

  it("keeps tenants' logs apart, including a token of A used on B's URL", async () => {
    const a = await tenant();
    const b = await tenant();
    await a.scim("/Users", { body: { schemas: [USER], userName: "a-only@example.com" } });
    await scimFetch(`${b.baseUrl}/Users`, a.token);
    await b.scim("/Groups");
    const logA = await log(a);
    const logB = await log(b);
    expect(logA.map((entry) => `${entry.method} ${entry.status}`)).toEqual(["POST 201"]);
    expect(logB.map((entry) => `${entry.method} ${entry.status}`)).toEqual(["GET 200", "GET 401"]);
    expect(JSON.stringify(logB)).not.toContain("a-only");
    expect(logB.every((entry) => entry.tenantId === b.tenant.id)).toBe(true);
  });

  it("lists entries newest first", async () => {
    const t = await tenant();
    await t.scim("/Users");
    await t.scim("/Groups");
    await t.scim("/ServiceProviderConfig");
    const entries = await log(t);
    expect(entries.map((entry) => entry.path.split("/").pop())).toEqual(["ServiceProviderConfig", "Groups", "Users"]);
  });

  it("keeps a bounded number of entries per tenant, the newest ones", async () => {
    const t = await tenant();
    const other = await tenant();
    await other.scim("/Users");
    for (let index = 0; index < RETENTION * 2 + 5; index += 1) {
      await t.scim(`/Users?startIndex=${index + 1}`);
      if (index % 10 === 9) await roster.server.flushRequestLog();
    }
    await roster.server.flushRequestLog();
    await t.scim("/Groups");
    const entries = await log(t);
    expect(entries.length).toBeLessThanOrEqual(RETENTION + 1);
    expect(entries[0]!.path).toMatch(/\/Groups$/);
    expect(entries[1]!.path).toMatch(new RegExp(`startIndex=${RETENTION * 2 + 5}$`));
    expect(await log(other)).toHaveLength(1);
  });

  it("records nothing for an unknown tenant", async () => {
    const t = await tenant();
    await scimFetch(`${roster.url}/scim/v2/no-such-tenant/Users`, t.token);
    expect(await log(t)).toEqual([]);
  });
});
