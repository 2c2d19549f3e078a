import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { type ApiRoster, scimUser, startApiRoster } from "./support.js";

const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const roles = (mode: string) => `
attributes:
  role:
    type: string
roles:
  fromAttribute: role
deprovisioning: ${mode}
`;

let api: ApiRoster;
let serial = 0;

beforeAll(async () => {
  api = await startApiRoster();
});
afterAll(() => api.close());

/** Okta's assignment, group push, then unassignment (PATCH active false). */
async function provisionThenUnassign(): Promise<{ id: string; groupId: string }> {
  serial += 1;
  const created = await api.acme.scim("/Users", { body: scimUser(`u${serial}@acme.example`, { role: "Surveyor" }) });
  expect(created.status).toBe(201);
  const id = created.body.id;
  const group = await api.acme.scim("/Groups", {
    body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: `Field ${serial}`, members: [{ value: id }] },
  });
  expect(group.status).toBe(201);
  const unassigned = await api.acme.scim(`/Users/${id}`, {
    method: "PATCH",
    body: { schemas: [PATCH], Operations: [{ op: "replace", value: { active: false } }] },
  });
  expect(unassigned.status).toBe(200);
  return { id, groupId: group.body.id };
}

describe("deprovisioning", () => {
  it("deactivate keeps the user, its groups, attributes and roles readable for audit", async () => {
    await setTenantProfile(api.roster.store, "acme", roles("deactivate"), "acme.yaml");
    const { id, groupId } = await provisionThenUnassign();
    expect((await api.api(`/users/${id}`)).body).toMatchObject({
      active: false,
      managed: true,
      roles: ["Surveyor"],
      attributes: { role: "Surveyor" },
      groups: [{ id: groupId }],
    });
  });

  it("removeFromOrganisation keeps the record but drops its groups and rights", async () => {
    await setTenantProfile(api.roster.store, "acme", roles("removeFromOrganisation"), "acme.yaml");
    const { id, groupId } = await provisionThenUnassign();
    expect((await api.api(`/users/${id}`)).body).toMatchObject({
      active: false,
      managed: true,
      roles: [],
      admin: false,
      attributes: { role: "Surveyor" },
      groups: [],
    });
    expect((await api.api(`/groups/${groupId}/members`)).body.data).toEqual([]);
    expect((await api.api(`/users?active=false&userName=u${serial}@acme.example`)).body.data).toHaveLength(1);
  });

  it("removeFromOrganisation gives the rights back when the IdP reactivates the user, without the old groups", async () => {
    const { id } = await provisionThenUnassign();
    const reactivated = await api.acme.scim(`/Users/${id}`, {
      method: "PATCH",
      body: { schemas: [PATCH], Operations: [{ op: "replace", path: "active", value: true }] },
    });
    expect(reactivated.status).toBe(200);
    expect((await api.api(`/users/${id}`)).body).toMatchObject({ active: true, roles: ["Surveyor"], groups: [] });
  });
});
