import { CLI_ACTOR } from "../../src/directory/audit.js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { createToken, revokeToken } from "../../src/directory/tokens.js";
import { scimFetch, type ScimResponse, startTestRoster } from "../helpers/roster.js";
import { appendLog } from "../helpers/request-log.js";
import { type ApiRoster, apiFetch, scimUser, startApiRoster } from "./support.js";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

let t: ApiRoster;
beforeEach(async () => {
  t = await startApiRoster();
});
afterEach(() => t.close());

const requestIdOf = (response: ScimResponse): string => response.headers.get("x-request-id") ?? "";

async function listed(query = ""): Promise<any[]> {
  await t.roster.server.flushRequestLog();
  const response = await t.api(`/requests${query}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.data;
}

/** Every entry of a listing, page by page; fails on a duplicate. */
async function everyPage(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  await t.roster.server.flushRequestLog();
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const separator = query === "" ? "?" : "&";
    const response = await t.api(`/requests${query}${separator}limit=${limit}${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`);
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.data.length).toBeLessThanOrEqual(limit);
    ids.push(...response.body.data.map((entry: { requestId: string }) => entry.requestId));
    cursor = response.body.nextCursor;
    pages++;
  } while (cursor !== null && pages < 100);
  expect(new Set(ids).size).toBe(ids.length);
  return { ids, pages };
}

describe("GET /api/v1/tenants/<slug>/requests", () => {
  it("lists the tenant's SCIM requests newest first, the unauthenticated 401 included, with every field", async () => {
    const list = await t.acme.scim("/Users");
    const created = await t.acme.scim("/Users", { body: scimUser("dana@example.com") });
    const refused = await scimFetch(`${t.acme.baseUrl}/Users`, "not-a-token-of-this-tenant");
    expect([list.status, created.status, refused.status]).toEqual([200, 201, 401]);

    const entries = await listed();
    expect(entries.map((entry) => entry.requestId)).toEqual([requestIdOf(refused), requestIdOf(created), requestIdOf(list)]);
    const [unauthenticated, write, read] = entries;
    expect(unauthenticated).toMatchObject({ method: "GET", path: "/scim/v2/acme/Users", status: 401, authenticated: false, scimType: null, userAgent: "Okta SCIM Client 1.0.0" });
    expect(unauthenticated.detail).toContain("not valid for this SCIM base URL");
    expect(unauthenticated.hint).toContain("a token this tenant does not know");
    expect(write).toMatchObject({ method: "POST", path: "/scim/v2/acme/Users", status: 201, authenticated: true, detail: null, hint: null, notes: [] });
    expect(read).toMatchObject({ method: "GET", status: 200, hint: null });
    expect(Object.keys(read).sort()).toEqual(
      ["requestId", "at", "method", "path", "status", "durationMs", "userAgent", "scimType", "detail", "notes", "hint", "authenticated"].sort(),
    );
    expect(typeof read.durationMs).toBe("number");
    expect(entries.map((entry) => entry.at)).toEqual([...entries.map((entry) => entry.at)].sort().reverse());
  });

  it("filters by status class and exact status, method, path prefix, since and until", async () => {
    await t.acme.scim("/Users", { body: scimUser("a@example.com") });
    await t.acme.scim("/Users", { body: scimUser("a@example.com") }); // 409
    await t.acme.scim("/Groups", { body: { schemas: [GROUP], displayName: "Pilots" } });
    await t.acme.scim("/Users?filter=userName%20eq%20%22a@example.com%22");
    await scimFetch(`${t.acme.baseUrl}/Groups`, "wrong"); // 401
    const all = await listed();
    expect(all.map((entry) => entry.status)).toEqual([401, 200, 201, 409, 201]);
    const ids = (entries: any[]) => entries.map((entry) => entry.requestId);
    const where = (keep: (entry: any) => boolean) => ids(all.filter(keep));

    expect(ids(await listed("?status=4xx"))).toEqual(where((entry) => entry.status >= 400 && entry.status < 500));
    expect(ids(await listed("?status=2XX"))).toEqual(where((entry) => entry.status < 300));
    expect(ids(await listed("?status=5xx"))).toEqual([]);
    expect(ids(await listed("?status=409"))).toEqual(where((entry) => entry.status === 409));
    expect(ids(await listed("?status=201"))).toEqual(where((entry) => entry.status === 201));
    expect(ids(await listed("?method=post"))).toEqual(where((entry) => entry.method === "POST"));
    expect(ids(await listed("?path=/scim/v2/acme/Groups"))).toEqual(where((entry) => entry.path.startsWith("/scim/v2/acme/Groups")));
    expect(ids(await listed("?path=/scim/v2/acme/Users%3Ffilter"))).toEqual(where((entry) => entry.path.startsWith("/scim/v2/acme/Users?filter")));
    expect(ids(await listed("?method=GET&status=4xx"))).toEqual(where((entry) => entry.method === "GET" && entry.status >= 400));

    const middle = all[2].at as string;
    expect(ids(await listed(`?since=${encodeURIComponent(middle)}`))).toEqual(where((entry) => entry.at >= middle));
    expect(ids(await listed(`?until=${encodeURIComponent(middle)}`))).toEqual(where((entry) => entry.at <= middle));
    expect(ids(await listed(`?since=${encodeURIComponent(middle)}&until=${encodeURIComponent(middle)}`))).toEqual(where((entry) => entry.at === middle));
    expect(ids(await listed("?since=2999-01-01"))).toEqual([]);
    expect(ids(await listed("?until=2000-01-01T00:00:00Z"))).toEqual([]);
    // An offset is read as the same instant in UTC.
    const offset = new Date(Date.parse(middle)).toISOString().replace("Z", "+00:00");
    expect(ids(await listed(`?since=${encodeURIComponent(offset)}`))).toEqual(where((entry) => entry.at >= middle));
  });

  it("pages through with nextCursor, without a duplicate or a gap, filtered or not", async () => {
    for (let index = 0; index < 12; index++) await t.acme.scim(index % 3 === 0 ? "/Groups" : "/Users");
    const all = (await listed()).map((entry) => entry.requestId);
    expect(all).toHaveLength(12);
    const paged = await everyPage("", 5);
    expect(paged).toEqual({ ids: all, pages: 3 });
    const groups = (await listed("?path=/scim/v2/acme/Groups")).map((entry) => entry.requestId);
    expect(groups).toHaveLength(4);
    expect((await everyPage("?path=/scim/v2/acme/Groups", 3)).ids).toEqual(groups);
    expect((await everyPage("?status=2xx", 1)).ids).toEqual(all);
  });

  it("bounds the entries a page examines for an unindexed filter, and continues from where it stopped", async () => {
    for (let index = 0; index < 9; index++) await t.acme.scim(index % 4 === 0 ? "/Groups" : "/Users");
    await t.roster.server.flushRequestLog();
    const tenantId = t.acme.tenant.id;
    const every = await t.roster.store.read((session) => session.queryRequestLog(tenantId, { limit: 100, scanLimit: 1000 }));
    const groups = every.entries.filter((entry) => entry.path.endsWith("/Groups")).map((entry) => entry.requestId);
    expect(groups).toHaveLength(3);
    // Three entries examined per page at most: the pages come back short, each saying where to go on.
    const seen: string[] = [];
    let before: number | undefined;
    let pages = 0;
    do {
      const page = await t.roster.store.read((session) =>
        session.queryRequestLog(tenantId, { limit: 100, scanLimit: 3, pathPrefix: "/scim/v2/acme/Groups", ...(before === undefined ? {} : { before }) }),
      );
      expect(page.entries.length).toBeLessThanOrEqual(3);
      seen.push(...page.entries.map((entry) => entry.requestId));
      before = page.next;
      pages++;
    } while (before !== undefined && pages < 20);
    expect(seen).toEqual(groups);
    expect(pages).toBe(3);
  });

  it("answers 400 naming the parameter for each bad filter, limit or cursor", async () => {
    await t.acme.scim("/Users");
    await t.acme.scim("/Users");
    await t.roster.server.flushRequestLog();
    const first = await t.api("/requests?limit=1&method=GET");
    const cases: [string, string, string][] = [
      ["?status=6xx", "invalidRequest", "status:"],
      ["?status=40", "invalidRequest", "status:"],
      ["?status=4xy", "invalidRequest", "status:"],
      ["?method=P0ST", "invalidRequest", "method:"],
      ["?method=", "invalidRequest", "method:"],
      ["?path=Users", "invalidRequest", "path:"],
      [`?path=/${"x".repeat(1000)}`, "invalidRequest", "path:"],
      ["?since=yesterday", "invalidRequest", "since:"],
      ["?until=2026-13-45", "invalidRequest", "until:"],
      ["?since=2026-12-08&until=2026-12-07", "invalidRequest", "since:"],
      ["?status=4xx&status=5xx", "invalidRequest", "status:"],
      ["?limit=0", "invalidRequest", "limit:"],
      ["?limit=1001", "invalidRequest", "limit:"],
      ["?cursor=garbage", "invalidCursor", "cursor:"],
      [`?cursor=${encodeURIComponent(first.body.nextCursor)}`, "invalidCursor", "other filters"],
      ["?stauts=4xx", "invalidRequest", '"stauts"'],
    ];
    for (const [query, code, mentions] of cases) {
      const response = await t.api(`/requests${query}`);
      expect(response.status, query).toBe(400);
      expect(response.body.error.code, query).toBe(code);
      expect(response.body.error.message, query).toContain(mentions);
    }
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect((await t.api(`/requests?limit=1&method=GET&cursor=${encodeURIComponent(first.body.nextCursor)}`)).status).toBe(200);
  });

  it("answers 403 to another tenant's key and 401 without a valid key, on every request-log route", async () => {
    const globex = await t.roster.addTenant("globex");
    const { key: globexKey } = await createApiKey(t.roster.store, globex.tenant, "globex");
    const response = await t.acme.scim("/Users");
    await t.roster.server.flushRequestLog();
    for (const path of ["/requests", `/requests/${requestIdOf(response)}`, "/status"]) {
      const other = await t.api(path, { as: globexKey });
      expect(other.status, path).toBe(403);
      expect(other.body.error.code).toBe("forbidden");
      expect((await t.api(path, { as: null })).status, path).toBe(401);
      expect((await t.api(path, { as: t.acme.token })).status, path).toBe(401);
      expect((await t.api(path)).status, path).toBe(200);
    }
  });
});

describe("GET /api/v1/tenants/<slug>/requests/<requestId>", () => {
  it("adds the request body with secrets removed and the ids of the events the request caused", async () => {
    const created = await t.acme.scim("/Users", { body: scimUser("dana@example.com", { password: "Hunter2-Secret!" }) });
    expect(created.status).toBe(201);
    await t.roster.server.flushRequestLog();
    const read = await t.api(`/requests/${requestIdOf(created)}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ requestId: requestIdOf(created), method: "POST", status: 201, hint: null });
    expect(read.body.requestBody).toContain('"password":"[redacted]"');
    expect(read.body.requestBody).not.toContain("Hunter2");
    expect(JSON.parse(read.body.requestBody).userName).toBe("dana@example.com");

    const feed = await t.api("/events");
    const events = feed.body.data.filter((event: any) => event.resource.id === created.body.id);
    expect(events.length).toBeGreaterThan(0);
    expect(read.body.eventIds).toEqual(events.map((event: any) => event.id));
    expect(feed.body.data.map((event: any) => event.id)).toEqual(read.body.eventIds);
  });

  it("links a /Bulk request to the events of all its operations, and a read to none", async () => {
    const before = await t.api("/events");
    const bulk = await t.acme.scim("/Bulk", {
      body: {
        schemas: [BULK_REQUEST],
        Operations: [
          { method: "POST", path: "/Users", bulkId: "u1", data: scimUser("one@example.com") },
          { method: "POST", path: "/Users", bulkId: "u2", data: scimUser("two@example.com") },
          { method: "POST", path: "/Groups", bulkId: "g1", data: { schemas: [GROUP], displayName: "Crew", members: [{ type: "User", value: "bulkId:u1" }] } },
        ],
      },
    });
    expect(bulk.status).toBe(200);
    const read = await t.acme.scim("/Users");
    await t.roster.server.flushRequestLog();
    const feed = await t.api(`/events?after=${before.body.nextCursor}`);
    expect(feed.body.data.length).toBeGreaterThanOrEqual(3);
    const detail = await t.api(`/requests/${requestIdOf(bulk)}`);
    expect(detail.body.eventIds).toEqual(feed.body.data.map((event: any) => event.id));
    expect((await t.api(`/requests/${requestIdOf(read)}`)).body.eventIds).toEqual([]);
  });

  it("answers 404 for a request id the tenant's log does not hold, another tenant's included", async () => {
    const globex = await t.roster.addTenant("globex");
    const theirs = await globex.scim("/Users");
    await t.roster.server.flushRequestLog();
    for (const id of [requestIdOf(theirs), "no-such-request", "x".repeat(200)]) {
      const response = await t.api(`/requests/${id}`);
      expect(response.status, id).toBe(404);
      expect(response.body.error.code).toBe("notFound");
    }
    const { key: adminKey } = await createApiKey(t.roster.store, undefined, "admin");
    expect((await apiFetch(`${t.roster.url}/api/v1/tenants/globex/requests/${requestIdOf(theirs)}`, adminKey)).status).toBe(200);
  });
});

const PROFILE = `
attributes:
  role_name:
    namespace: enterprise
    type: string
    references: roles
identity:
  emailDomains: [example.com]
`;

describe("hints on failed requests, produced by real SCIM requests", () => {
  it("says what is wrong with the token and what to do, for each cause", async () => {
    const globex = await t.roster.addTenant("globex");
    const revoked = await createToken(t.roster.store, t.acme.tenant, CLI_ACTOR, "old");
    await revokeToken(t.roster.store, CLI_ACTOR, revoked.record.id);
    const owner = await t.api("/users", { body: { userName: "integration-owner" } });
    const owned = await createToken(t.roster.store, t.acme.tenant, CLI_ACTOR, "owned", new Date(), { principalId: owner.body.id });
    await t.api(`/users/${owner.body.id}`, { method: "PATCH", body: { active: false } });
    const doomed = await t.api("/users", { body: { userName: "doomed-owner" } });
    const orphaned = await createToken(t.roster.store, t.acme.tenant, CLI_ACTOR, "orphaned", new Date(), { principalId: doomed.body.id });
    await t.api(`/users/${doomed.body.id}`, { method: "DELETE" });

    const cases: [string | undefined, string][] = [
      ["roster_not-a-real-token", "a token this tenant does not know"],
      [undefined, "sent no token"],
      [revoked.token, "was revoked"],
      [globex.token, "belongs to another tenant"],
      [t.key, "management API key"],
      [owned.token, "deactivated in the application"],
      [orphaned.token, "deleted from the application"],
    ];
    const ids: string[] = [];
    for (const [token, _] of cases) {
      const response = await scimFetch(`${t.acme.baseUrl}/Users`, token);
      expect(response.status).toBe(401);
      ids.push(requestIdOf(response));
    }
    const entries = await listed("?status=401");
    for (const [index, [, hint]] of cases.entries()) {
      const entry = entries.find((candidate) => candidate.requestId === ids[index]);
      expect(entry?.hint, hint).toContain(hint);
    }
  });

  it("says which value or attribute the tenant refused, and that a userName is taken", async () => {
    await t.api("/roles", { method: "PUT", body: ["Mechanic"] });
    await setTenantProfile(t.roster.store, "acme", PROFILE, "acme.yaml");
    const responses = {
      role: await t.acme.scim("/Users", { body: scimUser("role@example.com", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE], [ENTERPRISE]: { role_name: "Pilot" } }) }),
      domain: await t.acme.scim("/Users", { body: scimUser("dana@elsewhere.org") }),
      attribute: await t.acme.scim("/Users", { body: scimUser("colour@example.com", { favouriteColour: "blue" }) }),
      first: await t.acme.scim("/Users", { body: scimUser("taken@example.com") }),
      taken: await t.acme.scim("/Users", { body: scimUser("TAKEN@example.com") }),
      filter: await t.acme.scim("/Users?filter=userName%20eqq%20%22x%22"),
    };
    expect(Object.fromEntries(Object.entries(responses).map(([name, response]) => [name, response.status]))).toEqual({
      role: 400,
      domain: 400,
      attribute: 400,
      first: 201,
      taken: 409,
      filter: 400,
    });
    const read = async (name: keyof typeof responses) => (await t.api(`/requests/${requestIdOf(responses[name])}`)).body;
    await t.roster.server.flushRequestLog();
    expect((await read("role")).hint).toContain("a value the application has not declared");
    expect((await read("domain")).hint).toContain("outside the email domains this tenant allows");
    expect((await read("attribute")).hint).toContain("an attribute this tenant does not declare");
    expect((await read("taken")).hint).toContain("already exists in the application");
    expect((await read("filter")).hint).toContain("a filter Roster cannot evaluate");
    expect((await read("first")).hint).toBeNull();
  });

  it("says that SCIM sync is turned off in the tenant's profile", async () => {
    await setTenantProfile(t.roster.store, "acme", "sync:\n  users: false\n", "acme.yaml");
    const refused = await t.acme.scim("/Users", { body: scimUser("dana@example.com") });
    expect(refused.status).toBe(403);
    await t.roster.server.flushRequestLog();
    const entry = (await t.api(`/requests/${requestIdOf(refused)}`)).body;
    expect(entry.hint).toContain("turned off in this tenant's profile");
  });
});

describe("GET /api/v1/tenants/<slug>/status", () => {
  it("is empty for a tenant that got no request yet", async () => {
    const response = await t.api("/status");
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      firstRequestAt: null,
      lastRequestAt: null,
      lastRequest: null,
      unauthenticatedDropped: 0,
      last24h: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
      tokens: [{ id: expect.any(String), name: "test", lastUsedAt: null }],
      users: { active: 0, inactive: 0, managed: 0, unmanaged: 0 },
      groups: { managed: 0, unmanaged: 0 },
    });
  });

  it("counts exactly what the tenant's requests and resources are", async () => {
    const old = new Date(Date.now() - 3 * 24 * 60 * 60 * 1000).toISOString();
    await appendLog(t.roster.store, {
      tenantId: t.acme.tenant.id,
      requestId: "three-days-ago",
      at: old,
      method: "GET",
      path: "/scim/v2/acme/Users",
      status: 500,
      durationMs: 1,
      scimType: null,
      errorDetail: "an internal error occurred",
      userAgent: null,
      requestBody: null,
    });
    const second = await createToken(t.roster.store, t.acme.tenant, CLI_ACTOR, "rotation");
    const gone = await createToken(t.roster.store, t.acme.tenant, CLI_ACTOR, "gone");
    await revokeToken(t.roster.store, CLI_ACTOR, gone.record.id);
    await t.acme.scim("/Users", { body: scimUser("one@example.com") });
    const deactivated = await t.acme.scim("/Users", { body: scimUser("two@example.com", { active: false }) });
    expect(deactivated.status).toBe(201);
    await t.acme.scim("/Groups", { body: { schemas: [GROUP], displayName: "Pilots" } });
    await t.acme.scim("/Users", { body: scimUser("one@example.com") }); // 409
    await t.api("/users", { body: { userName: "app-own" } });
    await t.api("/users", { body: { userName: "app-own-off", active: false } });
    await t.api("/groups", { body: { displayName: "App group" } });
    await scimFetch(`${t.acme.baseUrl}/Users`, second.token);
    const last = await scimFetch(`${t.acme.baseUrl}/Users`, "wrong-token");
    await t.roster.server.flushRequestLog();

    const status = await t.api("/status");
    expect(status.status).toBe(200);
    const body = status.body;
    expect(body.firstRequestAt).toBe(old);
    expect(body.lastRequest).toEqual({
      requestId: requestIdOf(last),
      at: body.lastRequestAt,
      method: "GET",
      path: "/scim/v2/acme/Users",
      status: 401,
      hint: expect.stringContaining("a token this tenant does not know"),
    });
    // The 500 of three days ago is outside the last 24 hours.
    expect(body.last24h).toEqual({ "2xx": 4, "3xx": 0, "4xx": 2, "5xx": 0 });
    expect(body.tokens.map((token: any) => token.name).sort()).toEqual(["rotation", "test"]);
    for (const token of body.tokens) expect(token.lastUsedAt, token.name).toEqual(expect.any(String));
    expect(body.users).toEqual({ active: 2, inactive: 2, managed: 2, unmanaged: 2 });
    expect(body.groups).toEqual({ managed: 1, unmanaged: 1 });
  });
});

describe("unauthenticated requests past their allowance", () => {
  it("are counted in the status, and the newest of them listed", async () => {
    const roster = await startTestRoster({ requestLogRetention: 20, requestLogUnauthenticatedRetention: 2 });
    try {
      const tenant = await roster.addTenant("initech");
      const { key } = await createApiKey(roster.store, tenant.tenant, "initech");
      const refused: string[] = [];
      for (let index = 0; index < 5; index++) refused.push(requestIdOf(await scimFetch(`${tenant.baseUrl}/Users`, `wrong-${index}`)));
      await roster.server.flushRequestLog();
      const listing = await apiFetch(`${roster.url}/api/v1/tenants/initech/requests?status=401`, key);
      // The newest two as logged (the first 401 waits for its tenant's lookup, so the log's order may differ from the requests').
      const kept = listing.body.data.map((entry: any) => entry.requestId);
      expect(kept).toHaveLength(2);
      for (const id of kept) expect(refused).toContain(id);
      const status = await apiFetch(`${roster.url}/api/v1/tenants/initech/status`, key);
      expect(status.body.unauthenticatedDropped).toBe(3);
      expect(status.body.last24h["4xx"]).toBe(2);
    } finally {
      await roster.close();
    }
  });
});
