import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { type ApiRoster, scimUser, startApiRoster } from "./support.js";

const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const PROFILE = `
sync:
  updates:
    displayName: false
    name.familyName: false
  passwords: unsupported
`;

let api: ApiRoster;

beforeAll(async () => {
  api = await startApiRoster();
  await setTenantProfile(api.roster.store, "acme", PROFILE, "acme.yaml");
});
afterAll(() => api.close());

async function logOf(requestId: string | null) {
  await api.roster.server.flushRequestLog();
  const entries = await api.roster.store.read((session) => session.listRequestLog(api.acme.tenant.id, 100));
  return entries.find((entry) => entry.requestId === requestId);
}

describe("sync switches", () => {
  it("ignores an update to a switched-off attribute on PUT, applies the rest, and the request log says so", async () => {
    const created = await api.acme.scim("/Users", { body: scimUser("put@acme.example", { displayName: "Dana Scully" }) });
    expect(created.body.displayName).toBe("Dana Scully");
    const put = await api.acme.scim(`/Users/${created.body.id}`, {
      method: "PUT",
      body: scimUser("put@acme.example", { displayName: "Agent Scully", name: { givenName: "Dana K.", familyName: "Mulder" } }),
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ displayName: "Dana Scully", name: { givenName: "Dana K.", familyName: "Scully" } });
    expect((await logOf(put.headers.get("x-request-id")))?.notes).toEqual([
      'ignored an update to "displayName": this tenant\'s profile sets sync.updates.displayName: false',
      'ignored an update to "name.familyName": this tenant\'s profile sets sync.updates.name.familyName: false',
    ]);
  });

  it("ignores a PATCH that only changes a switched-off attribute without a new version", async () => {
    const created = await api.acme.scim("/Users", { body: scimUser("patch@acme.example", { displayName: "Fox" }) });
    const patch = await api.acme.scim(`/Users/${created.body.id}`, {
      method: "PATCH",
      body: { schemas: [PATCH], Operations: [{ op: "replace", path: "displayName", value: "Spooky" }] },
    });
    expect(patch.status).toBe(200);
    expect(patch.body.displayName).toBe("Fox");
    expect(patch.headers.get("etag")).toBe(created.headers.get("etag"));
    expect((await logOf(patch.headers.get("x-request-id")))?.notes).toEqual([
      'ignored an update to "displayName": this tenant\'s profile sets sync.updates.displayName: false',
    ]);
  });

  it("records no note when nothing was ignored", async () => {
    const created = await api.acme.scim("/Users", { body: scimUser("plain@acme.example") });
    expect((await logOf(created.headers.get("x-request-id")))?.notes).toBeUndefined();
  });

  it("never stores a password and the request log says it was ignored", async () => {
    const created = await api.acme.scim("/Users", { body: scimUser("pw@acme.example", { password: "Tr0ub4dor&3-long-enough" }) });
    expect(created.status).toBe(201);
    expect(created.body.password).toBeUndefined();
    const entry = await logOf(created.headers.get("x-request-id"));
    expect(entry?.notes).toEqual([
      "ignored the password: this tenant does not take passwords from the identity provider (its profile sets sync.passwords: unsupported)",
    ]);
    expect(entry?.requestBody).not.toContain("Tr0ub4dor");
  });

  it("refuses every SCIM request with 403 when user sync is off, and accepts them again when it is back on", async () => {
    await setTenantProfile(api.roster.store, "acme", "sync:\n  users: false\n", "acme.yaml");
    try {
      for (const path of ["/Users?filter=userName%20eq%20%22x%40acme.example%22&startIndex=1&count=2", "/ServiceProviderConfig", "/Groups"]) {
        const refused = await api.acme.scim(path);
        expect(refused.status).toBe(403);
        expect(refused.body.detail).toBe(
          "SCIM user sync is disabled for this tenant (its profile sets sync.users: false); no request is accepted until it is enabled",
        );
      }
      expect((await api.acme.scim("/Users", { body: scimUser("off@acme.example") })).status).toBe(403);
      expect((await api.api("/users")).status).toBe(200);
    } finally {
      await setTenantProfile(api.roster.store, "acme", PROFILE, "acme.yaml");
    }
    expect((await api.acme.scim("/Users")).status).toBe(200);
  });
});
