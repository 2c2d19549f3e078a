import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GuideTenant, guideTenant, type Okta, person } from "./okta.js";

// Fulcrum's "Okta SCIM Guide" (https://help.fulcrumapp.com/en/articles/6699469-okta-scim-guide),
// followed step by step against a tenant made from examples/profiles/fulcrum.yaml.
let fulcrum: GuideTenant;
let okta: Okta;
let ownerId: string;

beforeAll(async () => {
  fulcrum = await guideTenant("fulcrum");
  // "In Fulcrum": an Owner creates an API token; it is tied to that user.
  const owner = await fulcrum.api("/users", { body: { userName: "owner@fulcrum.example", displayName: "Org Owner" } });
  expect(owner.status).toBe(201);
  ownerId = owner.body.id;
  okta = await fulcrum.okta({ principalId: ownerId });
  expect((await fulcrum.api("/roles", { method: "PUT", body: ["Standard", "Manager"] })).status).toBe(200);
});
afterAll(() => fulcrum.close());

describe("Fulcrum guide", () => {
  it("configures the API integration with the owner's token", async () => {
    expect(await okta.testConnection()).toEqual([200, 200, 200, 200]);
  });

  it("Push Users and Map Roles: an assigned user becomes a managed member with the role of its role attribute", async () => {
    const created = await okta.assign(person("ann@fulcrum.example", "Ann", "Lee", { role: "Manager" }));
    expect(created.status).toBe(201);
    expect(created.body.role).toBe("Manager");
    expect((await fulcrum.api(`/users/${created.body.id}`)).body).toMatchObject({ managed: true, active: true, roles: ["Manager"], attributes: { role: "Manager" } });
    const wrong = await okta.assign(person("bad@fulcrum.example", "Bad", "Role", { role: "Admin" }));
    expect(wrong.status).toBe(400);
    expect(wrong.body.detail).toContain(`"Admin" names no entry of the application's roles`);
  });

  it("Push Membership Updates: email, given name and family name changes reach the member", async () => {
    const created = await okta.assign(person("bo@fulcrum.example", "Bo", "Ray", { role: "Standard" }));
    const updated = await okta.updateProfile(created.body.id, person("bo.ray@fulcrum.example", "Beau", "Ray", { role: "Standard" }));
    expect(updated.status).toBe(200);
    expect((await fulcrum.api(`/users/${created.body.id}`)).body).toMatchObject({ userName: "bo.ray@fulcrum.example", givenName: "Beau", emails: [{ value: "bo.ray@fulcrum.example" }] });
  });

  it("Push Groups: a managed group may share its name with an unmanaged one, and only Okta changes its members", async () => {
    const local = await fulcrum.api("/groups", { body: { displayName: "Field Crew" } });
    expect(local.status).toBe(201);
    const cy = await okta.assign(person("cy@fulcrum.example", "Cy", "Dunn", { role: "Standard" }));
    const pushed = await okta.pushGroup("Field Crew", [{ id: cy.body.id, userName: "cy@fulcrum.example" }]);
    expect(pushed).not.toBe(local.body.id);
    const groups = (await fulcrum.api("/groups")).body.data.filter((g: { displayName: string }) => g.displayName === "Field Crew");
    expect(groups.map((g: { managed: boolean }) => g.managed).sort()).toEqual([false, true]);
    const refused = await fulcrum.api(`/groups/${pushed}/members`, { body: { userId: ownerId } });
    expect(refused.status).toBe(409);
    expect(JSON.stringify(refused.body)).toContain("managed by the identity provider");
    // Okta does not see unmanaged users or groups.
    expect((await okta.send(`/Groups/${local.body.id}`)).status).toBe(404);
    expect((await okta.importUsers()).map((u) => u["userName"])).not.toContain("owner@fulcrum.example");
  });

  it("Deactivate Users: an unassigned user is removed from the organisation and stays auditable", async () => {
    const dee = await okta.assign(person("dee@fulcrum.example", "Dee", "Fox", { role: "Manager" }));
    const groupId = await okta.pushGroup("Inspectors", [{ id: dee.body.id, userName: "dee@fulcrum.example" }]);
    expect((await okta.unassign(dee.body.id)).status).toBe(200);
    expect((await fulcrum.api(`/users/${dee.body.id}`)).body).toMatchObject({ active: false, managed: true, roles: [], admin: false, groups: [], attributes: { role: "Manager" } });
    expect((await fulcrum.api(`/groups/${groupId}/members`)).body.data).toEqual([]);
  });

  it("Note: the token stops working when the user who generated it is deactivated", async () => {
    expect((await fulcrum.api(`/users/${ownerId}`, { method: "PATCH", body: { active: false } })).status).toBe(200);
    expect(await okta.testConnection()).toEqual([401, 401, 401, 401]);
  });
});
