import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { hashToken } from "../../src/directory/tokens.js";
import type { AuditEntry } from "../../src/store/store.js";
import { rawRequest } from "../helpers/raw-http.js";
import { scimFetch } from "../helpers/roster.js";
import { type ApiRoster, apiFetch, scimUser, startApiRoster } from "./support.js";

// SCIM tokens through the management API (docs/management-api.md#scim-tokens), on SQLite or PostgreSQL.

let t: ApiRoster;
let keyId: string;
/** The last audit entry before the test (the setup's own token): entries after it are the test's. */
let auditedBefore: number;
beforeEach(async () => {
  t = await startApiRoster();
  // The API key startApiRoster made for acme, named "test": its id is how the audit log names it.
  keyId = (await t.roster.store.read((s) => s.listApiKeys())).find((k) => k.name === "test")?.id ?? "";
  expect(keyId).not.toBe("");
  auditedBefore = (await t.roster.store.read((s) => s.listAuditEntries({ limit: 1 })))[0]?.seq ?? 0;
});
afterEach(() => t.close());

const STRONG = "Fluid-Shared-Secret-0123456789-abcdef!";
const users = (token: string) => scimFetch(`${t.acme.baseUrl}/Users`, token);
const inHours = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
const audit = (): Promise<readonly AuditEntry[]> => t.roster.store.read((s) => s.listAuditEntries({ tenantId: t.acme.tenant.id, limit: 100 }));
const tokenAudit = async () => (await audit()).filter((entry) => entry.seq > auditedBefore && entry.action.startsWith("token."));

async function create(body: unknown = {}): Promise<Record<string, any>> {
  const response = await t.api("/scim-tokens", { body });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as Record<string, any>;
}

describe("POST /api/v1/tenants/<slug>/scim-tokens", () => {
  it("issues a token that works at once, shown once with the SCIM base URL, and names it in Location", async () => {
    const expiresAt = inHours(24 * 90);
    const response = await t.api("/scim-tokens", { body: { name: "okta", expiresAt } });
    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe(`/api/v1/tenants/acme/scim-tokens/${response.body.id}`);
    expect(response.body).toEqual({
      id: expect.any(String),
      token: expect.stringMatching(/^roster_[A-Za-z0-9_-]{43}$/),
      name: "okta",
      scimBaseUrl: `${t.roster.url}/scim/v2/acme`,
      createdAt: expect.any(String),
      lastUsedAt: null,
      expiresAt,
      revokedAt: null,
      principal: null,
    });
    expect((await users(response.body.token)).status).toBe(200);
    const read = await t.api(`/scim-tokens/${response.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty("token");
    expect(read.body).toMatchObject({ id: response.body.id, name: "okta", expiresAt });
  });

  it("answers an empty body with an unnamed token that never expires", async () => {
    const response = await apiFetch(`${t.roster.url}/api/v1/tenants/acme/scim-tokens`, t.key, { method: "POST" });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ name: "unnamed", expiresAt: null, principal: null });
    expect((await users(response.body.token)).status).toBe(200);
  });

  it("stores an admin-entered secret without echoing it, and the secret authenticates", async () => {
    const created = await create({ name: "fluid", secret: STRONG });
    expect(created).not.toHaveProperty("token");
    expect(JSON.stringify(created)).not.toContain(STRONG);
    expect((await users(STRONG)).status).toBe(200);
  });

  it.each([
    [{ secret: "short-Secret-1!" }, "secret is 15 characters long; a secret needs 32-512 characters"],
    [{ secret: "fluid-shared-secret-0123456789-abcdef!" }, "secret has no upper-case letter (A-Z)"],
    [{ secret: "Fluid Shared Secret 0123456789 abcdef!" }, "secret has a space, control or non-ASCII character at position 6"],
    [{ secret: "FluidSharedSecret0123456789abcdefgh" }, "secret has no symbol"],
    [{ secret: 42 }, "secret: expected a string"],
    [{ name: "" }, "name: expected 1-200 characters"],
    [{ name: "x".repeat(201) }, "name: expected 1-200 characters"],
    [{ name: "line\nbreak" }, "without control characters"],
    [{ principal: "" }, "principal: expected the id of an unmanaged user"],
    [{ principal: "no-such-user" }, 'principal "no-such-user" is not a user of tenant "acme"'],
    [{ expiresAt: "2020-01-01T00:00:00Z" }, 'expiresAt: "2020-01-01T00:00:00Z" is not in the future'],
    [{ expiresAt: "2227-01-01T00:00:00Z" }, "is more than 3650 days (ten years) ahead"],
    [{ expiresAt: "2027-02-30T00:00:00Z" }, "is not a date and time that exists"],
    [{ expiresAt: "2027-06-30" }, "is not an ISO 8601 time with its zone"],
    [{ expiresAt: "90d" }, "is not an ISO 8601 time with its zone"],
    [{ expiresAt: 1767225600 }, "expiresAt: expected an ISO 8601 time"],
    [{ scopes: ["read"] }, 'unknown field "scopes" in the body of POST scim-tokens; expected one of name, secret, principal, expiresAt'],
    [[STRONG], "scim token: expected a JSON object"],
  ])("refuses %j with 400 naming the field and the rule, and issues nothing", async (body, message) => {
    const response = await t.api("/scim-tokens", { body });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalidRequest");
    expect(response.body.error.message).toContain(message);
    expect((await t.api("/scim-tokens")).body.data).toHaveLength(1);
    expect(await tokenAudit()).toEqual([]);
  });

  it("refuses a principal that is managed or inactive, and a secret that is already a token", async () => {
    const managed = await t.acme.scim("/Users", { body: scimUser("dana@example.com") });
    const inactive = await t.api("/users", { body: { userName: "gone", active: false } });
    for (const [principal, message] of [
      [managed.body.id, "managed by the identity provider"],
      [inactive.body.id, "is not active; activate it first"],
    ] as const) {
      const response = await t.api("/scim-tokens", { body: { principal } });
      expect(response.status).toBe(400);
      expect(response.body.error.message).toContain(message);
    }
    await create({ secret: STRONG });
    const again = await t.api("/scim-tokens", { body: { secret: STRONG } });
    expect(again.status).toBe(400);
    expect(again.body.error.message).toContain("this secret is already the secret of an unrevoked token");
  });

  it("ties a token to an unmanaged user: its state shows in the listing, and the token stops with it", async () => {
    const owner = await t.api("/users", { body: { userName: "integration-owner" } });
    const created = await create({ name: "fulcrum", principal: owner.body.id });
    expect(created.principal).toEqual({ id: owner.body.id, state: "active" });
    const principalOf = async () => (await t.api(`/scim-tokens/${created.id}`)).body.principal;

    await t.api(`/users/${owner.body.id}`, { method: "PATCH", body: { active: false } });
    expect(await principalOf()).toEqual({ id: owner.body.id, state: "deactivated" });
    expect((await users(created.token)).status).toBe(401);

    await t.api(`/users/${owner.body.id}`, { method: "DELETE" });
    expect(await principalOf()).toEqual({ id: owner.body.id, state: "deleted" });
    const listed = (await t.api("/scim-tokens")).body.data.find((token: { id: string }) => token.id === created.id);
    expect(listed.principal).toEqual({ id: owner.body.id, state: "deleted" });
  });

  it("never builds the SCIM base URL from a Host header the server does not answer to", async () => {
    const port = new URL(t.roster.url).port;
    const body = JSON.stringify({ name: "okta" });
    const answer = await rawRequest(
      Number(port),
      `POST /api/v1/tenants/acme/scim-tokens HTTP/1.1\r\nHost: evil.example\r\nAuthorization: Bearer ${t.key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(answer.status).toBe(201);
    expect(answer.body.scimBaseUrl).toBe(`${t.roster.url}/scim/v2/acme`);
  });

  it("hands out the server's public URL as the SCIM base URL", async () => {
    await t.close();
    t = await startApiRoster({ publicUrl: "https://scim.example.com/roster" });
    const created = await create();
    expect(created.scimBaseUrl).toBe("https://scim.example.com/roster/scim/v2/acme");
  });
});

describe("GET /api/v1/tenants/<slug>/scim-tokens", () => {
  it("lists tokens newest first without secrets or hashes, paged, and filtered by revoked", async () => {
    const a = await create({ name: "a" });
    const b = await create({ name: "b" });
    expect((await t.api(`/scim-tokens/${a.id}`, { method: "DELETE" })).status).toBe(204);

    const all = await t.api("/scim-tokens");
    expect(all.status).toBe(200);
    const text = JSON.stringify(all.body);
    for (const secret of [a.token, b.token, t.acme.token]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(hashToken(secret));
    }
    const ids = all.body.data.map((token: { id: string }) => token.id);
    expect(ids).toHaveLength(3);
    // Newest first by creation time; two tokens made within one millisecond are in id order instead.
    if (a.createdAt !== b.createdAt) expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    const times = all.body.data.map((token: { createdAt: string }) => token.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    expect(all.body.nextCursor).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const response = await t.api(`/scim-tokens?limit=1${cursor === null ? "" : `&cursor=${cursor}`}`);
      expect(response.status).toBe(200);
      seen.push(...response.body.data.map((token: { id: string }) => token.id));
      cursor = response.body.nextCursor;
      if (cursor === null) break;
    }
    expect(seen).toEqual(ids);

    const revoked = await t.api("/scim-tokens?revoked=true");
    expect(revoked.body.data.map((token: { id: string }) => token.id)).toEqual([a.id]);
    expect(revoked.body.data[0].revokedAt).toEqual(expect.any(String));
    const working = await t.api("/scim-tokens?revoked=false");
    expect(working.body.data.map((token: { id: string }) => token.id).sort()).toEqual(ids.filter((id: string) => id !== a.id).sort());
  });

  it.each([
    ["?revoked=yes", "invalidRequest", 'revoked: expected true or false, got "yes"'],
    ["?limit=0", "invalidRequest", "limit: expected an integer from 1 to 1000"],
    ["?cursor=not-a-cursor", "invalidCursor", "cursor: pass nextCursor unchanged"],
    ["?active=true", "invalidRequest", 'unknown query parameter "active" for GET scim-tokens; it takes revoked, limit, cursor'],
  ])("refuses %s with 400 %s", async (query, code, message) => {
    const response = await t.api(`/scim-tokens${query}`);
    expect(response.status).toBe(400);
    expect(response.body.error).toEqual({ code, message: expect.stringContaining(message) });
  });

  it("refuses a cursor reused with another revoked filter", async () => {
    await create();
    const first = await t.api("/scim-tokens?limit=1&revoked=false");
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const other = await t.api(`/scim-tokens?limit=1&cursor=${first.body.nextCursor}`);
    expect(other.status).toBe(400);
    expect(other.body.error.code).toBe("invalidCursor");
  });
});

describe("DELETE /api/v1/tenants/<slug>/scim-tokens/<id>", () => {
  it("rotates: both tokens work between creating the second and revoking the first, then only the second", async () => {
    const first = await create({ name: "okta-2026" });
    const second = await create({ name: "okta-2027" });
    expect((await users(first.token)).status).toBe(200);
    expect((await users(second.token)).status).toBe(200);

    expect((await t.api(`/scim-tokens/${first.id}`, { method: "DELETE" })).status).toBe(204);
    const refused = await users(first.token);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toContain("the bearer token was revoked");
    expect((await users(second.token)).status).toBe(200);
    expect((await t.api(`/scim-tokens/${first.id}`)).body.revokedAt).toEqual(expect.any(String));
  });

  it("answers 204 again for a token already revoked, recording one revocation only", async () => {
    const created = await create();
    expect((await t.api(`/scim-tokens/${created.id}`, { method: "DELETE" })).status).toBe(204);
    const revokedAt = (await t.api(`/scim-tokens/${created.id}`)).body.revokedAt;
    expect((await t.api(`/scim-tokens/${created.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await t.api(`/scim-tokens/${created.id}`)).body.revokedAt).toBe(revokedAt);
    expect((await tokenAudit()).filter((entry) => entry.action === "token.revoked")).toHaveLength(1);
  });

  it("answers 404 for an unknown id and for a token of another tenant, which keeps working", async () => {
    const globex = await t.roster.addTenant("globex");
    const theirs = (await t.roster.store.read((s) => s.listTokens(globex.tenant.id)))[0];
    expect(theirs).toBeDefined();
    for (const id of ["no-such-token", theirs?.id ?? ""]) {
      for (const method of ["GET", "DELETE"]) {
        const response = await t.api(`/scim-tokens/${id}`, { method });
        expect(response.status, `${method} ${id}`).toBe(404);
        expect(response.body.error.message).toBe(`SCIM token "${id}" does not exist in tenant "acme" (see GET /api/v1/tenants/acme/scim-tokens)`);
      }
    }
    expect((await scimFetch(`${globex.baseUrl}/Users`, globex.token)).status).toBe(200);
    expect(await tokenAudit()).toEqual([]);
  });

  it("refuses a body on DELETE", async () => {
    const created = await create();
    const response = await t.api(`/scim-tokens/${created.id}`, { method: "DELETE", body: { reason: "rotation" } });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain('unknown field "reason"');
    expect((await users(created.token)).status).toBe(200);
  });
});

describe("who may manage a tenant's SCIM tokens", () => {
  it("lets an administrator key do everything, and refuses another tenant's key with 403", async () => {
    await t.roster.addTenant("globex");
    const globexKey = (await createApiKey(t.roster.store, (await t.roster.store.read((s) => s.findTenantBySlug("globex")))!, "globex")).key;
    const adminKey = (await createApiKey(t.roster.store, undefined, "admin")).key;
    const url = `${t.roster.url}/api/v1/tenants/acme/scim-tokens`;

    const created = await apiFetch(url, adminKey, { body: { name: "by-admin" } });
    expect(created.status).toBe(201);
    expect((await apiFetch(url, adminKey)).status).toBe(200);
    for (const [method, path] of [["GET", ""], ["POST", ""], ["GET", `/${created.body.id}`], ["DELETE", `/${created.body.id}`]] as const) {
      const response = await apiFetch(`${url}${path}`, globexKey, { method });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.body.error.code).toBe("forbidden");
    }
    expect((await apiFetch(`${url}/${created.body.id}`, adminKey, { method: "DELETE" })).status).toBe(204);
    expect((await apiFetch(url, null)).status).toBe(401);
    expect((await apiFetch(url, t.acme.token)).body.error.message).toContain("this is a SCIM bearer token, not a management API key");
  });
});

describe("token expiry", () => {
  it("stops a token at its expiry, memoised or not, with a 401 that says when it expired", async () => {
    const expiresAt = new Date(Date.now() + 3_000).toISOString();
    const created = await create({ name: "short-lived", expiresAt });
    // Used at once and repeatedly: the token memo holds it from here on.
    for (let i = 0; i < 3; i++) expect((await users(created.token)).status).toBe(200);
    let answer = await users(created.token);
    for (let attempt = 0; answer.status === 200 && attempt < 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await users(created.token);
    }
    expect(answer.status).toBe(401);
    expect(answer.body.detail).toBe(
      `the bearer token expired at ${expiresAt}; create a new one (POST /api/v1/tenants/<slug>/scim-tokens or roster tokens create) and enter it in the identity provider`,
    );
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    expect((await t.api(`/scim-tokens/${created.id}`)).body).toMatchObject({ expiresAt, revokedAt: null });
    expect((await users(t.acme.token)).status).toBe(200);
  });
});

describe("audit log of SCIM tokens", () => {
  it("records each create and revoke once, with the API key, the token's settings and never its secret", async () => {
    const owner = await t.api("/users", { body: { userName: "integration-owner" } });
    const expiresAt = inHours(48);
    const created = await create({ name: "fulcrum", principal: owner.body.id, expiresAt });
    const fluid = await create({ name: "fluid", secret: STRONG });
    await t.api(`/scim-tokens/${created.id}`, { method: "DELETE" });

    const entries = await tokenAudit();
    expect(entries.map((entry) => [entry.action, entry.target])).toEqual([
      ["token.revoked", created.id],
      ["token.created", fluid.id],
      ["token.created", created.id],
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({ actor: `apikey:${keyId}`, tenantId: t.acme.tenant.id, tenantSlug: "acme" });
      for (const secret of [created.token, STRONG]) {
        expect(entry.details).not.toContain(secret);
        expect(entry.details).not.toContain(hashToken(secret));
      }
    }
    const settings = { name: "fulcrum", principal: owner.body.id, expiresAt, revokedAt: null };
    expect(JSON.parse(entries[2]?.details ?? "null")).toEqual({ after: settings });
    const revoked = JSON.parse(entries[0]?.details ?? "null");
    expect(revoked).toEqual({ before: settings, after: { ...settings, revokedAt: expect.any(String) } });
  });
});
