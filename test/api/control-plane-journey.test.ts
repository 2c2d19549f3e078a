import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { startTestRoster, type TestRoster } from "../helpers/roster.js";
import { apiFetch, scimUser, type ApiResponse } from "./support.js";

// Issue 21's "done when": an application, with an administrator key and no shell, onboards a
// customer (tenant from an example profile, SCIM token, base URL), switches sync off and on,
// changes the profile after checking the impact, shows the customer the last requests with
// hints, rotates the token, reads the audit trail and deletes the tenant. Every step goes
// through the HTTP API of a real server; the identity provider's requests are real SCIM calls.

const EXAMPLES = ["fleet", "fleetio", "flosum", "fluid", "fulcrum"] as const;
const exampleProfile = (name: string) => readFileSync(new URL(`../../examples/profiles/${name}.yaml`, import.meta.url), "utf8");

let roster: TestRoster;
let adminKey: string;
let adminKeyId: string;

beforeAll(async () => {
  roster = await startTestRoster();
  const issued = await createApiKey(roster.store, undefined, "onboarding");
  adminKey = issued.key;
  adminKeyId = issued.record.id;
});
afterAll(() => roster.close());

const admin = (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse> =>
  apiFetch(`${roster.url}/api/v1${path}`, adminKey, init);

async function scim(baseUrl: string, token: string, path: string, init: { method?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}${path}`, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: { authorization: `Bearer ${token}`, "content-type": "application/scim+json", "user-agent": "Okta SCIM Client 1.0.0" },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text.length === 0 ? undefined : JSON.parse(text) };
}

/** The tenant's request log, newest first, once the server has written what it answered. */
async function requests(slug: string, query = ""): Promise<any[]> {
  await roster.server.flushRequestLog();
  const answer = await admin(`/tenants/${slug}/requests${query}`);
  expect(answer.status).toBe(200);
  return answer.body.data as any[];
}

describe("a customer onboarded, served and offboarded through the control plane alone", () => {
  it("creates a tenant from each of the five example profiles (YAML text or the equivalent JSON object)", async () => {
    for (const [index, name] of EXAMPLES.entries()) {
      const source = exampleProfile(name);
      const profile = index % 2 === 0 ? source : parse(source);
      const created = await admin("/tenants", { body: { slug: `${name}-co`, name: `${name} customer`, profile } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(created.body).toMatchObject({ slug: `${name}-co`, name: `${name} customer`, scimBaseUrl: `${roster.url}/scim/v2/${name}-co`, profileVersion: 1 });
      expect(Date.parse(created.body.createdAt)).not.toBeNaN();
      const read = await admin(`/tenants/${name}-co`);
      expect(read.body).toMatchObject({ slug: `${name}-co`, profileVersion: 1, scimEnabled: true });
    }
    const listed = await admin("/tenants?q=-co");
    expect(listed.body.data.map((tenant: { slug: string }) => tenant.slug).sort()).toEqual(EXAMPLES.map((name) => `${name}-co`).sort());
  });

  it("runs Fleetio's whole life: token, sync switch, profile change after its impact, requests with hints, rotation, audit, deletion", async () => {
    const slug = "fleetio-co";
    // The application declares what the profile references, as Fleetio's guide requires.
    expect((await admin(`/tenants/${slug}/roles`, { method: "PUT", body: ["Fleet Manager", "Technician"] })).status).toBe(200);

    // Token and base URL, shown to the customer's IT admin once.
    const first = await admin(`/tenants/${slug}/scim-tokens`, { body: { name: "Okta" } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name: "Okta", scimBaseUrl: `${roster.url}/scim/v2/${slug}` });
    expect(first.body.token).toEqual(expect.stringMatching(/^roster_/));
    const baseUrl: string = first.body.scimBaseUrl;

    // Okta provisions two people, one outside the domain the new profile will require.
    for (const userName of ["dana@example.com", "fox@example.com"]) {
      expect((await scim(baseUrl, first.body.token, "/Users", { body: scimUser(userName) })).status).toBe(201);
    }

    // "Disable SCIM User Sync" and back, without editing YAML.
    const off = await admin(`/tenants/${slug}`, { method: "PATCH", body: { scimEnabled: false } });
    expect(off.status).toBe(200);
    expect(off.body.scimEnabled).toBe(false);
    const refused = await scim(baseUrl, first.body.token, "/Users?filter=userName%20eq%20%22dana%40example.com%22&count=1");
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/^SCIM provisioning is switched off for this tenant/);
    expect((await admin(`/tenants/${slug}`, { method: "PATCH", body: { scimEnabled: true } })).body.scimEnabled).toBe(true);
    expect((await scim(baseUrl, first.body.token, "/Users?count=1")).status).toBe(200);

    // The impact of narrowing the email domain, checked before saving: nothing is saved.
    const narrowed = exampleProfile("fleetio").replace("emailDomains: [example.com]", "emailDomains: [fleetio-customer.test]");
    const check = await admin(`/tenants/${slug}/profile/check`, { body: narrowed, headers: { "content-type": "application/yaml" } });
    expect(check.status).toBe(200);
    expect(check.body.valid).toBe(true);
    expect(check.body.impact.breakingRules.count).toBe(2);
    expect(check.body.impact.breakingRules.examples.map((example: { userName: string }) => example.userName).sort()).toEqual(["dana@example.com", "fox@example.com"]);
    expect((await admin(`/tenants/${slug}`)).body.profileVersion).toBe(1);
    const saved = await admin(`/tenants/${slug}/profile`, { method: "PUT", body: narrowed, headers: { "content-type": "application/yaml" } });
    expect(saved.status).toBe(200);
    expect((await admin(`/tenants/${slug}`)).body.profileVersion).toBe(2);
    // Deprovisioning still works for a user the new profile would refuse.
    const fox = (await scim(baseUrl, first.body.token, "/Users?filter=userName%20eq%20%22fox%40example.com%22")).body.Resources[0];
    const deactivate = { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { active: false } }] };
    expect((await scim(baseUrl, first.body.token, `/Users/${fox.id}`, { method: "PATCH", body: deactivate })).status).toBe(200);

    // The customer's last requests, with a plain hint on each failure.
    const failing = await requests(slug, "?status=4xx");
    const switchedOff = failing.find((entry) => entry.status === 403);
    expect(switchedOff).toMatchObject({ method: "GET", userAgent: "Okta SCIM Client 1.0.0" });
    expect(switchedOff.hint).toMatch(/switched off/i);

    // Rotation: a second token, both work, then the first is revoked.
    const second = await admin(`/tenants/${slug}/scim-tokens`, { body: { name: "Okta (rotated)" } });
    expect(second.status).toBe(201);
    expect((await scim(baseUrl, first.body.token, "/Users?count=1")).status).toBe(200);
    expect((await scim(baseUrl, second.body.token, "/Users?count=1")).status).toBe(200);
    expect((await admin(`/tenants/${slug}/scim-tokens/${first.body.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await scim(baseUrl, first.body.token, "/Users?count=1")).status).toBe(401);
    expect((await scim(baseUrl, second.body.token, "/Users?count=1")).status).toBe(200);
    const [revokedUse] = await requests(slug, "?status=401");
    expect(revokedUse.hint).toMatch(/revoked/i);
    const tokens = (await admin(`/tenants/${slug}/scim-tokens`)).body.data;
    expect(tokens.find((token: { id: string }) => token.id === first.body.id).revokedAt).toEqual(expect.any(String));
    expect(tokens.find((token: { id: string }) => token.id === second.body.id).lastUsedAt).toEqual(expect.any(String));

    // What a settings page shows in one call.
    const status = await admin(`/tenants/${slug}/status`);
    expect(status.status).toBe(200);
    expect(status.body.users).toMatchObject({ active: 1, inactive: 1, managed: 2, unmanaged: 0 });
    expect(status.body.lastRequest.status).toBe(200);

    // The audit trail says who did what, in order, and never a secret.
    const audit = await admin(`/tenants/${slug}/audit?limit=100`);
    expect(audit.status).toBe(200);
    const trail = [...audit.body.data].reverse();
    expect(trail.map((entry: { action: string }) => entry.action)).toEqual([
      "tenant.created",
      "list.updated",
      "token.created",
      "tenant.updated",
      "tenant.updated",
      "profile.updated",
      "token.created",
      "token.revoked",
    ]);
    expect(new Set(trail.map((entry: { actor: string }) => entry.actor))).toEqual(new Set([`apikey:${adminKeyId}`]));
    expect(JSON.stringify(audit.body)).not.toContain(first.body.token);
    expect(JSON.stringify(audit.body)).not.toContain(second.body.token);

    // Offboarding: confirmed by the slug, everything goes, the token stops at once.
    expect((await admin(`/tenants/${slug}`, { method: "DELETE" })).status).toBe(400);
    expect((await admin(`/tenants/${slug}?confirm=${slug}`, { method: "DELETE" })).status).toBe(204);
    expect((await admin(`/tenants/${slug}`)).status).toBe(404);
    expect((await scim(baseUrl, second.body.token, "/Users?count=1")).status).toBe(401);
    const global = await admin("/audit?limit=5");
    expect(global.body.data[0]).toMatchObject({ action: "tenant.deleted", actor: `apikey:${adminKeyId}` });
  });
});
