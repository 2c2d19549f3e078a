import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scimUser } from "../api/support.js";
import { anEvent, type EventsRoster, PATCH_OP, startEventsRoster } from "./support.js";

let roster: EventsRoster;
beforeAll(async () => {
  roster = await startEventsRoster();
});
afterAll(() => roster.close());

async function createUser(userName: string, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await roster.acme.scim("/Users", { body: scimUser(userName, extra) });
  expect(created.status).toBe(201);
  return created.body.id;
}

describe("user events from SCIM", () => {
  it("records user.created for POST /Users with the user as the management API shows it", async () => {
    let id = "";
    const events = await roster.eventsOf(async () => {
      id = await createUser("dana@acme.example", { displayName: "Dana Scully", externalId: "00u1" });
    });
    const user = await roster.appUser(id);
    expect(user).toMatchObject({ userName: "dana@acme.example", displayName: "Dana Scully", active: true, managed: true, groups: [] });
    expect(events).toEqual([anEvent("user.created", { type: "User", id }, { user })]);
  });

  it("records user.updated for PUT with the changed fields and their previous values", async () => {
    const id = await createUser("fox@acme.example", { displayName: "Fox Mulder" });
    const before = await roster.appUser(id);
    const events = await roster.eventsOf(async () => {
      const put = await roster.acme.scim(`/Users/${id}`, {
        method: "PUT",
        body: scimUser("fox@acme.example", { displayName: "Fox W. Mulder", name: { givenName: "Fox", familyName: "Mulder" } }),
      });
      expect(put.status).toBe(200);
    });
    const user = await roster.appUser(id);
    expect(events).toEqual([
      anEvent("user.updated", { type: "User", id }, {
        user,
        previous: { displayName: "Fox Mulder", givenName: "Dana", familyName: "Scully", updatedAt: before.updatedAt },
      }),
    ]);
  });

  it("records user.deactivated and user.reactivated for Okta's PATCH of active", async () => {
    const id = await createUser("walter@acme.example");
    const before = await roster.appUser(id);
    const deactivated = await roster.eventsOf(async () => {
      const patch = await roster.acme.scim(`/Users/${id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] } });
      expect(patch.status).toBe(200);
    });
    const inactive = await roster.appUser(id);
    expect(deactivated).toEqual([anEvent("user.deactivated", { type: "User", id }, { user: inactive, previous: { active: true, updatedAt: before.updatedAt } })]);
    const reactivated = await roster.eventsOf(async () => {
      const patch = await roster.acme.scim(`/Users/${id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: true }] } });
      expect(patch.status).toBe(200);
    });
    const active = await roster.appUser(id);
    expect(reactivated).toEqual([anEvent("user.reactivated", { type: "User", id }, { user: active, previous: { active: false, updatedAt: inactive.updatedAt } })]);
  });

  it("records user.deleted with the last snapshot, groups included", async () => {
    const id = await createUser("skinner@acme.example");
    const group = await roster.acme.scim("/Groups", { body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "X-Files", members: [{ value: id }] } });
    expect(group.status).toBe(201);
    const last = await roster.appUser(id);
    expect(last.groups).toEqual([{ id: group.body.id, displayName: "X-Files" }]);
    const events = await roster.eventsOf(async () => {
      expect((await roster.acme.scim(`/Users/${id}`, { method: "DELETE" })).status).toBe(204);
    });
    expect(events).toEqual([anEvent("user.deleted", { type: "User", id }, { user: last })]);
  });

  it("records nothing for reads", async () => {
    const id = await createUser("reader@acme.example");
    const events = await roster.eventsOf(async () => {
      expect((await roster.acme.scim(`/Users/${id}`)).status).toBe(200);
      expect((await roster.acme.scim(`/Users?filter=userName eq "reader@acme.example"`)).status).toBe(200);
      expect((await roster.api(`/users/${id}`)).status).toBe(200);
    });
    expect(events).toEqual([]);
  });
});
