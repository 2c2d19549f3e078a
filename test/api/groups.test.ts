import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ApiRoster, scimUser, startApiRoster } from "./support.js";

let t: ApiRoster;
beforeEach(async () => {
  t = await startApiRoster();
});
afterEach(() => t.close());

const SCIM_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";

describe("management API: groups and members", () => {
  it("creates an unmanaged group sharing a managed group's name, invisible to SCIM", async () => {
    const managed = await t.acme.scim("/Groups", { body: { schemas: [SCIM_GROUP], displayName: "Engineering" } });
    const created = await t.api("/groups", { body: { displayName: "Engineering" } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      displayName: "Engineering",
      externalId: null,
      managed: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect((await t.acme.scim(`/Groups/${created.body.id}`)).status).toBe(404);
    expect((await t.acme.scim("/Groups")).body.Resources.map((g: { id: string }) => g.id)).toEqual([managed.body.id]);
    const listed = await t.api("/groups?displayName=engineering");
    expect(listed.body.data.map((g: { managed: boolean }) => g.managed).sort()).toEqual([false, true]);
    expect((await t.api("/groups?managed=false")).body.data).toEqual([created.body]);
  });

  it("adds and removes members of an unmanaged group, managed users included, and pages them", async () => {
    const group = await t.api("/groups", { body: { displayName: "Crew" } });
    const idp = await t.acme.scim("/Users", { body: scimUser("dana@example.com") });
    const ids = [idp.body.id as string];
    for (const n of [1, 2]) ids.push((await t.api("/users", { body: { userName: `local${n}`, displayName: `Local ${n}` } })).body.id);
    for (const id of ids) expect((await t.api(`/groups/${group.body.id}/members`, { body: { userId: id } })).status).toBe(204);
    expect((await t.api(`/groups/${group.body.id}/members`, { body: { userId: ids[1] } })).status).toBe(204);

    const first = await t.api(`/groups/${group.body.id}/members?limit=2`);
    const second = await t.api(`/groups/${group.body.id}/members?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.nextCursor).toBeNull();
    const members = [...first.body.data, ...second.body.data];
    expect(members.map((m: { id: string }) => m.id)).toEqual([...ids].sort());
    expect(members).toContainEqual({ id: ids[1], type: "User", display: "Local 1" });

    expect((await t.api(`/users/${ids[0]}`)).body.groups).toEqual([{ id: group.body.id, displayName: "Crew" }]);
    // The identity provider does not see the application's group in its user's groups.
    expect((await t.acme.scim(`/Users/${ids[0]}`)).body.groups).toBeUndefined();

    expect((await t.api(`/groups/${group.body.id}/members/${ids[1]}`, { method: "DELETE" })).status).toBe(204);
    const again = await t.api(`/groups/${group.body.id}/members/${ids[1]}`, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("notFound");
  });

  it("refuses member changes, renames and deletion of a managed group with a message naming the identity provider", async () => {
    const user = await t.api("/users", { body: { userName: "local" } });
    const managed = await t.acme.scim("/Groups", { body: { schemas: [SCIM_GROUP], displayName: "Pushed" } });
    const attempts = [
      t.api(`/groups/${managed.body.id}/members`, { body: { userId: user.body.id } }),
      t.api(`/groups/${managed.body.id}/members/${user.body.id}`, { method: "DELETE" }),
      t.api(`/groups/${managed.body.id}`, { method: "PATCH", body: { displayName: "Renamed" } }),
      t.api(`/groups/${managed.body.id}`, { method: "DELETE" }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(409);
      expect(response.body.error).toEqual({ code: "managedByIdentityProvider", message: expect.stringContaining("managed by the identity provider") });
    }
    expect((await t.acme.scim(`/Groups/${managed.body.id}`)).body.displayName).toBe("Pushed");
  });

  it("answers 400 for a member that is not a user of the tenant", async () => {
    const group = await t.api("/groups", { body: { displayName: "Crew" } });
    const response = await t.api(`/groups/${group.body.id}/members`, { body: { userId: "nobody" } });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("nobody");
  });

  it("renames and deletes an unmanaged group", async () => {
    const group = await t.api("/groups", { body: { displayName: "Crew" } });
    const renamed = await t.api(`/groups/${group.body.id}`, { method: "PATCH", body: { displayName: "Pit crew", externalId: "ext-1" } });
    expect(renamed.body).toMatchObject({ displayName: "Pit crew", externalId: "ext-1", managed: false });
    expect((await t.api(`/groups/${group.body.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await t.api(`/groups/${group.body.id}`)).status).toBe(404);
  });

  it("answers SCIM 400 when SCIM names an unmanaged user as a member", async () => {
    const local = await t.api("/users", { body: { userName: "local" } });
    const response = await t.acme.scim("/Groups", { body: { schemas: [SCIM_GROUP], displayName: "Pushed", members: [{ value: local.body.id }] } });
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe("invalidValue");
  });
});

describe("management API: roles and lists", () => {
  it("answers [] for roles until declared, then the declared roles", async () => {
    expect((await t.api("/roles")).body).toEqual([]);
    const put = await t.api("/roles", { method: "PUT", body: ["Mechanic", "Driver"] });
    expect(put).toMatchObject({ status: 200, body: ["Mechanic", "Driver"] });
    expect((await t.api("/roles")).body).toEqual(["Mechanic", "Driver"]);
    expect((await t.api("/lists/roles")).body).toEqual(["Mechanic", "Driver"]);
  });

  it("declares, replaces and reads a named list; an undeclared list is 404", async () => {
    expect((await t.api("/lists/record_sets")).status).toBe(404);
    await t.api("/lists/record_sets", { method: "PUT", body: ["North", "South"] });
    await t.api("/lists/record_sets", { method: "PUT", body: ["East"] });
    expect((await t.api("/lists/record_sets")).body).toEqual(["East"]);
  });

  it.each([
    ["/lists/Bad-Name", ["a"], "list name"],
    ["/lists/record_sets", { a: 1 }, "JSON array"],
    ["/lists/record_sets", ["a", "a"], "twice"],
    ["/roles", ["ok", ""], "roles[1]"],
  ])("answers 400 for PUT %s %j", async (path, body, mentions) => {
    const response = await t.api(path, { method: "PUT", body });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain(mentions);
  });
});
