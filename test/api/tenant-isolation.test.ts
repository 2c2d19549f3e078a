import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { API_ROUTES } from "../../src/http/api-routes.js";
import { startTestRoster, type TestRoster } from "../helpers/roster.js";
import { LOOPBACK_RECEIVERS, newKey } from "../webhooks/support.js";
import { apiFetch, scimUser, type ApiResponse } from "./support.js";

// Tenant isolation as a matrix (issue 21): every management API endpoint × every kind of
// credential, with the exact status expected in each cell. Each cell runs against fixtures
// made for it (a user to delete, a token to revoke…), so that cells never depend on each
// other's order; a route added without a row here fails the first test.

type Credential = "own tenant key" | "other tenant's key" | "administrator key" | "SCIM token" | "revoked key" | "no key";
const CREDENTIALS: readonly Credential[] = ["own tenant key", "other tenant's key", "administrator key", "SCIM token", "revoked key", "no key"];

interface Call {
  /** Under /api/v1. */
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** The tenant whose key is "own" (the tenant the path names; acme for routes outside a tenant). */
  readonly tenant?: string;
}

interface Row {
  /** What an allowed credential gets. */
  readonly success: number;
  /** Only an administrator key may call it: a tenant key, even its own tenant's, gets 403. */
  readonly adminOnly?: true;
  readonly prepare: () => Promise<Call>;
}

let roster: TestRoster;
let adminKey: string;
let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}`;
const keysByTenant = new Map<string, { key: string; revoked: string; token: string }>();

const admin = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse> =>
  apiFetch(`${roster.url}/api/v1${path}`, adminKey, init);

async function made(answer: Promise<ApiResponse>): Promise<any> {
  const response = await answer;
  if (response.status >= 300) throw new Error(`fixture refused: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

async function newTenant(): Promise<string> {
  const slug = unique("doomed");
  await made(admin("/tenants", { body: { slug } }));
  return slug;
}

/** A tenant's credentials, made once: an API key, a revoked API key and a SCIM token. */
async function credentialsOf(slug: string): Promise<{ key: string; revoked: string; token: string }> {
  const known = keysByTenant.get(slug);
  if (known !== undefined) return known;
  const key = (await made(admin("/api-keys", { body: { name: "isolation", tenant: slug } }))).key as string;
  const revokedKey = await made(admin("/api-keys", { body: { name: "revoked", tenant: slug } }));
  await made(admin(`/api-keys/${revokedKey.id}`, { method: "DELETE" }));
  const token = (await made(admin(`/tenants/${slug}/scim-tokens`, { body: { name: "isolation" } }))).token as string;
  const credentials = { key, revoked: revokedKey.key as string, token };
  keysByTenant.set(slug, credentials);
  return credentials;
}

const user = async (slug = "acme") => (await made(admin(`/tenants/${slug}/users`, { body: { userName: `${unique("user")}@example.com` } }))).id as string;
const group = async () => (await made(admin("/tenants/acme/groups", { body: { displayName: unique("group") } }))).id as string;
const webhook = async () => (await made(admin("/tenants/acme/webhooks", { body: { url: "http://127.0.0.1:9/hook", events: ["user.*"] } }))).id as string;

const scimToken = async () => (await made(admin("/tenants/acme/scim-tokens", { body: { name: unique("doomed-token") } }))).id as string;
const PROFILE = "deprovisioning: deactivate\n";
const YAML = { "content-type": "application/yaml" };

/** A request of acme's, logged: its id. */
async function loggedRequest(): Promise<string> {
  const { token } = await credentialsOf("acme");
  await fetch(`${roster.url}/scim/v2/acme/Users`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json" },
    body: JSON.stringify(scimUser(`${unique("scim")}@example.com`)),
  });
  await roster.server.flushRequestLog();
  return (await made(admin("/tenants/acme/requests?limit=1"))).data[0].requestId as string;
}

const T = "/tenants/acme";
const ROWS: Record<string, Row> = {
  "GET /tenants/:tenant/users": { success: 200, prepare: async () => ({ path: `${T}/users` }) },
  "POST /tenants/:tenant/users": { success: 201, prepare: async () => ({ path: `${T}/users`, body: { userName: `${unique("new")}@example.com` } }) },
  "GET /tenants/:tenant/users/:id": { success: 200, prepare: async () => ({ path: `${T}/users/${await user()}` }) },
  "PATCH /tenants/:tenant/users/:id": { success: 200, prepare: async () => ({ path: `${T}/users/${await user()}`, body: { displayName: "Renamed" } }) },
  "DELETE /tenants/:tenant/users/:id": { success: 204, prepare: async () => ({ path: `${T}/users/${await user()}` }) },
  "GET /tenants/:tenant/groups": { success: 200, prepare: async () => ({ path: `${T}/groups` }) },
  "POST /tenants/:tenant/groups": { success: 201, prepare: async () => ({ path: `${T}/groups`, body: { displayName: unique("new-group") } }) },
  "GET /tenants/:tenant/groups/:id": { success: 200, prepare: async () => ({ path: `${T}/groups/${await group()}` }) },
  "PATCH /tenants/:tenant/groups/:id": { success: 200, prepare: async () => ({ path: `${T}/groups/${await group()}`, body: { displayName: unique("renamed") } }) },
  "DELETE /tenants/:tenant/groups/:id": { success: 204, prepare: async () => ({ path: `${T}/groups/${await group()}` }) },
  "GET /tenants/:tenant/groups/:id/members": { success: 200, prepare: async () => ({ path: `${T}/groups/${await group()}/members` }) },
  "POST /tenants/:tenant/groups/:id/members": { success: 204, prepare: async () => ({ path: `${T}/groups/${await group()}/members`, body: { userId: await user() } }) },
  "DELETE /tenants/:tenant/groups/:id/members/:userId": {
    success: 204,
    prepare: async () => {
      const [groupId, userId] = [await group(), await user()];
      await made(admin(`${T}/groups/${groupId}/members`, { body: { userId } }));
      return { path: `${T}/groups/${groupId}/members/${userId}` };
    },
  },
  "GET /tenants/:tenant/roles": { success: 200, prepare: async () => ({ path: `${T}/roles` }) },
  "PUT /tenants/:tenant/roles": { success: 200, prepare: async () => ({ path: `${T}/roles`, body: ["Admin", "Viewer"] }) },
  "GET /tenants/:tenant/lists/:name": {
    success: 200,
    prepare: async () => {
      await made(admin(`${T}/lists/record_sets`, { method: "PUT", body: ["North"] }));
      return { path: `${T}/lists/record_sets` };
    },
  },
  "PUT /tenants/:tenant/lists/:name": { success: 200, prepare: async () => ({ path: `${T}/lists/record_sets`, body: ["North", "South"] }) },
  "GET /tenants/:tenant/webhooks": { success: 200, prepare: async () => ({ path: `${T}/webhooks` }) },
  "POST /tenants/:tenant/webhooks": { success: 201, prepare: async () => ({ path: `${T}/webhooks`, body: { url: "http://127.0.0.1:9/new", events: ["*"] } }) },
  "GET /tenants/:tenant/webhooks/:id": { success: 200, prepare: async () => ({ path: `${T}/webhooks/${await webhook()}` }) },
  "PATCH /tenants/:tenant/webhooks/:id": { success: 200, prepare: async () => ({ path: `${T}/webhooks/${await webhook()}`, body: { enabled: false } }) },
  "DELETE /tenants/:tenant/webhooks/:id": { success: 204, prepare: async () => ({ path: `${T}/webhooks/${await webhook()}` }) },
  "GET /tenants/:tenant/webhooks/:id/deliveries": { success: 200, prepare: async () => ({ path: `${T}/webhooks/${await webhook()}/deliveries` }) },
  "POST /tenants/:tenant/webhooks/:id/replay": { success: 200, prepare: async () => ({ path: `${T}/webhooks/${await webhook()}/replay`, body: { since: "2026-01-01T00:00:00Z" } }) },
  "GET /tenants/:tenant/events": { success: 200, prepare: async () => ({ path: `${T}/events` }) },
  // The control plane.
  "GET /tenants": { success: 200, adminOnly: true, prepare: async () => ({ path: "/tenants" }) },
  "POST /tenants": { success: 201, adminOnly: true, prepare: async () => ({ path: "/tenants", body: { slug: unique("made") } }) },
  "GET /tenants/:tenant": { success: 200, prepare: async () => ({ path: T }) },
  "PATCH /tenants/:tenant": { success: 200, prepare: async () => ({ path: T, body: { name: unique("Acme") } }) },
  "DELETE /tenants/:tenant": {
    success: 204,
    adminOnly: true,
    prepare: async () => {
      const slug = await newTenant();
      return { path: `/tenants/${slug}?confirm=${slug}`, tenant: slug };
    },
  },
  "GET /tenants/:tenant/audit": { success: 200, prepare: async () => ({ path: `${T}/audit` }) },
  "GET /audit": { success: 200, adminOnly: true, prepare: async () => ({ path: "/audit" }) },
  "GET /api-keys": { success: 200, adminOnly: true, prepare: async () => ({ path: "/api-keys" }) },
  "POST /api-keys": { success: 201, adminOnly: true, prepare: async () => ({ path: "/api-keys", body: { name: unique("key"), tenant: "acme" } }) },
  "DELETE /api-keys/:id": {
    success: 204,
    adminOnly: true,
    prepare: async () => ({ path: `/api-keys/${(await made(admin("/api-keys", { body: { name: unique("doomed-key") } }))).id}` }),
  },
  "GET /tenants/:tenant/profile": { success: 200, prepare: async () => ({ path: `${T}/profile` }) },
  "PUT /tenants/:tenant/profile": { success: 200, prepare: async () => ({ path: `${T}/profile`, body: PROFILE, headers: YAML }) },
  "POST /tenants/:tenant/profile/check": { success: 200, prepare: async () => ({ path: `${T}/profile/check`, body: PROFILE, headers: YAML }) },
  "GET /tenants/:tenant/scim-tokens": { success: 200, prepare: async () => ({ path: `${T}/scim-tokens` }) },
  "POST /tenants/:tenant/scim-tokens": { success: 201, prepare: async () => ({ path: `${T}/scim-tokens`, body: { name: unique("token") } }) },
  "GET /tenants/:tenant/scim-tokens/:id": { success: 200, prepare: async () => ({ path: `${T}/scim-tokens/${await scimToken()}` }) },
  "DELETE /tenants/:tenant/scim-tokens/:id": { success: 204, prepare: async () => ({ path: `${T}/scim-tokens/${await scimToken()}` }) },
  "GET /tenants/:tenant/requests": { success: 200, prepare: async () => ({ path: `${T}/requests` }) },
  "GET /tenants/:tenant/requests/:requestId": { success: 200, prepare: async () => ({ path: `${T}/requests/${await loggedRequest()}` }) },
  "GET /tenants/:tenant/status": { success: 200, prepare: async () => ({ path: `${T}/status` }) },
};

beforeAll(async () => {
  roster = await startTestRoster({ secretKey: newKey(), webhookDestinations: LOOPBACK_RECEIVERS });
  adminKey = (await createApiKey(roster.store, undefined, "matrix administrator")).key;
  for (const slug of ["acme", "globex"]) await made(admin("/tenants", { body: { slug } }));
});
afterAll(() => roster.close());

describe("tenant isolation: every endpoint × every credential", () => {
  it("has a row for every route the management API serves", () => {
    const served = API_ROUTES.map((route) => `${route.method} ${route.url}`).sort();
    expect(Object.keys(ROWS).sort()).toEqual(served);
  });

  for (const [route, row] of Object.entries(ROWS)) {
    it(`${route}: ${row.adminOnly === true ? "administrator only" : "own tenant and administrator"}, nobody else`, async () => {
      const method = route.split(" ")[0] ?? "GET";
      const answers: Record<string, number> = {};
      const expected: Record<string, number> = {};
      for (const credential of CREDENTIALS) {
        const call = await row.prepare();
        const own = await credentialsOf(call.tenant ?? /^\/tenants\/([^/?]+)/.exec(call.path)?.[1] ?? "acme");
        const other = await credentialsOf("globex");
        const presented = {
          "own tenant key": own.key,
          "other tenant's key": other.key,
          "administrator key": adminKey,
          "SCIM token": own.token,
          "revoked key": own.revoked,
          "no key": null,
        }[credential];
        const init = { method, ...(call.body === undefined ? {} : { body: call.body }), ...(call.headers === undefined ? {} : { headers: call.headers }) };
        const answer = await apiFetch(`${roster.url}/api/v1${call.path}`, presented, init);
        answers[credential] = answer.status;
        expected[credential] = {
          "own tenant key": row.adminOnly === true ? 403 : row.success,
          "other tenant's key": 403,
          "administrator key": row.success,
          "SCIM token": 401,
          "revoked key": 401,
          "no key": 401,
        }[credential];
        if (answer.status >= 400) expect(answer.body?.error?.code, `${credential}: ${JSON.stringify(answer.body)}`).toEqual(expect.any(String));
      }
      expect(answers).toEqual(expected);
    });
  }
});
