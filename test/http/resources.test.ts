import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

let roster: TestRoster;
let counter = 0;

beforeAll(async () => {
  roster = await startTestRoster();
});
afterAll(async () => {
  await roster.close();
});

async function tenant(): Promise<TestTenant> {
  counter += 1;
  return roster.addTenant(`resources-${counter}`);
}

async function createUser(t: TestTenant, userName: string, extra: Record<string, unknown> = {}): Promise<any> {
  const response = await t.scim("/Users", { body: { schemas: [USER], userName, ...extra } });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

async function createGroup(t: TestTenant, displayName: string, memberIds: readonly string[] = []): Promise<any> {
  const response = await t.scim("/Groups", {
    body: { schemas: [GROUP], displayName, ...(memberIds.length === 0 ? {} : { members: memberIds.map((value) => ({ value })) }) },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

function patch(operations: readonly unknown[]) {
  return { schemas: [PATCH_OP], Operations: operations };
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe("Users: create, read, replace, delete", () => {
  it("assigns time-ordered ids (UUIDv7): a user or group created later has a larger id, and unsorted pages list them in creation order", async () => {
    const t = await tenant();
    const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await createUser(t, `ordered${i}@example.com`)).id as string);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const group = await createGroup(t, "ordered group");
    for (const id of [...ids, group.id as string]) expect(id).toMatch(UUID_V7);
    expect([...ids].sort()).toEqual(ids);
    expect((group.id as string) > ids[2]!).toBe(true);
    const listed = await t.scim("/Users?startIndex=1&count=10");
    expect((listed.body.Resources as { id: string }[]).map((user) => user.id)).toEqual(ids);
  });

  it("creates a user with Location, ETag, meta and without the password", async () => {
    const t = await tenant();
    const response = await t.scim("/Users", {
      body: {
        schemas: [USER],
        userName: "bjensen@example.com",
        externalId: "00u1",
        name: { givenName: "Barbara", familyName: "Jensen" },
        emails: [{ value: "bjensen@example.com", type: "work", primary: true }],
        active: true,
        password: "t1meMa$heen",
      },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    const id = response.body.id as string;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.get("location")).toBe(`${t.baseUrl}/Users/${id}`);
    expect(response.headers.get("etag")).toBe('W/"1"');
    expect(response.body).toEqual({
      schemas: [USER],
      id,
      externalId: "00u1",
      userName: "bjensen@example.com",
      name: { givenName: "Barbara", familyName: "Jensen" },
      emails: [{ value: "bjensen@example.com", type: "work", primary: true }],
      active: true,
      meta: {
        resourceType: "User",
        created: expect.stringMatching(ISO),
        lastModified: expect.stringMatching(ISO),
        location: `${t.baseUrl}/Users/${id}`,
        version: 'W/"1"',
      },
    });
    expect(JSON.stringify(response.body)).not.toContain("t1meMa$heen");
    const read = await t.scim(`/Users/${id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get("etag")).toBe('W/"1"');
    expect(read.body).toEqual(response.body);
  });

  it("ignores readOnly attributes sent on create (id, meta)", async () => {
    const t = await tenant();
    const user = await createUser(t, "ro@example.com", { id: "chosen-by-client", meta: { created: "2000-01-01T00:00:00Z" } });
    expect(user.id).not.toBe("chosen-by-client");
    expect(user.meta.created).not.toBe("2000-01-01T00:00:00Z");
  });

  it("replaces a user with PUT: omitted writable attributes are cleared, readOnly ones ignored", async () => {
    const t = await tenant();
    const user = await createUser(t, "put@example.com", {
      displayName: "Before",
      nickName: "nick",
      title: "Engineer",
      emails: [{ value: "put@example.com", type: "work" }],
    });
    const response = await t.scim(`/Users/${user.id}`, {
      method: "PUT",
      body: { schemas: [USER], id: "ignored", userName: "put@example.com", displayName: "After", meta: { version: 'W/"99"' } },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("etag")).toBe('W/"2"');
    expect(response.body).toEqual({
      schemas: [USER],
      id: user.id,
      userName: "put@example.com",
      displayName: "After",
      meta: { ...user.meta, lastModified: expect.stringMatching(ISO), version: 'W/"2"' },
    });
    expect((await t.scim(`/Users/${user.id}`)).body).toEqual(response.body);
  });

  it("returns 404 for PUT of a missing user", async () => {
    const t = await tenant();
    const response = await t.scim("/Users/missing", { method: "PUT", body: { schemas: [USER], userName: "x" } });
    expect(response.status).toBe(404);
  });

  it("deletes a user: 204, then 404 on GET and on a second DELETE", async () => {
    const t = await tenant();
    const user = await createUser(t, "gone@example.com");
    const deleted = await t.scim(`/Users/${user.id}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeUndefined();
    expect((await t.scim(`/Users/${user.id}`)).status).toBe(404);
    expect((await t.scim(`/Users/${user.id}`, { method: "DELETE" })).status).toBe(404);
    expect((await t.scim("/Users")).body.totalResults).toBe(0);
  });

  it("keeps a deactivated user retrievable with active false", async () => {
    const t = await tenant();
    const user = await createUser(t, "deact@example.com", { active: true });
    const response = await t.scim(`/Users/${user.id}`, { method: "PATCH", body: patch([{ op: "replace", value: { active: false } }]) });
    expect(response.status).toBe(200);
    expect(response.body.active).toBe(false);
    expect((await t.scim(`/Users/${user.id}`)).body.active).toBe(false);
  });

  it("rejects a PATCH changing an immutable member sub-attribute with mutability", async () => {
    const t = await tenant();
    const user = await createUser(t, "imm@example.com");
    const group = await createGroup(t, "imm", [user.id]);
    const response = await t.scim(`/Groups/${group.id}`, {
      method: "PATCH",
      body: patch([{ op: "replace", path: `members[value eq "${user.id}"].value`, value: "other" }]),
    });
    expect(response.status).toBe(400);
    expect(["mutability", "invalidPath"]).toContain(response.body.scimType);
    const after = await t.scim(`/Groups/${group.id}`);
    expect(after.body.members).toEqual(group.members);
  });
});

describe("versions: ETag, If-Match, If-None-Match", () => {
  it.each(["PUT", "PATCH", "DELETE"])("applies %s when If-Match names the current version and answers 412 otherwise", async (method) => {
    const t = await tenant();
    const user = await createUser(t, `${method.toLowerCase()}@example.com`, { displayName: "v1" });
    const body =
      method === "PUT"
        ? { schemas: [USER], userName: user.userName, displayName: "v2" }
        : method === "PATCH"
          ? patch([{ op: "replace", path: "displayName", value: "v2" }])
          : undefined;
    const stale = await t.scim(`/Users/${user.id}`, { method, ...(body === undefined ? {} : { body }), headers: { "if-match": 'W/"7"' } });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ status: "412", detail: expect.stringContaining('W/"1"') });
    expect((await t.scim(`/Users/${user.id}`)).body).toEqual(user);
    const fresh = await t.scim(`/Users/${user.id}`, { method, ...(body === undefined ? {} : { body }), headers: { "if-match": 'W/"1"' } });
    expect(fresh.status).toBe(method === "DELETE" ? 204 : 200);
    if (method !== "DELETE") {
      expect(fresh.headers.get("etag")).toBe('W/"2"');
      expect(fresh.body.displayName).toBe("v2");
    }
  });

  it("accepts If-Match: * and a list of tags", async () => {
    const t = await tenant();
    const user = await createUser(t, "star@example.com");
    const star = await t.scim(`/Users/${user.id}`, {
      method: "PATCH",
      body: patch([{ op: "replace", path: "nickName", value: "a" }]),
      headers: { "if-match": "*" },
    });
    expect(star.status).toBe(200);
    const list = await t.scim(`/Users/${user.id}`, {
      method: "PATCH",
      body: patch([{ op: "replace", path: "nickName", value: "b" }]),
      headers: { "if-match": 'W/"1", W/"2"' },
    });
    expect(list.status).toBe(200);
  });

  it("answers a GET with a matching If-None-Match with 304 and no body, and 200 once it changed", async () => {
    const t = await tenant();
    const user = await createUser(t, "cache@example.com");
    const cached = await t.scim(`/Users/${user.id}`, { headers: { "if-none-match": 'W/"1"' } });
    expect(cached.status).toBe(304);
    expect(cached.body).toBeUndefined();
    expect(cached.headers.get("etag")).toBe('W/"1"');
    await t.scim(`/Users/${user.id}`, { method: "PATCH", body: patch([{ op: "replace", path: "nickName", value: "n" }]) });
    const changed = await t.scim(`/Users/${user.id}`, { headers: { "if-none-match": 'W/"1"' } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).toBe('W/"2"');
  });

  it("answers a malformed If-Match with 400", async () => {
    const t = await tenant();
    const user = await createUser(t, "badtag@example.com");
    const response = await t.scim(`/Users/${user.id}`, { method: "DELETE", headers: { "if-match": "not a tag" } });
    expect(response.status).toBe(400);
    expect(response.body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
    expect((await t.scim(`/Users/${user.id}`)).status).toBe(200);
  });

  it("advances the version of a group on a membership change", async () => {
    const t = await tenant();
    const user = await createUser(t, "member@example.com");
    const group = await createGroup(t, "versioned");
    const response = await t.scim(`/Groups/${group.id}`, { method: "PATCH", body: patch([{ op: "add", path: "members", value: [{ value: user.id }] }]) });
    expect(response.status).toBe(204);
    expect(response.headers.get("etag")).toBe('W/"2"');
    expect((await t.scim(`/Groups/${group.id}`)).body.meta.version).toBe('W/"2"');
  });
});

describe("attributes and excludedAttributes", () => {
  const full = {
    userName: "proj@example.com",
    displayName: "Projected",
    name: { givenName: "Pro", familyName: "Jected" },
    emails: [{ value: "proj@example.com", type: "work" }],
    password: "secret-pass",
  };

  it("projects GET by id, always returning id and schemas and never password", async () => {
    const t = await tenant();
    const user = await createUser(t, full.userName, full);
    const only = await t.scim(`/Users/${user.id}?attributes=userName,name.givenName,password`);
    expect(only.body).toEqual({ schemas: [USER], id: user.id, userName: full.userName, name: { givenName: "Pro" } });
    const without = await t.scim(`/Users/${user.id}?excludedAttributes=emails,name,meta,id`);
    expect(without.body).toEqual({ schemas: [USER], id: user.id, userName: full.userName, displayName: "Projected" });
  });

  it("projects list responses", async () => {
    const t = await tenant();
    await createUser(t, full.userName, full);
    const list = await t.scim("/Users?attributes=displayName");
    expect(list.body.Resources).toEqual([{ schemas: [USER], id: expect.any(String), displayName: "Projected" }]);
    const searched = await t.scim("/Users/.search", { body: { excludedAttributes: ["emails", "meta", "name"] } });
    expect(searched.body.Resources).toEqual([{ schemas: [USER], id: expect.any(String), userName: full.userName, displayName: "Projected" }]);
  });

  it("projects POST, PUT and PATCH responses", async () => {
    const t = await tenant();
    const created = await t.scim("/Users?attributes=userName", { body: { schemas: [USER], ...full } });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ schemas: [USER], id: expect.any(String), userName: full.userName });
    const id = created.body.id as string;
    const replaced = await t.scim(`/Users/${id}?excludedAttributes=meta,emails,name`, {
      method: "PUT",
      body: { schemas: [USER], ...full, displayName: "Replaced" },
    });
    expect(replaced.body).toEqual({ schemas: [USER], id, userName: full.userName, displayName: "Replaced" });
    const patched = await t.scim(`/Users/${id}?attributes=displayName`, {
      method: "PATCH",
      body: patch([{ op: "replace", path: "displayName", value: "Patched" }]),
    });
    expect(patched.body).toEqual({ schemas: [USER], id, displayName: "Patched" });
  });

  it("answers an unknown attribute in attributes with 400 invalidValue", async () => {
    const t = await tenant();
    const user = await createUser(t, "unknownattr@example.com");
    const response = await t.scim(`/Users/${user.id}?attributes=shoeSize`);
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe("invalidValue");
    expect(response.body.detail).toContain("shoeSize");
  });
});

describe("enterprise extension", () => {
  it("round-trips enterprise attributes including manager.value", async () => {
    const t = await tenant();
    const manager = await createUser(t, "boss@example.com", { displayName: "The Boss" });
    const user = await createUser(t, "emp@example.com", {
      schemas: [USER, ENTERPRISE],
      [ENTERPRISE]: { employeeNumber: "701984", department: "Tour Operations", manager: { value: manager.id } },
    });
    expect(user.schemas).toEqual([USER, ENTERPRISE]);
    expect(user[ENTERPRISE]).toMatchObject({ employeeNumber: "701984", department: "Tour Operations", manager: { value: manager.id } });
    const read = await t.scim(`/Users/${user.id}`);
    expect(read.body[ENTERPRISE]).toEqual(user[ENTERPRISE]);
    const patched = await t.scim(`/Users/${user.id}`, {
      method: "PATCH",
      body: patch([
        { op: "replace", path: `${ENTERPRISE}:department`, value: "Sales" },
        { op: "replace", path: `${ENTERPRISE}:manager.value`, value: "someone-else" },
      ]),
    });
    expect(patched.status).toBe(200);
    expect(patched.body[ENTERPRISE]).toMatchObject({ department: "Sales", manager: { value: "someone-else" } });
    const filtered = await t.scim(`/Users?filter=${encodeURIComponent(`${ENTERPRISE}:department eq "Sales"`)}`);
    expect(filtered.body.totalResults).toBe(1);
    const projected = await t.scim(`/Users/${user.id}?attributes=${ENTERPRISE}:employeeNumber`);
    expect(projected.body).toEqual({ schemas: [USER, ENTERPRISE], id: user.id, [ENTERPRISE]: { employeeNumber: "701984" } });
  });

  it("drops the extension when a PUT omits it", async () => {
    const t = await tenant();
    const user = await createUser(t, "ext-put@example.com", { schemas: [USER, ENTERPRISE], [ENTERPRISE]: { department: "X" } });
    const replaced = await t.scim(`/Users/${user.id}`, { method: "PUT", body: { schemas: [USER], userName: "ext-put@example.com" } });
    expect(replaced.status).toBe(200);
    expect(replaced.body[ENTERPRISE]).toBeUndefined();
    expect(replaced.body.schemas).toEqual([USER]);
  });
});

describe("primary", () => {
  it("keeps one primary email when a PATCH marks another primary", async () => {
    const t = await tenant();
    const user = await createUser(t, "prim@example.com", {
      emails: [
        { value: "a@example.com", type: "work", primary: true },
        { value: "b@example.com", type: "home" },
      ],
    });
    const response = await t.scim(`/Users/${user.id}`, {
      method: "PATCH",
      body: patch([{ op: "replace", path: 'emails[value eq "b@example.com"].primary', value: true }]),
    });
    expect(response.status).toBe(200);
    const primaries = (response.body.emails as { value: string; primary?: boolean }[]).filter((email) => email.primary === true);
    expect(primaries.map((email) => email.value)).toEqual(["b@example.com"]);
  });

  it("rejects a create with two primary emails", async () => {
    const t = await tenant();
    const response = await t.scim("/Users", {
      body: {
        schemas: [USER],
        userName: "twoprim@example.com",
        emails: [
          { value: "a@example.com", primary: true },
          { value: "b@example.com", primary: true },
        ],
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.detail).toMatch(/primary/);
  });
});

describe("Groups and memberships", () => {
  it("creates a group with members, and users show the group in groups", async () => {
    const t = await tenant();
    const alice = await createUser(t, "alice@example.com");
    const bob = await createUser(t, "bob@example.com");
    const group = await createGroup(t, "Engineering", [alice.id, bob.id]);
    expect(group).toEqual({
      schemas: [GROUP],
      id: expect.any(String),
      displayName: "Engineering",
      members: expect.arrayContaining([
        { value: alice.id, $ref: `${t.baseUrl}/Users/${alice.id}`, display: "alice@example.com", type: "User" },
        { value: bob.id, $ref: `${t.baseUrl}/Users/${bob.id}`, display: "bob@example.com", type: "User" },
      ]),
      meta: {
        resourceType: "Group",
        created: expect.stringMatching(ISO),
        lastModified: expect.stringMatching(ISO),
        location: `${t.baseUrl}/Groups/${group.id}`,
        version: 'W/"1"',
      },
    });
    expect(group.members).toHaveLength(2);
    const aliceRead = await t.scim(`/Users/${alice.id}`);
    expect(aliceRead.body.groups).toEqual([{ value: group.id, $ref: `${t.baseUrl}/Groups/${group.id}`, display: "Engineering", type: "direct" }]);
  });

  it("adds, removes and replaces members with PATCH, answering 204", async () => {
    const t = await tenant();
    const [a, b, c] = [await createUser(t, "a@example.com"), await createUser(t, "b@example.com"), await createUser(t, "c@example.com")];
    const group = await createGroup(t, "Patched", [a.id]);
    const members = async () =>
      ((await t.scim(`/Groups/${group.id}`)).body.members ?? []).map((member: { value: string }) => member.value).sort();

    const added = await t.scim(`/Groups/${group.id}`, { method: "PATCH", body: patch([{ op: "add", path: "members", value: [{ value: b.id }, { value: c.id }] }]) });
    expect(added.status).toBe(204);
    expect(added.body).toBeUndefined();
    expect(await members()).toEqual([a.id, b.id, c.id].sort());

    const removed = await t.scim(`/Groups/${group.id}`, { method: "PATCH", body: patch([{ op: "remove", path: `members[value eq "${b.id}"]` }]) });
    expect(removed.status).toBe(204);
    expect(await members()).toEqual([a.id, c.id].sort());

    const replaced = await t.scim(`/Groups/${group.id}`, { method: "PATCH", body: patch([{ op: "replace", path: "members", value: [{ value: b.id }] }]) });
    expect(replaced.status).toBe(204);
    expect(await members()).toEqual([b.id]);

    const renamed = await t.scim(`/Groups/${group.id}`, { method: "PATCH", body: patch([{ op: "replace", value: { id: group.id, displayName: "Renamed" } }]) });
    expect(renamed.status).toBe(204);
    const read = await t.scim(`/Groups/${group.id}`);
    expect(read.body.displayName).toBe("Renamed");
    expect((await t.scim(`/Users/${b.id}`)).body.groups).toEqual([expect.objectContaining({ value: group.id, display: "Renamed" })]);

    const cleared = await t.scim(`/Groups/${group.id}`, { method: "PATCH", body: patch([{ op: "remove", path: "members" }]) });
    expect(cleared.status).toBe(204);
    expect(await members()).toEqual([]);
  });

  it("answers a group PATCH with a projection with 200 and the projected group", async () => {
    const t = await tenant();
    const a = await createUser(t, "pa@example.com");
    const group = await createGroup(t, "Proj");
    const response = await t.scim(`/Groups/${group.id}?excludedAttributes=members`, {
      method: "PATCH",
      body: patch([{ op: "add", path: "members", value: [{ value: a.id }] }]),
    });
    expect(response.status).toBe(200);
    expect(response.body.members).toBeUndefined();
    expect(response.body.displayName).toBe("Proj");
  });

  it("omits members with excludedAttributes=members on GET and list", async () => {
    const t = await tenant();
    const a = await createUser(t, "ex@example.com");
    const group = await createGroup(t, "Excluded", [a.id]);
    const one = await t.scim(`/Groups/${group.id}?excludedAttributes=members`);
    expect(one.body).toEqual({ schemas: [GROUP], id: group.id, displayName: "Excluded", meta: group.meta });
    const list = await t.scim("/Groups?excludedAttributes=members");
    expect(list.body.Resources).toEqual([one.body]);
  });

  it("replaces members with PUT, and a PUT without members empties the group", async () => {
    const t = await tenant();
    const a = await createUser(t, "pua@example.com");
    const b = await createUser(t, "pub@example.com");
    const group = await createGroup(t, "PutGroup", [a.id]);
    const replaced = await t.scim(`/Groups/${group.id}`, { method: "PUT", body: { schemas: [GROUP], displayName: "PutGroup", members: [{ value: b.id }] } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.members.map((member: { value: string }) => member.value)).toEqual([b.id]);
    const emptied = await t.scim(`/Groups/${group.id}`, { method: "PUT", body: { schemas: [GROUP], displayName: "PutGroup" } });
    expect(emptied.status).toBe(200);
    expect(emptied.body.members).toBeUndefined();
    expect((await t.scim(`/Users/${b.id}`)).body.groups).toBeUndefined();
  });

  it.each([
    ["POST", "create"],
    ["PATCH", "add"],
    ["PUT", "replace"],
  ])("answers a member id that does not exist with 400 invalidValue on %s and changes nothing", async (method) => {
    const t = await tenant();
    const a = await createUser(t, "exists@example.com");
    const group = method === "POST" ? undefined : await createGroup(t, "Strict", [a.id]);
    const missing = "00000000-0000-0000-0000-000000000000";
    const response =
      method === "POST"
        ? await t.scim("/Groups", { body: { schemas: [GROUP], displayName: "Strict", members: [{ value: a.id }, { value: missing }] } })
        : method === "PATCH"
          ? await t.scim(`/Groups/${group.id}`, {
              method,
              body: patch([
                { op: "replace", path: "displayName", value: "Changed" },
                { op: "add", path: "members", value: [{ value: missing }] },
              ]),
            })
          : await t.scim(`/Groups/${group.id}`, { method, body: { schemas: [GROUP], displayName: "Changed", members: [{ value: missing }] } });
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe("invalidValue");
    expect(response.body.detail).toContain(missing);
    const groups = await t.scim("/Groups");
    if (group === undefined) {
      expect(groups.body.totalResults).toBe(0);
    } else {
      expect(groups.body.Resources).toEqual([group]);
    }
  });

  it("removes a deleted user from its groups", async () => {
    const t = await tenant();
    const a = await createUser(t, "del-a@example.com");
    const b = await createUser(t, "del-b@example.com");
    const group = await createGroup(t, "Survivors", [a.id, b.id]);
    expect((await t.scim(`/Users/${a.id}`, { method: "DELETE" })).status).toBe(204);
    const read = await t.scim(`/Groups/${group.id}`);
    expect(read.body.members.map((member: { value: string }) => member.value)).toEqual([b.id]);
    const filtered = await t.scim(`/Groups?filter=${encodeURIComponent(`members.value eq "${a.id}"`)}`);
    expect(filtered.body.totalResults).toBe(0);
  });

  it("lets a group be a member of another group, but not of itself", async () => {
    const t = await tenant();
    const inner = await createGroup(t, "Inner");
    const outer = await createGroup(t, "Outer", [inner.id]);
    expect(outer.members).toEqual([{ value: inner.id, $ref: `${t.baseUrl}/Groups/${inner.id}`, display: "Inner", type: "Group" }]);
    const self = await t.scim(`/Groups/${outer.id}`, { method: "PATCH", body: patch([{ op: "add", path: "members", value: [{ value: outer.id }] }]) });
    expect(self.status).toBe(400);
    expect(self.body.scimType).toBe("invalidValue");
  });

  it("deleting a group removes it from its users' groups", async () => {
    const t = await tenant();
    const a = await createUser(t, "gd@example.com");
    const group = await createGroup(t, "Doomed", [a.id]);
    expect((await t.scim(`/Groups/${group.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await t.scim(`/Users/${a.id}`)).body.groups).toBeUndefined();
  });
});
