import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENTERPRISE, type GuideTenant, guideTenant, type Okta, person } from "./okta.js";

// Fleetio's "SCIM Setup for Okta" (https://help.fleetio.com/en_US/scim-setup-for-okta),
// followed step by step against a tenant made from examples/profiles/fleetio.yaml.
let fleetio: GuideTenant;
let okta: Okta;

beforeAll(async () => {
  fleetio = await guideTenant("fleetio");
  okta = await fleetio.okta();
  // "the role must already exist in Fleetio"; record sets are account settings.
  expect((await fleetio.api("/roles", { method: "PUT", body: ["Mechanic", "Driver"] })).status).toBe(200);
  expect((await fleetio.api("/lists/record_sets", { method: "PUT", body: ["North Yard", "All Parts"] })).status).toBe(200);
});
afterAll(() => fleetio.close());

describe("Fleetio guide", () => {
  it("step 2: Okta's connector test succeeds", async () => {
    expect(await okta.testConnection()).toEqual([200, 200, 200, 200]);
  });

  it("step 4: the profile editor finds role_name, user_type and the other attributes in the enterprise extension", async () => {
    const schema = (await okta.send(`/Schemas/${ENTERPRISE}`)).body;
    const names = schema.attributes.map((attribute: { name: string }) => attribute.name);
    expect(names).toEqual(expect.arrayContaining(["role_name", "user_type", "employee", "vehicles_record_set", "auto_integrate_roles", "auto_integrate_max_auth_limit"]));
  });

  it("assigns a regular user with a role, record set and shop network attributes, as the application sees it", async () => {
    const created = await okta.assign(
      person("jane.doe@example.com", "Jane", "Doe", {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        [ENTERPRISE]: {
          role_name: "Mechanic",
          user_type: "regular",
          employee: true,
          operator: false,
          technician: true,
          vehicles_record_set: "North Yard",
          parts_record_set: "",
          auto_integrate_roles: "client_admin, client_view_ro, client_manual_ro_approval",
          auto_integrate_max_auth_limit: 1000,
        },
      }),
    );
    expect(created.status).toBe(201);
    const seen = (await fleetio.api(`/users?email=JANE.DOE@example.com`)).body.data;
    expect(seen).toEqual([
      expect.objectContaining({
        userName: "jane.doe@example.com",
        roles: ["Mechanic"],
        admin: false,
        attributes: expect.objectContaining({ role_name: "Mechanic", vehicles_record_set: "North Yard", auto_integrate_max_auth_limit: 1000, technician: true }),
      }),
    ]);
  });

  it("assigns an administrator with a blank role: admin and no role", async () => {
    const created = await okta.assign(person("boss@example.com", "Big", "Boss", { [ENTERPRISE]: { role_name: "", user_type: "admin" } }));
    expect(created.status).toBe(201);
    expect((await fleetio.api(`/users/${created.body.id}`)).body).toMatchObject({ admin: true, roles: [] });
  });

  it.each([
    ["a role that does not exist in the application", { role_name: "Pilot" }, `"${ENTERPRISE}:role_name": "Pilot" names no entry of the application's roles`],
    ["a record set that does not exist", { vehicles_record_set: "South Yard" }, `"South Yard" names no entry of the application's record_sets`],
    ["a user type outside [admin, regular]", { user_type: "owner" }, `"owner" is not an allowed value; expected one of admin, regular`],
    ["an unknown shop network role", { auto_integrate_roles: "client_admin, superuser" }, `"superuser" is not an allowed value`],
    ["a max auth limit of $1,000 as a string", { auto_integrate_max_auth_limit: "$1,000" }, `expected a number (decimal), not a string, got string "$1,000"`],
    ["a max auth limit of 1,000 as a string", { auto_integrate_max_auth_limit: "1,000" }, `expected a number (decimal), not a string, got string "1,000"`],
  ])("refuses %s with 400 invalidValue", async (_what, enterprise, detail) => {
    const created = await okta.assign(person(`x${Object.keys(enterprise)[0]}@example.com`, "X", "Y", { [ENTERPRISE]: enterprise }));
    expect(created.status).toBe(400);
    expect(created.body.scimType).toBe("invalidValue");
    expect(created.body.detail).toContain(detail);
  });

  it("refuses a user whose email address does not match the domain", async () => {
    const created = await okta.assign(person("eve@elsewhere.example", "Eve", "Out"));
    expect(created.status).toBe(400);
    expect(created.body.detail).toContain("is not in an allowed email domain of this tenant (example.com)");
  });

  it("pushes a group with its members, updates a role, and deactivates on unassignment", async () => {
    const user = await okta.assign(person("ray@example.com", "Ray", "Lee", { [ENTERPRISE]: { role_name: "Driver", user_type: "regular" } }));
    const groupId = await okta.pushGroup("Night shift", [{ id: user.body.id, userName: "ray@example.com" }]);
    const updated = await okta.updateProfile(user.body.id, person("ray@example.com", "Ray", "Lee", { [ENTERPRISE]: { role_name: "Mechanic", user_type: "regular" } }));
    expect(updated.status).toBe(200);
    expect((await fleetio.api(`/users/${user.body.id}`)).body).toMatchObject({ roles: ["Mechanic"], groups: [{ id: groupId, displayName: "Night shift" }] });
    expect((await okta.unassign(user.body.id)).status).toBe(200);
    expect((await fleetio.api(`/users/${user.body.id}`)).body).toMatchObject({ active: false, roles: ["Mechanic"] });
  });
});
