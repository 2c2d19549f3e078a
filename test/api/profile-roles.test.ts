import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { type ApiRoster, scimUser, startApiRoster } from "./support.js";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

const PROFILE = `
attributes:
  role_name:
    namespace: enterprise
    type: string
  user_type:
    namespace: enterprise
    type: string
    allowedValues: [admin, regular]
  employee:
    namespace: enterprise
    type: boolean
roles:
  fromAttribute: role_name
  admin:
    attribute: user_type
    equals: admin
  fromGroups:
    mappings:
      Okta-Admins: Fluid Application Administrator
`;

let api: ApiRoster;

beforeAll(async () => {
  api = await startApiRoster();
  // Declared first: a mapping's target role must be one the application declared.
  await api.api("/roles", { method: "PUT", body: ["Mechanic", "Fluid User", "Fluid Application Administrator"] });
  await setTenantProfile(api.roster.store, "acme", PROFILE, "acme.yaml");
});
afterAll(() => api.close());

async function createUser(userName: string, enterprise: Record<string, unknown> = {}): Promise<string> {
  const created = await api.acme.scim("/Users", { body: scimUser(userName, { [ENTERPRISE]: enterprise }) });
  expect(created.status).toBe(201);
  return created.body.id;
}

async function appUser(id: string): Promise<any> {
  const seen = await api.api(`/users/${id}`);
  expect(seen.status).toBe(200);
  return seen.body;
}

async function pushGroup(displayName: string, members: string[]): Promise<string> {
  const created = await api.acme.scim("/Groups", {
    body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName, members: members.map((value) => ({ value })) },
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

describe("roles and attributes in the application's view", () => {
  it("takes the role from the role attribute and lists declared attributes by name", async () => {
    const id = await createUser("mech@acme.example", { role_name: "Mechanic", user_type: "regular", employee: true, department: "Ops" });
    expect(await appUser(id)).toMatchObject({
      roles: ["Mechanic"],
      admin: false,
      attributes: { role_name: "Mechanic", user_type: "regular", employee: true },
    });
  });

  it("makes a user with the admin value an administrator with no role", async () => {
    const id = await createUser("boss@acme.example", { role_name: "Mechanic", user_type: "admin" });
    expect(await appUser(id)).toMatchObject({ roles: [], admin: true, attributes: { user_type: "admin" } });
  });

  it("grants the role a pushed group's name matches and removes it when the user leaves the group", async () => {
    const id = await createUser("fluid@acme.example");
    const groupId = await pushGroup("Fluid User", [id]);
    await pushGroup("Fluid user", [id]);
    await pushGroup("Okta-Admins", [id]);
    expect((await appUser(id)).roles).toEqual(["Fluid Application Administrator", "Fluid User"]);
    const removed = await api.acme.scim(`/Groups/${groupId}`, {
      method: "PATCH",
      body: { schemas: [PATCH], Operations: [{ op: "remove", path: `members[value eq "${id}"]` }] },
    });
    expect(removed.status).toBe(204);
    expect((await appUser(id)).roles).toEqual(["Fluid Application Administrator"]);
  });

  it("grants no role through a group the application created, whatever its name (only the identity provider's groups grant roles)", async () => {
    const id = await createUser("own-groups@acme.example");
    for (const displayName of ["Fluid User", "Okta-Admins"]) {
      const created = await api.api("/groups", { method: "POST", body: { displayName } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect((await api.api(`/groups/${created.body.id}/members`, { method: "POST", body: { userId: id } })).status).toBe(204);
    }
    const user = await appUser(id);
    expect(user.groups.map((group: { displayName: string }) => group.displayName).sort()).toEqual(["Fluid User", "Okta-Admins"]);
    expect(user.roles).toEqual([]);
    const listed = await api.api(`/users?userName=own-groups@acme.example`);
    expect(listed.body.data).toEqual([expect.objectContaining({ id, roles: [] })]);
    // The identity provider's group of the same name does grant it.
    await pushGroup("Fluid User", [id]);
    expect((await appUser(id)).roles).toEqual(["Fluid User"]);
  });

  it("lists users with their derived roles", async () => {
    const id = await createUser("listed@acme.example", { role_name: "Mechanic" });
    const listed = await api.api(`/users?userName=listed@acme.example`);
    expect(listed.body.data).toEqual([expect.objectContaining({ id, roles: ["Mechanic"], admin: false })]);
  });
});
