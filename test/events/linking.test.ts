import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { scimUser } from "../api/support.js";
import { anEvent, type EventsRoster, startEventsRoster } from "./support.js";

// Fluid's profile: roles from group names matching declared roles, and account linking.
const FLUID = readFileSync(new URL("../../examples/profiles/fluid.yaml", import.meta.url), "utf8");

let roster: EventsRoster;
beforeAll(async () => {
  roster = await startEventsRoster();
  await setTenantProfile(roster.roster.store, "acme", FLUID, "fluid.yaml");
  expect((await roster.api("/roles", { method: "PUT", body: ["Fluid User"] })).status).toBe(200);
});
afterAll(() => roster.close());

describe("events of account linking (examples/profiles/fluid.yaml)", () => {
  it("records user.updated when Okta's user links to the application's own: managed, the IdP's fields, its groups kept (an application group grants no role, ADR 0021)", async () => {
    const own = await roster.api("/users", { body: { userName: "linked@acme.example", displayName: "Own" } });
    expect(own.status).toBe(201);
    const group = await roster.api("/groups", { body: { displayName: "Fluid User" } });
    expect((await roster.api(`/groups/${group.body.id}/members`, { body: { userId: own.body.id } })).status).toBe(204);
    const before = await roster.appUser(own.body.id);
    expect(before.roles).toEqual([]);
    const events = await roster.eventsOf(async () => {
      const created = await roster.acme.scim("/Users", { body: scimUser("linked@acme.example", { displayName: "From Okta" }) });
      expect(created.status).toBe(201);
      expect(created.body.id).toBe(own.body.id);
    });
    const user = await roster.appUser(own.body.id);
    expect(user).toMatchObject({ managed: true, displayName: "From Okta", roles: [], groups: [{ id: group.body.id, displayName: "Fluid User" }] });
    expect(events).toEqual([
      anEvent("user.updated", { type: "User", id: own.body.id }, {
        user,
        previous: {
          displayName: "Own",
          givenName: null,
          familyName: null,
          emails: [],
          managed: false,
          updatedAt: before.updatedAt,
        },
      }),
    ]);
  });
});
