import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import type { FeedEvent } from "../../src/events/event-types.js";
import { scimUser } from "../api/support.js";
import { BULK_REQUEST, type EventsRoster, groupBody, PATCH_OP, readWholeFeed, startEventsRoster } from "./support.js";

// Roles from an attribute and from groups (examples/profiles/fluid.yaml and fulcrum.yaml together),
// removal from the organisation on deactivation, and Okta's account linking.
const PROFILE = `
attributes:
  role:
    type: string
roles:
  fromAttribute: role
  fromGroups:
    matchDeclaredRoles: true
    mappings:
      Okta-Admins: Administrator
      Okta Fleet Managers: Manager
deprovisioning: removeFromOrganisation
unmanagedUsers:
  userNameCollision: link
`;

const GROUP_NAMES = ["Fluid User", "Driver", "Mechanic", "Okta-Admins", "Okta Fleet Managers", "Crew", "Book club", "Night shift"];
const ROLE_VALUES = ["Mechanic", "Driver", "Fluid User", ""];
const DECLARED = [["Fluid User", "Driver", "Mechanic"], ["Fluid User", "Mechanic"], ["Driver", "Night shift", "Crew"], []];

/** mulberry32: a small seeded generator, so a failing sequence can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What a consumer of the feed keeps: users and groups as the events show them, roles and memberships from their own events. */
interface Model {
  readonly users: Map<string, Record<string, unknown>>;
  readonly roles: Map<string, Set<string>>;
  readonly groups: Map<string, Record<string, unknown>>;
  readonly members: Map<string, Map<string, "User" | "Group">>;
}

function apply(model: Model, event: FeedEvent): void {
  const forget = (id: string) => {
    for (const members of model.members.values()) members.delete(id);
  };
  switch (event.type) {
    case "user.created":
    case "user.updated":
    case "user.deactivated":
    case "user.reactivated": {
      const { roles: _roles, groups: _groups, ...user } = event.data.user;
      model.users.set(event.resource.id, user);
      if (event.type === "user.created") model.roles.set(event.resource.id, new Set());
      break;
    }
    case "user.deleted":
      model.users.delete(event.resource.id);
      model.roles.delete(event.resource.id);
      forget(event.resource.id);
      break;
    case "group.created":
      model.groups.set(event.resource.id, { ...event.data.group });
      model.members.set(event.resource.id, new Map());
      break;
    case "group.updated":
      model.groups.set(event.resource.id, { ...event.data.group });
      break;
    case "group.deleted":
      model.groups.delete(event.resource.id);
      model.members.delete(event.resource.id);
      forget(event.resource.id);
      break;
    case "group.member_added":
    case "group.member_removed": {
      model.groups.set(event.resource.id, { ...event.data.group });
      const members = model.members.get(event.resource.id);
      if (members === undefined) throw new Error(`${event.type} for group ${event.resource.id} before its group.created`);
      for (const member of event.data.members) {
        if (event.type === "group.member_added") members.set(member.id, member.type);
        else members.delete(member.id);
      }
      break;
    }
    case "role.granted":
    case "role.revoked": {
      const roles = model.roles.get(event.resource.id);
      if (roles === undefined) throw new Error(`${event.type} for user ${event.resource.id} before its user.created`);
      if (event.type === "role.granted") roles.add(event.data.role);
      else roles.delete(event.data.role);
      break;
    }
    default: {
      const exhaustive: never = event;
      throw new Error(`unknown event ${JSON.stringify(exhaustive)}`);
    }
  }
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The directory as the consumer rebuilt it, in the management API's shapes. */
function modelView(model: Model): { users: unknown[]; groups: unknown[]; members: Record<string, unknown[]> } {
  const display = (id: string, type: "User" | "Group"): string | null => {
    const entity = type === "User" ? model.users.get(id) : model.groups.get(id);
    return ((entity?.["displayName"] as string | null | undefined) ?? (entity?.["userName"] as string | undefined)) ?? null;
  };
  const users = [...model.users].map(([id, user]) => ({
    ...user,
    id,
    roles: [...(model.roles.get(id) ?? [])].sort(),
    groups: [...model.members]
      .filter(([, members]) => members.has(id))
      .map(([groupId]) => ({ id: groupId, displayName: model.groups.get(groupId)?.["displayName"] ?? null }))
      .sort(byId),
  }));
  const members: Record<string, unknown[]> = {};
  for (const [groupId, list] of model.members) {
    members[groupId] = [...list].map(([id, type]) => ({ id, type, display: display(id, type) })).sort(byId);
  }
  const groups = [...model.groups].map(([id, group]) => ({ ...group, id }));
  return { users: users.sort(byId), groups: groups.sort(byId), members };
}

async function listAll(roster: EventsRoster, path: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = "";
  for (let page = 0; page < 1000 && cursor !== null; page += 1) {
    const answer = await roster.api(`${path}${path.includes("?") ? "&" : "?"}limit=50${cursor === "" ? "" : `&cursor=${encodeURIComponent(cursor)}`}`);
    expect(answer.status).toBe(200);
    items.push(...answer.body.data);
    cursor = answer.body.nextCursor;
  }
  return items;
}

/** The directory as the management API shows it, roles as a set (sorted). */
async function apiView(roster: EventsRoster): Promise<{ users: unknown[]; groups: unknown[]; members: Record<string, unknown[]> }> {
  const users = (await listAll(roster, "/users")).map((user) => ({ ...user, roles: [...user.roles].sort() })).sort(byId);
  const groups = (await listAll(roster, "/groups")).sort(byId);
  const members: Record<string, unknown[]> = {};
  for (const group of groups) members[group.id] = (await listAll(roster, `/groups/${group.id}/members`)).sort(byId);
  return { users, groups, members };
}

/** An Okta-like sequence of `steps` requests over SCIM and the management API, drawn from `seed`. */
async function runSequence(roster: EventsRoster, seed: number, steps: number): Promise<Record<string, number>> {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(next() * items.length)];
  const some = <T>(items: readonly T[], max: number): T[] => items.filter(() => next() < max / Math.max(1, items.length));
  const managedUsers: string[] = [];
  const appUsers: { id: string; userName: string }[] = [];
  const managedGroups: string[] = [];
  const appGroups: string[] = [];
  const statuses: Record<string, number> = {};
  let serial = 0;
  const count = (name: string, status: number) => {
    statuses[`${name} ${status}`] = (statuses[`${name} ${status}`] ?? 0) + 1;
  };
  const scim = async (name: string, path: string, init: { method?: string; body?: unknown }) => {
    const answer = await roster.acme.scim(path, init);
    if (answer.status >= 500) throw new Error(`${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
    count(name, answer.status);
    return answer;
  };
  const api = async (name: string, path: string, init: { method?: string; body?: unknown }) => {
    const answer = await roster.api(path, init);
    if (answer.status >= 500) throw new Error(`${name}: ${answer.status} ${JSON.stringify(answer.body)}`);
    count(name, answer.status);
    return answer;
  };
  const role = () => {
    const value = pick(ROLE_VALUES);
    return value === "" || value === undefined ? {} : { role: value };
  };
  const user = (userName: string) => scimUser(userName, { displayName: `User ${serial} v${Math.floor(next() * 100)}`, externalId: `00u${serial}`, ...role() });

  for (let step = 0; step < steps; step += 1) {
    const dice = next();
    if (dice < 0.16 || managedUsers.length < 3) {
      serial += 1;
      const created = await scim("create user", "/Users", { body: user(`okta${seed}-${serial}@acme.example`) });
      if (created.status === 201) managedUsers.push(created.body.id);
    } else if (dice < 0.24) {
      const id = pick(managedUsers)!;
      const current = await roster.acme.scim(`/Users/${id}`, {});
      await scim("PUT user", `/Users/${id}`, { method: "PUT", body: { ...user(current.body.userName), active: current.body.active } });
    } else if (dice < 0.32) {
      const id = pick(managedUsers)!;
      await scim("PATCH user", `/Users/${id}`, {
        method: "PATCH",
        body: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { displayName: `Patched ${step}`, ...role() } }] },
      });
    } else if (dice < 0.4) {
      await scim("PATCH active", `/Users/${pick(managedUsers)!}`, {
        method: "PATCH",
        body: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: next() < 0.6 ? false : true } }] },
      });
    } else if (dice < 0.43) {
      const id = managedUsers.splice(Math.floor(next() * managedUsers.length), 1)[0]!;
      await scim("DELETE user", `/Users/${id}`, { method: "DELETE" });
    } else if (dice < 0.5) {
      const created = await scim("push group", "/Groups", { body: groupBody(pick(GROUP_NAMES)!, some(managedUsers, 4)) });
      if (created.status === 201) managedGroups.push(created.body.id);
    } else if (dice < 0.58 && managedGroups.length > 0) {
      const value = some([...managedUsers, ...appUsers.map((u) => u.id)], 3).map((id) => ({ value: id }));
      await scim("PATCH add members", `/Groups/${pick(managedGroups)!}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value }] } });
    } else if (dice < 0.64 && managedGroups.length > 0) {
      const member = pick(managedUsers)!;
      await scim("PATCH remove member", `/Groups/${pick(managedGroups)!}`, {
        method: "PATCH",
        body: { schemas: [PATCH_OP], Operations: [{ op: "remove", path: `members[value eq "${member}"]` }] },
      });
    } else if (dice < 0.68 && managedGroups.length > 0) {
      await scim("rename group", `/Groups/${pick(managedGroups)!}`, {
        method: "PATCH",
        body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: pick(GROUP_NAMES)! }] },
      });
    } else if (dice < 0.71 && managedGroups.length > 0) {
      await scim("PUT group", `/Groups/${pick(managedGroups)!}`, { method: "PUT", body: groupBody(pick(GROUP_NAMES)!, some(managedUsers, 3)) });
    } else if (dice < 0.73 && managedGroups.length > 0) {
      const id = managedGroups.splice(Math.floor(next() * managedGroups.length), 1)[0]!;
      await scim("DELETE group", `/Groups/${id}`, { method: "DELETE" });
    } else if (dice < 0.77) {
      serial += 1;
      const userName = `app${seed}-${serial}@acme.example`;
      const created = await api("app create user", "/users", { body: { userName, displayName: `App ${serial}` } });
      if (created.status === 201) appUsers.push({ id: created.body.id, userName });
    } else if (dice < 0.8 && appUsers.length > 0) {
      await api("app PATCH user", `/users/${pick(appUsers)!.id}`, { method: "PATCH", body: next() < 0.5 ? { active: next() < 0.5 } : { displayName: `App renamed ${step}` } });
    } else if (dice < 0.82 && appUsers.length > 0) {
      // Okta creates a user whose userName an unmanaged user has: the profile links them (same id, groups kept).
      const linked = appUsers.splice(Math.floor(next() * appUsers.length), 1)[0]!;
      const created = await scim("link user", "/Users", { body: user(linked.userName) });
      if (created.status === 201) managedUsers.push(created.body.id);
    } else if (dice < 0.84 && appUsers.length > 0) {
      const id = appUsers.splice(Math.floor(next() * appUsers.length), 1)[0]!.id;
      await api("app DELETE user", `/users/${id}`, { method: "DELETE" });
    } else if (dice < 0.87) {
      const created = await api("app create group", "/groups", { body: { displayName: pick(GROUP_NAMES)! } });
      if (created.status === 201) appGroups.push(created.body.id);
    } else if (dice < 0.91 && appGroups.length > 0) {
      const userId = pick([...managedUsers, ...appUsers.map((u) => u.id)])!;
      if (next() < 0.6) await api("app add member", `/groups/${pick(appGroups)!}/members`, { body: { userId } });
      else await api("app remove member", `/groups/${pick(appGroups)!}/members/${userId}`, { method: "DELETE" });
    } else if (dice < 0.93 && appGroups.length > 0) {
      await api("app rename group", `/groups/${pick(appGroups)!}`, { method: "PATCH", body: { displayName: pick(GROUP_NAMES)! } });
    } else if (dice < 0.94 && appGroups.length > 0) {
      const id = appGroups.splice(Math.floor(next() * appGroups.length), 1)[0]!;
      await api("app DELETE group", `/groups/${id}`, { method: "DELETE" });
    } else if (dice < 0.96) {
      await api("PUT roles", "/roles", { method: "PUT", body: pick(DECLARED)! });
    } else if (dice < 0.98) {
      serial += 1;
      const operations = [
        { method: "POST", path: "/Users", bulkId: "a", data: user(`bulk${seed}-${serial}@acme.example`) },
        { method: "POST", path: "/Groups", bulkId: "g", data: groupBody(pick(GROUP_NAMES)!, ["bulkId:a", ...some(managedUsers, 2)]) },
        { method: "PATCH", path: `/Users/${pick(managedUsers)!}`, data: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] } },
      ];
      const bulk = await scim("bulk", "/Bulk", { body: { schemas: [BULK_REQUEST], Operations: operations } });
      const [userResult, groupResult] = bulk.body.Operations;
      if (userResult?.status === "201") managedUsers.push(userResult.location.split("/").pop());
      if (groupResult?.status === "201") managedGroups.push(groupResult.location.split("/").pop());
    } else {
      // A request that fails half-way: its first operation applied, then refused as a whole.
      await scim("failing PATCH", `/Users/${pick(managedUsers)!}`, {
        method: "PATCH",
        body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "never" }, { op: "replace", path: "active", value: "maybe" }] },
      });
    }
  }
  return statuses;
}

let roster: EventsRoster;
beforeAll(async () => {
  roster = await startEventsRoster();
  // The mappings' target roles are declared first (the sequence's PUT roles later withdraws them).
  expect((await roster.api("/roles", { method: "PUT", body: ["Administrator", "Manager"] })).status).toBe(200);
  await setTenantProfile(roster.roster.store, "acme", PROFILE, "replay.yaml");
});
afterAll(() => roster.close());

describe("the feed read from the start reproduces the directory", () => {
  it.each([[20261123], [7]])("after an Okta-like sequence of 300 requests (seed %i)", async (seed) => {
    const statuses = await runSequence(roster, seed, 300);
    // The sequence did what it means to: every kind of change happened, and some requests failed.
    for (const name of ["create user 201", "PUT user 200", "PATCH active 200", "DELETE user 204", "push group 201", "PATCH add members 204", "rename group 204", "PUT group 200", "DELETE group 204", "app create user 201", "link user 201", "PUT roles 200", "bulk 200", "failing PATCH 400"]) {
      expect(statuses[name], `${name} in ${JSON.stringify(statuses)}`).toBeGreaterThan(0);
    }

    // A consumer reads the whole feed from the start, 7 events a page.
    const { events } = await readWholeFeed(roster, undefined, 7);
    const sequences = events.map((event) => event.sequence);
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
    const types = new Set(events.map((event) => event.type));
    for (const type of ["user.created", "user.updated", "user.deactivated", "user.reactivated", "user.deleted", "group.created", "group.updated", "group.deleted", "group.member_added", "group.member_removed", "role.granted", "role.revoked"]) {
      expect(types, type).toContain(type);
    }
    const model: Model = { users: new Map(), roles: new Map(), groups: new Map(), members: new Map() };
    for (const event of events) apply(model, event);
    expect(modelView(model)).toEqual(await apiView(roster));
  }, 300_000);
});
