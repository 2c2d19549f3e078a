import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { type ApiRoster, startApiRoster } from "./support.js";

/** Flosum's profile: email user names, IANA time zones defaulting to Etc/UTC, and the application's users visible to Okta's import. */
const FLOSUM = readFileSync(new URL("../../examples/profiles/flosum.yaml", import.meta.url), "utf8");

let t: ApiRoster;
beforeEach(async () => {
  t = await startApiRoster();
  await setTenantProfile(t.roster.store, "acme", FLOSUM, "flosum.yaml");
});
afterEach(() => t.close());

describe("management API: users the identity provider can see follow the profile's identity rules", () => {
  it("refuses to create a user whose userName is not an email address, and nothing is exported to the identity provider", async () => {
    const response = await t.api("/users", { body: { userName: "dana" } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalidRequest");
    expect(response.body.error.message).toContain('attribute "userName": "dana" is not an email address');
    const exported = await t.acme.scim("/Users");
    expect(exported.body.totalResults).toBe(0);
  });

  it("gives a user created without a time zone the profile's default, as the identity provider's import sees it", async () => {
    const created = await t.api("/users", { body: { userName: "dana@example.com" } });
    expect(created.status).toBe(201);
    expect(created.body.timezone).toBe("Etc/UTC");
    const exported = await t.acme.scim(`/Users?filter=${encodeURIComponent('userName eq "dana@example.com"')}`);
    expect(exported.body.Resources).toEqual([expect.objectContaining({ userName: "dana@example.com", timezone: "Etc/UTC" })]);
    const blank = await t.api("/users", { body: { userName: "fox@example.com", timezone: "" } });
    expect(blank.body.timezone).toBe("Etc/UTC");
  });

  it("refuses a time zone that is not an IANA name, on create and on update", async () => {
    const created = await t.api("/users", { body: { userName: "off@example.com", timezone: "+02:00" } });
    expect(created.status).toBe(400);
    expect(created.body.error.message).toContain('attribute "timezone": "+02:00" is not an IANA time zone');
    const ok = await t.api("/users", { body: { userName: "tz@example.com", timezone: "Europe/Paris" } });
    expect(ok.body.timezone).toBe("Europe/Paris");
    const updated = await t.api(`/users/${ok.body.id}`, { method: "PATCH", body: { timezone: "Mars/Olympus" } });
    expect(updated.status).toBe(400);
    expect(updated.body.error.message).toContain('"Mars/Olympus" is not an IANA time zone');
    expect((await t.api(`/users/${ok.body.id}`)).body.timezone).toBe("Europe/Paris");
  });

  it("refuses an update to a userName that is not an email address, and restores the default time zone when it is removed", async () => {
    const created = await t.api("/users", { body: { userName: "walt@example.com", timezone: "Europe/Paris" } });
    const renamed = await t.api(`/users/${created.body.id}`, { method: "PATCH", body: { userName: "walt" } });
    expect(renamed.status).toBe(400);
    expect(renamed.body.error.message).toContain('attribute "userName": "walt" is not an email address');
    const cleared = await t.api(`/users/${created.body.id}`, { method: "PATCH", body: { timezone: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.timezone).toBe("Etc/UTC");
  });

  it("lets an update that leaves the userName alone through, even when the stored one predates the rule", async () => {
    await setTenantProfile(t.roster.store, "acme", null, "none");
    const early = await t.api("/users", { body: { userName: "legacy-admin" } });
    expect(early.status).toBe(201);
    await setTenantProfile(t.roster.store, "acme", FLOSUM, "flosum.yaml");
    const deactivated = await t.api(`/users/${early.body.id}`, { method: "PATCH", body: { active: false, displayName: "Legacy admin" } });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body).toMatchObject({ userName: "legacy-admin", active: false, displayName: "Legacy admin", timezone: "Etc/UTC" });
  });

  it("applies no identity rule to the application's users when the identity provider cannot see them", async () => {
    await setTenantProfile(t.roster.store, "acme", FLOSUM.replace("visible: true", "visible: false"), "hidden.yaml");
    const created = await t.api("/users", { body: { userName: "service-account" } });
    expect(created.status).toBe(201);
    expect(created.body.timezone).toBeNull();
  });
});
