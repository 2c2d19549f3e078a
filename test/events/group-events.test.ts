import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scimUser } from "../api/support.js";
import { anEvent, BULK_REQUEST, type EventsRoster, groupBody, PATCH_OP, startEventsRoster } from "./support.js";

let roster: EventsRoster;
beforeAll(async () => {
  roster = await startEventsRoster();
});
afterAll(() => roster.close());

let serial = 0;

async function createUser(extra: Record<string, unknown> = {}): Promise<string> {
  serial += 1;
  const created = await roster.acme.scim("/Users", { body: scimUser(`member${serial}@acme.example`, extra) });
  expect(created.status).toBe(201);
  return created.body.id;
}

/** `count` users through /Bulk (1,000 operations at most per request). */
async function createUsers(count: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 1000) {
    const operations = Array.from({ length: Math.min(1000, count - start) }, (_, i) => ({
      method: "POST",
      path: "/Users",
      bulkId: `u${start + i}`,
      data: scimUser(`${prefix}${start + i}@acme.example`),
    }));
    const bulk = await roster.acme.scim("/Bulk", { body: { schemas: [BULK_REQUEST], Operations: operations } });
    expect(bulk.status).toBe(200);
    for (const result of bulk.body.Operations) {
      expect(result.status).toBe("201");
      ids.push(result.location.slice(result.location.lastIndexOf("/") + 1));
    }
  }
  return ids;
}

async function createGroup(displayName: string, members: readonly string[] = []): Promise<string> {
  const created = await roster.acme.scim("/Groups", { body: groupBody(displayName, members) });
  expect(created.status).toBe(201);
  return created.body.id;
}

async function patchGroup(id: string, operations: unknown[]): Promise<void> {
  const answer = await roster.acme.scim(`/Groups/${id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: operations } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(204);
}

describe("group events from SCIM", () => {
  it("records group.created without members, then group.member_added with the initial members", async () => {
    const dana = await createUser({ displayName: "Dana Scully" });
    const fox = await createUser();
    let id = "";
    const events = await roster.eventsOf(async () => {
      id = await createGroup("Agents", [dana, fox]);
    });
    const group = await roster.appGroup(id);
    expect(group).toEqual({ id, displayName: "Agents", externalId: null, managed: true, createdAt: group.createdAt, updatedAt: group.createdAt });
    expect(events).toEqual([
      anEvent("group.created", { type: "Group", id }, { group }),
      anEvent("group.member_added", { type: "Group", id }, {
        group,
        members: [
          { id: dana, type: "User", display: "Dana Scully" },
          { id: fox, type: "User", display: `member${serial}@acme.example` },
        ],
      }),
    ]);
  });

  it("records one group.member_added with all 500 members of one PATCH, and no group snapshot with members", async () => {
    const id = await createGroup("Five hundred");
    const users = await createUsers(500, "five-hundred-");
    const events = await roster.eventsOf(() => patchGroup(id, [{ op: "add", path: "members", value: users.map((value) => ({ value })) }]));
    const group = await roster.appGroup(id);
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual(
      anEvent("group.member_added", { type: "Group", id }, {
        group,
        members: users.map((user, i) => ({ id: user, type: "User", display: `five-hundred-${i}@acme.example` })),
      }),
    );
    expect(Object.keys(events[0]!.data).sort()).toEqual(["group", "members"]);
    expect(group).not.toHaveProperty("members");
  });

  it("splits membership events at 1,000 members (a PUT replacing 1,001 members)", async () => {
    const id = await createGroup("Big");
    const users = await createUsers(1001, "big-");
    const events = await roster.eventsOf(async () => {
      const put = await roster.acme.scim(`/Groups/${id}`, { method: "PUT", body: groupBody("Big", users) });
      expect(put.status).toBe(200);
    });
    expect(events.map((event) => [event.type, "members" in event.data ? event.data.members.length : 0])).toEqual([
      ["group.member_added", 1000],
      ["group.member_added", 1],
    ]);
    const listed = events.flatMap((event) => ("members" in event.data ? event.data.members.map((member) => member.id) : []));
    expect(listed).toEqual(users);
  });

  it("records group.member_removed for a PATCH remove by filter, naming the member", async () => {
    const dana = await createUser({ displayName: "Dana" });
    const fox = await createUser({ displayName: "Fox" });
    const id = await createGroup("Pair", [dana, fox]);
    const events = await roster.eventsOf(() => patchGroup(id, [{ op: "remove", path: `members[value eq "${dana}"]` }]));
    const group = await roster.appGroup(id);
    expect(events).toEqual([anEvent("group.member_removed", { type: "Group", id }, { group, members: [{ id: dana, type: "User", display: "Dana" }] })]);
  });

  it("records group.updated for a rename with the previous displayName and updatedAt", async () => {
    const id = await createGroup("Old name");
    const before = await roster.appGroup(id);
    const events = await roster.eventsOf(() => patchGroup(id, [{ op: "replace", value: { displayName: "New name" } }]));
    const group = await roster.appGroup(id);
    expect(group.displayName).toBe("New name");
    expect(events).toEqual([anEvent("group.updated", { type: "Group", id }, { group, previous: { displayName: "Old name", updatedAt: before.updatedAt } })]);
  });

  it("reports a PUT of members as the net change: who left and who joined, not who stayed", async () => {
    const [a, b, c] = [await createUser(), await createUser(), await createUser()];
    const id = await createGroup("Net", [a!, b!]);
    const events = await roster.eventsOf(async () => {
      const put = await roster.acme.scim(`/Groups/${id}`, { method: "PUT", body: groupBody("Net", [b!, c!]) });
      expect(put.status).toBe(200);
    });
    const group = await roster.appGroup(id);
    expect(events.map((event) => [event.type, "members" in event.data ? event.data.members.map((member) => member.id) : []])).toEqual([
      ["group.member_removed", [a]],
      ["group.member_added", [c]],
    ]);
    for (const event of events) expect(event.data).toMatchObject({ group });
  });

  it("reports nothing about members a PATCH adds and removes again; the group's new version is a group.updated", async () => {
    const a = await createUser();
    const id = await createGroup("Back and forth");
    const before = await roster.appGroup(id);
    const events = await roster.eventsOf(() =>
      patchGroup(id, [
        { op: "add", path: "members", value: [{ value: a }] },
        { op: "remove", path: `members[value eq "${a}"]` },
      ]),
    );
    const group = await roster.appGroup(id);
    expect(events).toEqual([anEvent("group.updated", { type: "Group", id }, { group, previous: { updatedAt: before.updatedAt } })]);
  });

  it("records group.deleted with the last snapshot and no member events", async () => {
    const a = await createUser();
    const id = await createGroup("Doomed", [a]);
    const last = await roster.appGroup(id);
    const events = await roster.eventsOf(async () => {
      expect((await roster.acme.scim(`/Groups/${id}`, { method: "DELETE" })).status).toBe(204);
    });
    expect(events).toEqual([anEvent("group.deleted", { type: "Group", id }, { group: last })]);
  });

  it("names a nested group member with its type and displayName", async () => {
    const inner = await createGroup("Inner");
    const outer = await createGroup("Outer");
    const events = await roster.eventsOf(() => patchGroup(outer, [{ op: "add", path: "members", value: [{ value: inner, type: "Group" }] }]));
    expect(events).toEqual([
      anEvent("group.member_added", { type: "Group", id: outer }, { group: await roster.appGroup(outer), members: [{ id: inner, type: "Group", display: "Inner" }] }),
    ]);
  });
});
