import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scimUser } from "../api/support.js";
import { anEvent, BULK_REQUEST, type EventsRoster, groupBody, PATCH_OP, startEventsRoster } from "./support.js";

let roster: EventsRoster;
beforeAll(async () => {
  roster = await startEventsRoster();
});
afterAll(() => roster.close());

async function createUser(userName: string): Promise<string> {
  const created = await roster.acme.scim("/Users", { body: scimUser(userName) });
  expect(created.status).toBe(201);
  return created.body.id;
}

describe("a request that fails leaves no event", () => {
  it("records nothing for a PATCH whose second operation is invalid, and changes nothing", async () => {
    const id = await createUser("half@acme.example");
    const before = await roster.appUser(id);
    const events = await roster.eventsOf(async () => {
      const patch = await roster.acme.scim(`/Users/${id}`, {
        method: "PATCH",
        body: {
          schemas: [PATCH_OP],
          Operations: [
            { op: "replace", path: "displayName", value: "Changed" },
            { op: "replace", path: "active", value: "not a boolean" },
          ],
        },
      });
      expect(patch.status).toBe(400);
    });
    expect(events).toEqual([]);
    expect(await roster.appUser(id)).toEqual(before);
  });

  it("records nothing for a group PATCH that adds a member, then names one that does not exist", async () => {
    const member = await createUser("half-member@acme.example");
    const group = await roster.acme.scim("/Groups", { body: groupBody("Half") });
    expect(group.status).toBe(201);
    const events = await roster.eventsOf(async () => {
      const patch = await roster.acme.scim(`/Groups/${group.body.id}`, {
        method: "PATCH",
        body: {
          schemas: [PATCH_OP],
          Operations: [
            { op: "add", path: "members", value: [{ value: member }] },
            { op: "add", path: "members", value: [{ value: "no-such-user" }] },
          ],
        },
      });
      expect(patch.status).toBe(400);
    });
    expect(events).toEqual([]);
  });

  it("records nothing for a group PUT that renamed the group, then named an unknown member (rolled back after the write)", async () => {
    const group = await roster.acme.scim("/Groups", { body: groupBody("Before PUT") });
    expect(group.status).toBe(201);
    const before = await roster.appGroup(group.body.id);
    const events = await roster.eventsOf(async () => {
      const put = await roster.acme.scim(`/Groups/${group.body.id}`, { method: "PUT", body: groupBody("After PUT", ["no-such-user"]) });
      expect(put.status).toBe(400);
    });
    expect(events).toEqual([]);
    expect(await roster.appGroup(group.body.id)).toEqual(before);
  });

  it("records nothing for a 409 uniqueness over SCIM or the management API", async () => {
    await createUser("taken@acme.example");
    expect((await roster.api("/users", { body: { userName: "app-taken@acme.example" } })).status).toBe(201);
    const events = await roster.eventsOf(async () => {
      const scim = await roster.acme.scim("/Users", { body: scimUser("TAKEN@acme.example") });
      expect(scim.status).toBe(409);
      const app = await roster.api("/users", { body: { userName: "APP-TAKEN@acme.example" } });
      expect(app.status).toBe(409);
    });
    expect(events).toEqual([]);
  });

  it("gives each Bulk operation its own events and a failed operation none", async () => {
    const existing = await createUser("bulk-existing@acme.example");
    let answer: any;
    const events = await roster.eventsOf(async () => {
      const bulk = await roster.acme.scim("/Bulk", {
        body: {
          schemas: [BULK_REQUEST],
          Operations: [
            { method: "POST", path: "/Users", bulkId: "new", data: scimUser("bulk-new@acme.example") },
            { method: "POST", path: "/Users", bulkId: "dup", data: scimUser("bulk-existing@acme.example") },
            { method: "POST", path: "/Groups", bulkId: "team", data: groupBody("Bulk team", ["bulkId:new", existing]) },
            { method: "PATCH", path: `/Users/${existing}`, data: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "Bulky" }] } },
            { method: "DELETE", path: "/Users/bulkId:new" },
          ],
        },
      });
      expect(bulk.status).toBe(200);
      answer = bulk.body;
    });
    expect(answer.Operations.map((op: { status: string }) => op.status)).toEqual(["201", "409", "201", "200", "204"]);
    const created = answer.Operations[0].location.split("/").pop() as string;
    const team = answer.Operations[2].location.split("/").pop() as string;
    expect(events.map((event) => [event.type, event.resource.id])).toEqual([
      ["user.created", created],
      ["group.created", team],
      ["group.member_added", team],
      ["user.updated", existing],
      ["user.deleted", created],
    ]);
    expect(events[2]).toEqual(
      anEvent("group.member_added", { type: "Group", id: team }, {
        group: await roster.appGroup(team),
        members: [
          { id: created, type: "User", display: "bulk-new@acme.example" },
          { id: existing, type: "User", display: "bulk-existing@acme.example" },
        ],
      }),
    );
    expect(events[4]!.data).toMatchObject({ user: { id: created, groups: [{ id: team, displayName: "Bulk team" }] } });
    // Each operation commits on its own: every event has a sequence of its own, in operation order.
    const sequences = events.map((event) => event.sequence);
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
  });
});
