import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { createTenantWithSettings } from "../../src/directory/tenant-admin.js";
import { CLI_ACTOR } from "../../src/directory/audit.js";
import { createToken } from "../../src/directory/tokens.js";
import { startTestRoster, scimFetch, type TestRoster, type TestTenant } from "../helpers/roster.js";
import { apiFetch, type ApiResponse, scimUser } from "./support.js";
import { countTenantRows, noRows } from "./tenant-rows.js";

const PUBLIC_URL = "https://scim.example.com";

let roster: TestRoster;
let acme: TestTenant;
/** An administrator key, and a key of tenant acme. */
let admin: string;
let acmeKey: string;

beforeEach(async () => {
  roster = await startTestRoster({ publicUrl: PUBLIC_URL });
  acme = await roster.addTenant("acme");
  admin = (await createApiKey(roster.store, undefined, "admin")).key;
  acmeKey = (await createApiKey(roster.store, acme.tenant, "acme-backend")).key;
});
afterEach(() => roster.close());

function api(path: string, key: string | null, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
  return apiFetch(`${roster.url}/api/v1${path}`, key, init);
}

function example(name: string): string {
  return readFileSync(new URL(`../../examples/profiles/${name}.yaml`, import.meta.url), "utf8");
}

describe("POST /api/v1/tenants", () => {
  it("creates a tenant with its name and answers 201 with Location and the SCIM base URL on the public URL", async () => {
    const created = await api("/tenants", admin, { body: { slug: "globex", name: "Globex Corporation" } });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/api/v1/tenants/globex");
    expect(created.body).toEqual({
      slug: "globex",
      name: "Globex Corporation",
      scimBaseUrl: `${PUBLIC_URL}/scim/v2/globex`,
      profileVersion: 0,
      scimEnabled: true,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect((await api("/tenants/globex", admin)).body).toEqual(created.body);
  });

  it.each(["fleet", "fleetio", "flosum", "fluid", "fulcrum"])("creates a tenant from the example profile %s.yaml sent as YAML text", async (name) => {
    const created = await api("/tenants", admin, { body: { slug: `from-${name}`, profile: example(name) } });
    expect(created.status).toBe(201);
    expect(created.body.profileVersion).toBe(1);
  });

  it("refuses a profile mapping groups to roles on a new tenant, whose roles are not declared yet, and creates nothing", async () => {
    const profile = "roles:\n  fromGroups:\n    mappings:\n      Admins: admin\n";
    const refused = await api("/tenants", admin, { body: { slug: "with-roles", profile } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("invalidProfile");
    expect(refused.body.error.problems.map((problem: { message: string }) => problem.message).join("\n")).toContain("PUT /api/v1/tenants/with-roles/roles");
    expect((await api("/tenants/with-roles", admin)).status).toBe(404);
  });

  it("takes the profile as a JSON object and stores it as YAML", async () => {
    const created = await api("/tenants", admin, { body: { slug: "json-profile", profile: { unmanagedUsers: { visible: true } } } });
    expect(created.status).toBe(201);
    expect(created.body.profileVersion).toBe(1);
    const stored = await roster.store.read(async (session) => session.findTenantProfile((await session.findTenantBySlug("json-profile"))!.id));
    expect(stored?.source).toBe("unmanagedUsers:\n  visible: true\n");
  });

  it("answers 400 invalidProfile with every problem, in line order, and creates nothing", async () => {
    const profile = "unmanagedUsers:\n  visible: maybe\nsync:\n  users: perhaps\n";
    const refused = await api("/tenants", admin, { body: { slug: "broken", profile } });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("invalidProfile");
    const problems = refused.body.error.problems as { line: number; column: number; path: string; message: string }[];
    expect(problems.length).toBe(2);
    expect(problems.map((problem) => problem.line)).toEqual([2, 4]);
    for (const problem of problems) {
      expect(problem).toEqual({ line: expect.any(Number), column: expect.any(Number), path: expect.any(String), message: expect.any(String) });
      expect(problem.path.length).toBeGreaterThan(0);
    }
    expect((await api("/tenants/broken", admin)).status).toBe(404);
  });

  it("answers 409 tenantExists for a slug taken", async () => {
    const refused = await api("/tenants", admin, { body: { slug: "acme" } });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toEqual({ code: "tenantExists", message: 'tenant "acme" already exists' });
  });

  it.each([
    [{}, "slug: required"],
    [{ slug: "Bad_Slug" }, "slug: tenant slug"],
    [{ slug: "ok", name: "" }, "name:"],
    [{ slug: "ok", name: "x".repeat(201) }, "name: 201 characters"],
    [{ slug: "ok", name: "two\nlines" }, "name: holds a control character"],
    [{ slug: "ok", profile: 42 }, "profile: expected"],
    [{ slug: "ok", plan: "gold" }, 'unknown field "plan"'],
  ])("answers 400 naming what is wrong in %j", async (body, message) => {
    const refused = await api("/tenants", admin, { body });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("invalidRequest");
    expect(refused.body.error.message).toContain(message);
    expect((await api("/tenants/ok", admin)).status).toBe(404);
  });
});

describe("administrator-only operations", () => {
  it.each([
    ["GET", "/tenants", undefined],
    ["POST", "/tenants", { slug: "mine" }],
    ["DELETE", "/tenants/acme?confirm=acme", undefined],
    ["GET", "/api-keys", undefined],
    ["POST", "/api-keys", { name: "x" }],
    ["DELETE", "/api-keys/anything", undefined],
    ["GET", "/audit", undefined],
  ])("answer 403 forbidden to a tenant key, naming the administrator key: %s %s", async (method, path, body) => {
    const refused = await api(path, acmeKey, { method, ...(body === undefined ? {} : { body }) });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("forbidden");
    expect(refused.body.error.message).toContain("needs an administrator API key");
    expect((await api("/tenants/acme", admin)).status).toBe(200);
  });

  it("answer 401 before anything else without a key", async () => {
    for (const path of ["/tenants", "/api-keys", "/audit", "/tenants/nowhere"]) expect((await api(path, null)).status).toBe(401);
  });

  it("let a tenant key read and change its own tenant, and not another's", async () => {
    expect((await api("/tenants/acme", acmeKey)).body.slug).toBe("acme");
    expect((await api("/tenants/acme", acmeKey, { method: "PATCH", body: { name: "ACME Inc." } })).body.name).toBe("ACME Inc.");
    await api("/tenants", admin, { body: { slug: "globex" } });
    for (const path of ["/tenants/globex", "/tenants/nowhere", "/tenants/globex/audit"]) expect((await api(path, acmeKey)).status).toBe(403);
  });

  it("answer 405 with Allow on a method a control path does not serve, after the key", async () => {
    expect((await api("/tenants", null, { method: "PUT", body: {} })).status).toBe(401);
    const refused = await api("/tenants", admin, { method: "PUT", body: {} });
    expect(refused.status).toBe(405);
    expect(refused.headers.get("allow")).toBe("GET, POST");
  });
});

describe("GET /api/v1/tenants", () => {
  it("pages through 250 tenants in slug order, and q finds slugs and names ignoring case", async () => {
    for (let n = 0; n < 250; n += 1) {
      const slug = `customer-${String(n).padStart(3, "0")}`;
      await createTenantWithSettings(roster.store, { slug, ...(n % 5 === 0 ? { name: `Blue Harbor ${n}` } : {}) }, "cli");
    }
    const seen: string[] = [];
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const response: ApiResponse = await api(`/tenants?limit=37${cursor === "" ? "" : `&cursor=${cursor}`}`, admin);
      expect(response.status).toBe(200);
      seen.push(...response.body.data.map((tenant: { slug: string }) => tenant.slug));
      cursor = response.body.nextCursor;
      pages += 1;
    }
    expect(pages).toBe(7);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toHaveLength(251);

    const byName: string[] = [];
    cursor = "";
    while (cursor !== null) {
      const response: ApiResponse = await api(`/tenants?q=bLUE%20harbor&limit=20${cursor === "" ? "" : `&cursor=${cursor}`}`, admin);
      byName.push(...response.body.data.map((tenant: { slug: string }) => tenant.slug));
      cursor = response.body.nextCursor;
    }
    expect(byName).toHaveLength(50);
    expect(byName.every((slug) => Number(slug.slice(-3)) % 5 === 0)).toBe(true);
    expect((await api("/tenants?q=CUSTOMER-24", admin)).body.data.map((tenant: { slug: string }) => tenant.slug)).toEqual([
      "customer-240",
      "customer-241",
      "customer-242",
      "customer-243",
      "customer-244",
      "customer-245",
      "customer-246",
      "customer-247",
      "customer-248",
      "customer-249",
    ]);
  });

  it("takes % and _ in q literally", async () => {
    await createTenantWithSettings(roster.store, { slug: "dairy", name: "100% Dairy" }, "cli");
    await createTenantWithSettings(roster.store, { slug: "snake", name: "snake_case Ltd" }, "cli");
    expect((await api("/tenants?q=%25", admin)).body.data.map((tenant: { slug: string }) => tenant.slug)).toEqual(["dairy"]);
    expect((await api("/tenants?q=_", admin)).body.data.map((tenant: { slug: string }) => tenant.slug)).toEqual(["snake"]);
  });

  it("answers 400 for a q too long, a bad limit and a cursor it did not issue", async () => {
    expect((await api(`/tenants?q=${"x".repeat(201)}`, admin)).body.error.message).toContain("q: 201 characters");
    expect((await api("/tenants?limit=0", admin)).body.error.message).toContain("limit:");
    expect((await api("/tenants?cursor=bm9wZQ", admin)).body.error.code).toBe("invalidCursor");
  });
});

describe("PATCH /api/v1/tenants/<slug>", () => {
  it("renames the tenant and records the change with before and after in its audit log", async () => {
    const changed = await api("/tenants/acme", admin, { method: "PATCH", body: { name: "ACME" } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ slug: "acme", name: "ACME", scimEnabled: true });
    const audit = await api("/tenants/acme/audit", acmeKey);
    expect(audit.body.data[0]).toEqual({
      id: expect.any(String),
      at: expect.any(String),
      actor: expect.stringMatching(/^apikey:/),
      action: "tenant.updated",
      tenant: "acme",
      target: "acme",
      before: { name: null, scimEnabled: true },
      after: { name: "ACME", scimEnabled: true },
    });
    expect((await api("/tenants/acme", admin, { method: "PATCH", body: { name: null } })).body.name).toBeNull();
  });

  it.each([
    [{}, "nothing to change"],
    [{ scimEnabled: "no" }, "scimEnabled: expected true or false"],
    [{ name: 7 }, "name: expected a string or null"],
    [{ slug: "other" }, 'unknown field "slug"'],
  ])("answers 400 for %j", async (body, message) => {
    const refused = await api("/tenants/acme", admin, { method: "PATCH", body });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain(message);
  });
});

describe("the SCIM sync switch", () => {
  it("makes every SCIM request of the tenant answer 403 while off, discovery included, and 200 again once on", async () => {
    const off = await api("/tenants/acme", acmeKey, { method: "PATCH", body: { scimEnabled: false } });
    expect(off.body.scimEnabled).toBe(false);
    for (const path of ['/Users?filter=userName%20eq%20%22x%40example.com%22&count=1', "/ServiceProviderConfig", "/Groups"]) {
      const refused = await acme.scim(path);
      expect(refused.status, path).toBe(403);
      expect(refused.body.detail).toMatch(/^SCIM provisioning is switched off for this tenant in the application's settings; .*ask the application's administrator to switch it on$/);
    }
    expect((await acme.scim("/Users", { body: scimUser("dana@example.com") })).status).toBe(403);
    // An unauthenticated caller learns nothing of the switch.
    expect((await scimFetch(`${acme.baseUrl}/Users`, undefined)).status).toBe(401);

    await api("/tenants/acme", acmeKey, { method: "PATCH", body: { scimEnabled: true } });
    expect((await acme.scim("/Users?count=1")).status).toBe(200);
    expect((await acme.scim("/Users", { body: scimUser("dana@example.com") })).status).toBe(201);

    await roster.server.flushRequestLog();
    const log = await roster.store.read((session) => session.listRequestLog(acme.tenant.id, 20));
    const refusedEntries = log.filter((entry) => entry.status === 403);
    expect(refusedEntries.length).toBe(4);
    expect(refusedEntries.every((entry) => entry.errorDetail?.startsWith("SCIM provisioning is switched off for this tenant") === true)).toBe(true);
  });

  it("leaves other tenants' SCIM APIs on", async () => {
    const globex = await roster.addTenant("globex");
    await api("/tenants/acme", admin, { method: "PATCH", body: { scimEnabled: false } });
    expect((await globex.scim("/Users")).status).toBe(200);
  });
});

describe("DELETE /api/v1/tenants/<slug>", () => {
  it("answers 400 naming confirm when it is missing or another slug, and deletes nothing", async () => {
    const missing = await api("/tenants/acme", admin, { method: "DELETE" });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toContain("confirm: required");
    const wrong = await api("/tenants/acme?confirm=acne", admin, { method: "DELETE" });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.message).toContain('confirm: "acne" is not the tenant\'s slug');
    expect((await acme.scim("/Users")).status).toBe(200);
  });

  it("answers 404 for a tenant that does not exist", async () => {
    expect((await api("/tenants/nowhere?confirm=nowhere", admin, { method: "DELETE" })).status).toBe(404);
  });

  it("removes the tenant and everything it owns; its token and keys answer 401 at once; the audit entry survives", async () => {
    const user = await acme.scim("/Users", { body: scimUser("dana@example.com") });
    await acme.scim("/Groups", { body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Staff", members: [{ value: user.body.id }] } });
    await api("/tenants/acme/roles", acmeKey, { method: "PUT", body: ["admin"] });
    await api("/tenants/acme/users", acmeKey, { body: { userName: "own@example.com" } });
    await acme.scim("/Users", { headers: { authorization: "Bearer nope" } });
    await roster.server.flushRequestLog();
    const before = await countTenantRows(roster, acme.tenant.id);
    expect(before["tenants"]).toBe(1);
    expect(before["resources"]).toBe(3);
    expect(before["group_members"]).toBe(1);
    expect(before["events"]).toBeGreaterThan(0);
    expect(before["request_log"]).toBeGreaterThan(0);

    const deleted = await api("/tenants/acme?confirm=acme", admin, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect((await acme.scim("/Users")).status).toBe(401);
    expect((await api("/tenants/acme/users", acmeKey)).status).toBe(401);
    expect((await api("/tenants/acme", admin)).status).toBe(404);
    await roster.server.flushRequestLog();
    const after = await countTenantRows(roster, acme.tenant.id);
    expect(after).toEqual(noRows(after));

    const audit = await api("/audit", admin);
    expect(audit.body.data[0]).toMatchObject({ action: "tenant.deleted", tenant: "acme", target: "acme", before: { name: null, scimEnabled: true } });
  });

  it("lets a tenant be created again under the slug, new and empty; the old token stays refused", async () => {
    await acme.scim("/Users", { body: scimUser("dana@example.com") });
    await api("/tenants/acme?confirm=acme", admin, { method: "DELETE" });
    const again = await api("/tenants", admin, { body: { slug: "acme" } });
    expect(again.status).toBe(201);
    expect((await acme.scim("/Users")).status).toBe(401);
    const tenant = (await roster.store.read((session) => session.findTenantBySlug("acme")))!;
    expect(tenant.id).not.toBe(acme.tenant.id);
    const { token } = await createToken(roster.store, tenant, CLI_ACTOR, "new");
    const users = await scimFetch(`${acme.baseUrl}/Users`, token);
    expect(users.status).toBe(200);
    expect(users.body.totalResults).toBe(0);
  });
});

describe("API keys", () => {
  it("issues an administrator key and a tenant key, lists them without secrets, and revokes one", async () => {
    const issued = await api("/api-keys", admin, { body: { name: "billing-backend", tenant: "acme" } });
    expect(issued.status).toBe(201);
    expect(issued.body).toEqual({ id: expect.any(String), key: expect.stringMatching(/^rosterkey_/), name: "billing-backend", tenant: "acme", createdAt: expect.any(String) });
    expect(issued.headers.get("location")).toBe(`/api/v1/api-keys/${issued.body.id}`);
    expect((await api("/tenants/acme/users", issued.body.key)).status).toBe(200);
    const adminIssued = await api("/api-keys", admin, { body: { name: "ops" } });
    expect(adminIssued.body.tenant).toBeNull();
    expect((await api("/tenants", adminIssued.body.key)).status).toBe(200);

    const listed = await api("/api-keys", admin);
    expect(listed.status).toBe(200);
    // Oldest first; keys made within one millisecond (the fixture's two) are in id order.
    const listedKeys: { id: string; name: string; createdAt: string }[] = listed.body.data;
    expect(listedKeys.map((key) => key.name).sort()).toEqual(["acme-backend", "admin", "billing-backend", "ops"]);
    expect(listedKeys.map((key) => key.createdAt)).toEqual(listedKeys.map((key) => key.createdAt).sort());
    expect(JSON.stringify(listed.body)).not.toContain("rosterkey_");
    expect(listedKeys.find((key) => key.id === issued.body.id)).toEqual({ id: issued.body.id, name: "billing-backend", tenant: "acme", createdAt: expect.any(String), revokedAt: null });

    expect((await api(`/api-keys/${issued.body.id}`, admin, { method: "DELETE" })).status).toBe(204);
    expect((await api("/tenants/acme/users", issued.body.key)).status).toBe(401);
    expect((await api(`/api-keys/${issued.body.id}`, admin, { method: "DELETE" })).status).toBe(404);

    const actions = (await api("/audit", admin)).body.data.map((entry: { action: string; target: string }) => `${entry.action} ${entry.target}`);
    expect(actions.slice(0, 3)).toEqual([`apikey.revoked ${issued.body.id}`, `apikey.created ${adminIssued.body.id}`, `apikey.created ${issued.body.id}`]);
  });

  it("pages the key listing", async () => {
    for (let n = 0; n < 5; n += 1) await api("/api-keys", admin, { body: { name: `k${n}` } });
    const first = await api("/api-keys?limit=4", admin);
    expect(first.body.data).toHaveLength(4);
    const second = await api(`/api-keys?limit=4&cursor=${first.body.nextCursor}`, admin);
    // Seven keys in two pages, none twice (keys made within one millisecond are in id order, so the names are compared as a set).
    expect(second.body.data).toHaveLength(3);
    const names = [...first.body.data, ...second.body.data].map((key: { name: string }) => key.name);
    expect(names.sort()).toEqual(["acme-backend", "admin", "k0", "k1", "k2", "k3", "k4"]);
    expect(second.body.nextCursor).toBeNull();
    const forged = await api("/api-keys?cursor=bm9wZQ", admin);
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe("invalidCursor");
    expect(second.body.nextCursor).toBeNull();
  });

  it("lets an administrator key revoke itself: that request succeeds, the next is 401", async () => {
    const listed = await api("/api-keys", admin);
    const own = listed.body.data.find((key: { name: string }) => key.name === "admin");
    expect((await api(`/api-keys/${own.id}`, admin, { method: "DELETE" })).status).toBe(204);
    expect((await api("/api-keys", admin)).status).toBe(401);
  });

  it.each([
    [{}, "name: required"],
    [{ name: "" }, "name: expected 1 to 200"],
    [{ name: "x", tenant: "nowhere" }, 'tenant: no tenant has the slug "nowhere"'],
    [{ name: "x", tenant: 5 }, "tenant: expected a tenant slug"],
    [{ name: "x", scope: "all" }, 'unknown field "scope"'],
  ])("answers 400 for %j", async (body, message) => {
    const refused = await api("/api-keys", admin, { body });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain(message);
  });
});

describe("the audit log", () => {
  it("lists every change newest first for an administrator, one tenant's for its key, paged", async () => {
    await api("/tenants", admin, { body: { slug: "globex", name: "Globex" } });
    for (const name of ["A", "B", "C"]) await api("/tenants/acme", acmeKey, { method: "PATCH", body: { name } });
    const all: { action: string; tenant: string | null; after: { name?: string } | null }[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const response: ApiResponse = await api(`/audit?limit=2${cursor === "" ? "" : `&cursor=${cursor}`}`, admin);
      all.push(...response.body.data);
      cursor = response.body.nextCursor;
    }
    expect(all.map((entry) => `${entry.action} ${entry.tenant}`)).toEqual([
      "tenant.updated acme",
      "tenant.updated acme",
      "tenant.updated acme",
      "tenant.created globex",
      "apikey.created acme",
      "apikey.created null",
      // The fixture's SCIM token (startTestRoster's addTenant), issued as the command line would.
      "token.created acme",
    ]);
    expect(all[3]?.after).toEqual({ name: "Globex", scimEnabled: true, profileVersion: 0 });
    const own = await api("/tenants/acme/audit?limit=10", acmeKey);
    expect(own.body.data.map((entry: { after: { name?: string } }) => entry.after.name)).toEqual(["C", "B", "A", "acme-backend", "test"]);
    expect(own.body.nextCursor).toBeNull();
  });
});
