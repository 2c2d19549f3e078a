import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { createToken, revokeToken } from "../../src/directory/tokens.js";
import type { RequestLogEntry } from "../../src/store/store.js";
import { scimFetch } from "../helpers/roster.js";
import { apiFetch, type ApiRoster, startApiRoster } from "./support.js";

let t: ApiRoster;
beforeEach(async () => {
  t = await startApiRoster();
});
afterEach(() => t.close());

const scimUsers = (token: string) => scimFetch(`${t.acme.baseUrl}/Users`, token);

async function requestLog(): Promise<readonly RequestLogEntry[]> {
  await t.roster.server.flushRequestLog();
  return t.roster.store.read((session) => session.listRequestLog(t.acme.tenant.id, 100));
}

async function ownedToken(userName: string): Promise<{ userId: string; token: string; tokenId: string }> {
  const user = await t.api("/users", { body: { userName, emails: [{ value: userName }], timezone: "Europe/Paris" } });
  expect(user.status).toBe(201);
  const issued = await createToken(t.roster.store, t.acme.tenant, "cli", "fulcrum", new Date(), { principalId: user.body.id });
  return { userId: user.body.id, token: issued.token, tokenId: issued.record.id };
}

describe("a 401 says why, where that tells the caller nothing it does not hold", () => {
  it("says the token's owner is deactivated, and the request log records it", async () => {
    const { userId, token } = await ownedToken("owner@example.com");
    expect((await t.api(`/users/${userId}`, { method: "PATCH", body: { active: false } })).status).toBe(200);
    const refused = await scimUsers(token);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toContain("belongs to a user of the application who is deactivated");
    expect(refused.body.detail).not.toContain(userId);
    const [entry] = await requestLog();
    expect(entry).toMatchObject({ status: 401, errorDetail: refused.body.detail });
    expect((await t.api(`/users/${userId}`, { method: "PATCH", body: { active: true } })).status).toBe(200);
    expect((await scimUsers(token)).status).toBe(200);
  });

  it("says the token's owner was deleted, and the management API's delete says the token stopped", async () => {
    const { userId, token, tokenId } = await ownedToken("leaver@example.com");
    const deleted = await t.api(`/users/${userId}`, { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({
      id: userId,
      deleted: true,
      tokensStopped: [{ id: tokenId, name: "fulcrum" }],
      message: `deleted user ${userId}; it owned a SCIM token, which no longer works: ${tokenId} ("fulcrum")`,
    });
    const refused = await scimUsers(token);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toContain("belonged to a user of the application who was deleted");
    expect((await requestLog())[0]).toMatchObject({ status: 401, errorDetail: refused.body.detail });
  });

  it("answers 204 when the deleted user owned no working token", async () => {
    const { userId, tokenId } = await ownedToken("revoked-owner@example.com");
    await revokeToken(t.roster.store, "cli", tokenId);
    const deleted = await t.api(`/users/${userId}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
  });

  it("notes in the request log that a SCIM delete of a visible unmanaged user stopped its tokens", async () => {
    await setTenantProfile(t.roster.store, "acme", "unmanagedUsers:\n  visible: true\n", "acme.yaml");
    const { userId, token, tokenId } = await ownedToken("imported@example.com");
    expect((await t.acme.scim(`/Users/${userId}`, { method: "DELETE" })).status).toBe(204);
    const [entry] = await requestLog();
    expect(entry).toMatchObject({ method: "DELETE", status: 204 });
    expect(entry?.notes?.join("\n")).toContain(`owned 1 SCIM token(s), which no longer work: ${tokenId} ("fulcrum")`);
    expect((await scimUsers(token)).body.detail).toContain("was deleted");
  });

  it("says a revoked token was revoked", async () => {
    const issued = await createToken(t.roster.store, t.acme.tenant, "cli", "old");
    await revokeToken(t.roster.store, "cli", issued.record.id);
    const refused = await scimUsers(issued.token);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toContain("the bearer token was revoked");
  });

  it("says a management API key is not a SCIM token", async () => {
    const refused = await scimUsers(t.key);
    expect(refused.status).toBe(401);
    expect(refused.body.detail).toContain("this is a management API key (rosterkey_…), not a SCIM token");
    expect((await requestLog())[0]).toMatchObject({ status: 401, errorDetail: refused.body.detail });
  });

  it("says a SCIM token, generated or admin-entered, is not a management API key", async () => {
    const secret = "Fluid-Shared-Secret-0123456789-abcdef!";
    await createToken(t.roster.store, t.acme.tenant, "cli", "fluid", new Date(), { secret });
    for (const token of [t.acme.token, secret]) {
      const refused = await apiFetch(`${t.roster.url}/api/v1/tenants/acme/users`, token);
      expect(refused.status).toBe(401);
      expect(refused.body.error).toEqual({
        code: "unauthorized",
        message: 'this is a SCIM bearer token, not a management API key: the management API takes a key from "roster api-keys create" (rosterkey_…)',
      });
    }
  });

  it("says a token is for another tenant's URL, and stays silent on tokens it does not know", async () => {
    const other = await t.roster.addTenant("globex");
    const elsewhere = await scimFetch(`${other.baseUrl}/Users`, t.acme.token);
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.body.detail).toContain("it was issued for another tenant; use the SCIM base URL printed with it");
    const unknown = await scimUsers(`roster_${"A".repeat(43)}`);
    expect(unknown.body.detail).toBe("the bearer token is not valid for this SCIM base URL (unknown, revoked, or issued for another tenant)");
    const unknownKey = await t.api("/users", { as: `rosterkey_${"A".repeat(43)}` });
    expect(unknownKey.body.error.message).toBe("the API key is not valid (unknown or revoked)");
  });
});
