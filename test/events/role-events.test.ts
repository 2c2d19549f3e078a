import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { scimUser } from "../api/support.js";
import { anEvent, type EventsRoster, groupBody, PATCH_OP, startEventsRoster } from "./support.js";

const PROFILE = `
attributes:
  role:
    type: string
  user_type:
    type: string
    allowedValues: [admin, regular]
roles:
  fromAttribute: role
  admin:
    attribute: user_type
    equals: admin
  fromGroups:
    matchDeclaredRoles: true
    mappings:
      Okta-Admins: Administrator
deprovisioning: removeFromOrganisation
`;

let roster: EventsRoster;
beforeAll(async () => {
  roster = await startEventsRoster();
  // Declared first: a mapping's target role must be one the application declared.
  expect((await roster.api("/roles", { method: "PUT", body: ["Mechanic", "Driver", "Fluid User", "Administrator"] })).status).toBe(200);
  await setTenantProfile(roster.roster.store, "acme", PROFILE, "acme.yaml");
});
afterAll(() => roster.close());

let serial = 0;
async function createUser(extra: Record<string, unknown> = {}): Promise<string> {
  serial += 1;
  const created = await roster.acme.scim("/Users", { body: scimUser(`role${serial}@acme.example`, extra) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

async function patch(path: string, operations: unknown[], status: number): Promise<void> {
  const answer = await roster.acme.scim(path, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: operations } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
}

async function createGroup(displayName: string, members: readonly string[]): Promise<string> {
  const created = await roster.acme.scim("/Groups", { body: groupBody(displayName, members) });
  expect(created.status).toBe(201);
  return created.body.id;
}

const types = (events: readonly { type: string }[]) => events.map((event) => event.type);

describe("role events from a profile that derives roles", () => {
  it("grants the role of the role attribute when the user is created", async () => {
    let id = "";
    const events = await roster.eventsOf(async () => {
      id = await createUser({ role: "Mechanic" });
    });
    const user = await roster.appUser(id);
    expect(user.roles).toEqual(["Mechanic"]);
    expect(events).toEqual([
      anEvent("user.created", { type: "User", id }, { user }),
      anEvent("role.granted", { type: "User", id }, { user, role: "Mechanic" }),
    ]);
  });

  it("revokes the old role and grants the new one when the role attribute changes", async () => {
    const id = await createUser({ role: "Mechanic" });
    const before = await roster.appUser(id);
    const events = await roster.eventsOf(() => patch(`/Users/${id}`, [{ op: "replace", path: "role", value: "Driver" }], 200));
    const user = await roster.appUser(id);
    expect(events).toEqual([
      anEvent("user.updated", { type: "User", id }, { user, previous: { attributes: { role: "Mechanic" }, updatedAt: before.updatedAt } }),
      anEvent("role.revoked", { type: "User", id }, { user, role: "Mechanic" }),
      anEvent("role.granted", { type: "User", id }, { user, role: "Driver" }),
    ]);
  });

  it("makes an administrator lose every role (admin: true and no role)", async () => {
    const id = await createUser({ role: "Mechanic", user_type: "regular" });
    const events = await roster.eventsOf(() => patch(`/Users/${id}`, [{ op: "replace", path: "user_type", value: "admin" }], 200));
    const user = await roster.appUser(id);
    expect(user).toMatchObject({ admin: true, roles: [] });
    expect(types(events)).toEqual(["user.updated", "role.revoked"]);
    expect(events[0]!.data).toMatchObject({ previous: { admin: false, attributes: { role: "Mechanic", user_type: "regular" } } });
    expect(events[1]).toEqual(anEvent("role.revoked", { type: "User", id }, { user, role: "Mechanic" }));
  });

  it("grants a mapped group's role when a pushed group adds the user, and revokes it when a PATCH removes them", async () => {
    const id = await createUser();
    let group = "";
    const joined = await roster.eventsOf(async () => {
      group = await createGroup("Okta-Admins", [id]);
    });
    const user = await roster.appUser(id);
    expect(user.roles).toEqual(["Administrator"]);
    expect(types(joined)).toEqual(["group.created", "group.member_added", "role.granted"]);
    expect(joined[2]).toEqual(anEvent("role.granted", { type: "User", id }, { user, role: "Administrator" }));

    const left = await roster.eventsOf(() => patch(`/Groups/${group}`, [{ op: "remove", path: `members[value eq "${id}"]` }], 204));
    const after = await roster.appUser(id);
    expect(after.roles).toEqual([]);
    expect(types(left)).toEqual(["group.member_removed", "role.revoked"]);
    expect(left[1]).toEqual(anEvent("role.revoked", { type: "User", id }, { user: after, role: "Administrator" }));
  });

  it("revokes a declared role's name from every member when its group is renamed, and grants it back on the way back", async () => {
    const [a, b] = [await createUser(), await createUser()];
    const group = await createGroup("Fluid User", [a!, b!]);
    expect((await roster.appUser(a!)).roles).toEqual(["Fluid User"]);
    const renamed = await roster.eventsOf(() => patch(`/Groups/${group}`, [{ op: "replace", path: "displayName", value: "Fluid Users (old)" }], 204));
    expect(types(renamed)).toEqual(["group.updated", "role.revoked", "role.revoked"]);
    expect(renamed.slice(1).map((event) => [event.resource.id, (event.data as { role: string }).role]).sort()).toEqual(
      [[a, "Fluid User"], [b, "Fluid User"]].sort(),
    );
    const back = await roster.eventsOf(() => patch(`/Groups/${group}`, [{ op: "replace", path: "displayName", value: "Fluid User" }], 204));
    expect(types(back)).toEqual(["group.updated", "role.granted", "role.granted"]);
    expect(back[1]).toEqual(anEvent("role.granted", { type: "User", id: back[1]!.resource.id }, { user: await roster.appUser(back[1]!.resource.id), role: "Fluid User" }));
  });

  it("revokes and grants a group's role when the application withdraws and declares it again (PUT roles)", async () => {
    const id = await createUser();
    await createGroup("Driver", [id]);
    expect((await roster.appUser(id)).roles).toEqual(["Driver"]);
    const withdrawn = await roster.eventsOf(async () => {
      expect((await roster.api("/roles", { method: "PUT", body: ["Mechanic", "Fluid User", "Administrator"] })).status).toBe(200);
    });
    const user = await roster.appUser(id);
    expect(user.roles).toEqual([]);
    // Every member of a group named "Driver" loses it (the user of the role-attribute test above keeps its attribute role: not from a group).
    expect(withdrawn).toContainEqual(anEvent("role.revoked", { type: "User", id }, { user, role: "Driver" }));
    expect(types(withdrawn).every((type) => type === "role.revoked")).toBe(true);
    const declared = await roster.eventsOf(async () => {
      expect((await roster.api("/roles", { method: "PUT", body: ["Mechanic", "Driver", "Fluid User", "Administrator"] })).status).toBe(200);
    });
    expect(declared).toContainEqual(anEvent("role.granted", { type: "User", id }, { user: await roster.appUser(id), role: "Driver" }));
  });

  it("revokes the role of a deleted group from its members", async () => {
    const id = await createUser();
    const group = await createGroup("Okta-Admins", [id]);
    const events = await roster.eventsOf(async () => {
      expect((await roster.acme.scim(`/Groups/${group}`, { method: "DELETE" })).status).toBe(204);
    });
    const user = await roster.appUser(id);
    expect(types(events)).toEqual(["group.deleted", "role.revoked"]);
    expect(events[1]).toEqual(anEvent("role.revoked", { type: "User", id }, { user, role: "Administrator" }));
  });

  it("removes a deactivated user from the organisation: user.deactivated, member_removed per group, role.revoked per role", async () => {
    const id = await createUser({ role: "Mechanic" });
    const [admins, crew] = [await createGroup("Okta-Admins", [id]), await createGroup("Crew", [id])];
    const before = await roster.appUser(id);
    expect(before.roles).toEqual(["Mechanic", "Administrator"]);
    const events = await roster.eventsOf(() => patch(`/Users/${id}`, [{ op: "replace", value: { active: false } }], 200));
    const user = await roster.appUser(id);
    expect(user).toMatchObject({ active: false, roles: [], groups: [] });
    const member = { id, type: "User", display: before.userName };
    // The user leaves its groups in the order the store lists them (by group id).
    const left = [admins!, crew!].sort();
    expect(events).toEqual([
      anEvent("user.deactivated", { type: "User", id }, { user, previous: { active: true, updatedAt: before.updatedAt } }),
      ...(await Promise.all(
        left.map(async (group) => anEvent("group.member_removed", { type: "Group", id: group }, { group: await roster.appGroup(group), members: [member] })),
      )),
      anEvent("role.revoked", { type: "User", id }, { user, role: "Mechanic" }),
      anEvent("role.revoked", { type: "User", id }, { user, role: "Administrator" }),
    ]);
    const back = await roster.eventsOf(() => patch(`/Users/${id}`, [{ op: "replace", path: "active", value: true }], 200));
    const reactivated = await roster.appUser(id);
    expect(back).toEqual([
      anEvent("user.reactivated", { type: "User", id }, { user: reactivated, previous: { active: false, updatedAt: user.updatedAt } }),
      anEvent("role.granted", { type: "User", id }, { user: reactivated, role: "Mechanic" }),
    ]);
  });

  it("grants no role through a group the application created, named like a declared role or a mapped group (ADR 0021)", async () => {
    const id = await createUser();
    const groups: string[] = [];
    for (const displayName of ["Mechanic", "Okta-Admins"]) {
      const group = await roster.api("/groups", { body: { displayName } });
      expect(group.status).toBe(201);
      groups.push(group.body.id);
    }
    const joined = await roster.eventsOf(async () => {
      for (const group of groups) expect((await roster.api(`/groups/${group}/members`, { body: { userId: id } })).status).toBe(204);
    });
    expect((await roster.appUser(id)).roles).toEqual([]);
    expect(types(joined)).toEqual(["group.member_added", "group.member_added"]);
    const left = await roster.eventsOf(async () => {
      for (const group of groups) expect((await roster.api(`/groups/${group}/members/${id}`, { method: "DELETE" })).status).toBe(204);
    });
    expect(types(left)).toEqual(["group.member_removed", "group.member_removed"]);
  });

  it("records no role event for a membership of a group that grants none", async () => {
    const id = await createUser({ role: "Mechanic" });
    const events = await roster.eventsOf(() => createGroup("Book club", [id]));
    expect(types(events)).toEqual(["group.created", "group.member_added"]);
  });
});
