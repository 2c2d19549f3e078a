import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anEvent, type EventsRoster, startEventsRoster } from "./support.js";

let roster: EventsRoster;
beforeAll(async () => {
  roster = await startEventsRoster();
});
afterAll(() => roster.close());

async function call(path: string, init: { method?: string; body?: unknown }, status: number): Promise<any> {
  const answer = await roster.api(path, init);
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  return answer.body;
}

describe("events from the management API", () => {
  it("records the life of an unmanaged user: created, updated, deactivated, reactivated, deleted", async () => {
    let id = "";
    const created = await roster.eventsOf(async () => {
      id = (await call("/users", { body: { userName: "app@acme.example", displayName: "App User" } }, 201)).id;
    });
    const v1 = await roster.appUser(id);
    expect(v1).toMatchObject({ managed: false, active: true, displayName: "App User" });
    expect(created).toEqual([anEvent("user.created", { type: "User", id }, { user: v1 })]);

    const updated = await roster.eventsOf(() => call(`/users/${id}`, { method: "PATCH", body: { displayName: "Renamed", timezone: "Europe/Paris" } }, 200));
    const v2 = await roster.appUser(id);
    expect(updated).toEqual([anEvent("user.updated", { type: "User", id }, { user: v2, previous: { displayName: "App User", timezone: null, updatedAt: v1.updatedAt } })]);

    const deactivated = await roster.eventsOf(() => call(`/users/${id}`, { method: "PATCH", body: { active: false } }, 200));
    const v3 = await roster.appUser(id);
    expect(deactivated).toEqual([anEvent("user.deactivated", { type: "User", id }, { user: v3, previous: { active: true, updatedAt: v2.updatedAt } })]);

    const reactivated = await roster.eventsOf(() => call(`/users/${id}`, { method: "PATCH", body: { active: true } }, 200));
    const v4 = await roster.appUser(id);
    expect(reactivated).toEqual([anEvent("user.reactivated", { type: "User", id }, { user: v4, previous: { active: false, updatedAt: v3.updatedAt } })]);

    const deleted = await roster.eventsOf(() => call(`/users/${id}`, { method: "DELETE" }, 204));
    expect(deleted).toEqual([anEvent("user.deleted", { type: "User", id }, { user: v4 })]);
  });

  it("records the life of an unmanaged group and its members", async () => {
    const user = (await call("/users", { body: { userName: "member@acme.example" } }, 201)).id as string;
    let id = "";
    const created = await roster.eventsOf(async () => {
      id = (await call("/groups", { body: { displayName: "Crew" } }, 201)).id;
    });
    const g1 = await roster.appGroup(id);
    expect(created).toEqual([anEvent("group.created", { type: "Group", id }, { group: g1 })]);

    const renamed = await roster.eventsOf(() => call(`/groups/${id}`, { method: "PATCH", body: { displayName: "Ground crew", externalId: "gc-1" } }, 200));
    const g2 = await roster.appGroup(id);
    expect(renamed).toEqual([
      anEvent("group.updated", { type: "Group", id }, { group: g2, previous: { displayName: "Crew", externalId: null, updatedAt: g1.updatedAt } }),
    ]);

    const added = await roster.eventsOf(() => call(`/groups/${id}/members`, { body: { userId: user } }, 204));
    const g3 = await roster.appGroup(id);
    expect(added).toEqual([anEvent("group.member_added", { type: "Group", id }, { group: g3, members: [{ id: user, type: "User", display: "member@acme.example" }] })]);
    expect(await roster.eventsOf(() => call(`/groups/${id}/members`, { body: { userId: user } }, 204))).toEqual([]);

    const removed = await roster.eventsOf(() => call(`/groups/${id}/members/${user}`, { method: "DELETE" }, 204));
    const g4 = await roster.appGroup(id);
    expect(removed).toEqual([anEvent("group.member_removed", { type: "Group", id }, { group: g4, members: [{ id: user, type: "User", display: "member@acme.example" }] })]);

    const deleted = await roster.eventsOf(() => call(`/groups/${id}`, { method: "DELETE" }, 204));
    expect(deleted).toEqual([anEvent("group.deleted", { type: "Group", id }, { group: g4 })]);
  });

  it("records nothing for declaring roles when the tenant has no profile deriving roles", async () => {
    expect(await roster.eventsOf(() => call("/roles", { method: "PUT", body: ["Mechanic"] }, 200))).toEqual([]);
  });
});
