import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createToken } from "../../src/directory/tokens.js";
import { scimFetch } from "../helpers/roster.js";
import { type ApiRoster, scimUser, startApiRoster } from "./support.js";

let t: ApiRoster;
beforeEach(async () => {
  t = await startApiRoster();
});
afterEach(() => t.close());

describe("SCIM tokens owned by an application user", () => {
  it("stops the principal's token at once when the application deactivates the user, leaving other tokens working", async () => {
    const principal = await t.api("/users", { body: { userName: "integration-owner" } });
    const owned = await createToken(t.roster.store, t.acme.tenant, "cli", "fulcrum", new Date(), { principalId: principal.body.id });
    const scim = (token: string) => scimFetch(`${t.acme.baseUrl}/Users`, token);
    expect((await scim(owned.token)).status).toBe(200);

    await t.api(`/users/${principal.body.id}`, { method: "PATCH", body: { active: false } });
    expect((await scim(owned.token)).status).toBe(401);
    expect((await scim(t.acme.token)).status).toBe(200);

    await t.api(`/users/${principal.body.id}`, { method: "PATCH", body: { active: true } });
    expect((await scim(owned.token)).status).toBe(200);
    await t.api(`/users/${principal.body.id}`, { method: "DELETE" });
    expect((await scim(owned.token)).status).toBe(401);
  });

  it("refuses a principal that is managed, inactive or missing", async () => {
    const managed = await t.acme.scim("/Users", { body: scimUser("dana@example.com") });
    const inactive = await t.api("/users", { body: { userName: "gone", active: false } });
    for (const [id, mentions] of [
      [managed.body.id, "managed by the identity provider"],
      [inactive.body.id, "not active"],
      ["missing", "is not a user"],
    ] as const) {
      await expect(createToken(t.roster.store, t.acme.tenant, "cli", "x", new Date(), { principalId: id })).rejects.toThrow(mentions);
    }
  });

  it("authenticates an admin-entered secret, and refuses it for another tenant's URL", async () => {
    const secret = "Fluid-Shared-Secret-0123456789-abcdef!";
    await createToken(t.roster.store, t.acme.tenant, "cli", "fluid", new Date(), { secret });
    expect((await scimFetch(`${t.acme.baseUrl}/Users`, secret)).status).toBe(200);
    const other = await t.roster.addTenant("globex");
    expect((await scimFetch(`${other.baseUrl}/Users`, secret)).status).toBe(401);
  });
});
