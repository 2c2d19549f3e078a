import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { type ApiRoster, scimUser, startApiRoster } from "./support.js";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

const PROFILE = `
attributes:
  role_name:
    namespace: enterprise
    type: string
    references: roles
  user_type:
    namespace: enterprise
    type: string
    allowedValues: [admin, regular]
  auto_integrate_roles:
    namespace: enterprise
    type: string
    commaSeparated: true
    allowedValues: [client_admin, client_user_admin, client_view_ro, client_manual_ro_approval, no_access]
  vehicles_record_set:
    namespace: enterprise
    type: string
    references: record_sets
`;

let api: ApiRoster;
let serial = 0;

beforeAll(async () => {
  api = await startApiRoster();
  await setTenantProfile(api.roster.store, "acme", PROFILE, "acme.yaml");
  expect((await api.api("/roles", { method: "PUT", body: ["Mechanic", "Driver"] })).status).toBe(200);
  expect((await api.api("/lists/record_sets", { method: "PUT", body: ["North Yard"] })).status).toBe(200);
});
afterAll(() => api.close());

function create(enterprise: Record<string, unknown>) {
  serial += 1;
  return api.acme.scim("/Users", { body: scimUser(`user${serial}@fleet.example`, { [ENTERPRISE]: enterprise }) });
}

describe("profile rules on declared attributes", () => {
  it.each([
    [{ user_type: "admin" }],
    [{ user_type: "regular", role_name: "Mechanic" }],
    [{ auto_integrate_roles: "client_admin, client_view_ro, client_manual_ro_approval" }],
    [{ vehicles_record_set: "North Yard" }],
    [{ vehicles_record_set: "" }],
    [{ role_name: "   " }],
  ])("accepts %j", async (enterprise) => {
    const { status, body } = await create(enterprise);
    expect(status, JSON.stringify(body)).toBe(201);
  });

  it.each([
    [{ user_type: "superuser" }, `attribute "${ENTERPRISE}:user_type": "superuser" is not an allowed value; expected one of admin, regular`],
    [
      { auto_integrate_roles: "client_admin, root" },
      `attribute "${ENTERPRISE}:auto_integrate_roles": "root" is not an allowed value; expected one of client_admin, client_user_admin, client_view_ro, client_manual_ro_approval, no_access (several are separated by commas)`,
    ],
    [
      { role_name: "mechanic" },
      `attribute "${ENTERPRISE}:role_name": "mechanic" names no entry of the application's roles (known: Mechanic, Driver); names match exactly, and a blank value means full access`,
    ],
    [
      { vehicles_record_set: "South Yard" },
      `attribute "${ENTERPRISE}:vehicles_record_set": "South Yard" names no entry of the application's record_sets (known: North Yard); names match exactly, and a blank value means full access`,
    ],
  ])("returns 400 invalidValue for %j", async (enterprise, detail) => {
    const { status, body } = await create(enterprise);
    expect(status).toBe(400);
    expect(body).toMatchObject({ scimType: "invalidValue", detail });
  });

  it("checks the rules on PUT and on PATCH", async () => {
    const created = await create({ user_type: "regular" });
    const id = created.body.id;
    const put = await api.acme.scim(`/Users/${id}`, {
      method: "PUT",
      body: { ...scimUser(created.body.userName), [ENTERPRISE]: { user_type: "owner" } },
    });
    expect(put.status).toBe(400);
    expect(put.body.scimType).toBe("invalidValue");
    const patch = await api.acme.scim(`/Users/${id}`, {
      method: "PATCH",
      body: {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "replace", value: { [`${ENTERPRISE}:role_name`]: "Pilot" } }],
      },
    });
    expect(patch.status).toBe(400);
    expect(patch.body.detail).toContain('"Pilot" names no entry of the application\'s roles');
    const ok = await api.acme.scim(`/Users/${id}`, {
      method: "PATCH",
      body: {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        Operations: [{ op: "replace", path: `${ENTERPRISE}:role_name`, value: "Driver" }],
      },
    });
    expect(ok.status).toBe(200);
    expect(ok.body[ENTERPRISE]).toMatchObject({ user_type: "regular", role_name: "Driver" });
  });

  it("sees a list the application declares after the profile was loaded", async () => {
    expect((await create({ vehicles_record_set: "East Yard" })).status).toBe(400);
    await api.api("/lists/record_sets", { method: "PUT", body: ["North Yard", "East Yard"] });
    expect((await create({ vehicles_record_set: "East Yard" })).status).toBe(201);
  });
});

describe("userNameCollision", () => {
  async function unmanaged(userName: string): Promise<string> {
    const created = await api.api("/users", { body: { userName, displayName: "Local" } });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  it("creates a separate managed user by default", async () => {
    await setTenantProfile(api.roster.store, "acme", PROFILE, "acme.yaml");
    const id = await unmanaged("twin@fleet.example");
    const created = await api.acme.scim("/Users", { body: scimUser("twin@fleet.example") });
    expect(created.status).toBe(201);
    expect(created.body.id).not.toBe(id);
  });

  it("returns 409 uniqueness with userNameCollision: conflict", async () => {
    await setTenantProfile(api.roster.store, "acme", `${PROFILE}unmanagedUsers:\n  userNameCollision: conflict\n`, "acme.yaml");
    await unmanaged("clash@fleet.example");
    const created = await api.acme.scim("/Users", { body: scimUser("CLASH@fleet.example") });
    expect(created.status).toBe(409);
    expect(created.body.scimType).toBe("uniqueness");
    expect(created.body.detail).toContain("unmanaged");
  });

  it("makes the unmanaged user managed, keeping its id and groups, with userNameCollision: link", async () => {
    await setTenantProfile(api.roster.store, "acme", `${PROFILE}unmanagedUsers:\n  userNameCollision: link\n`, "acme.yaml");
    const id = await unmanaged("link@fleet.example");
    const group = await api.api("/groups", { body: { displayName: "Local crew" } });
    expect((await api.api(`/groups/${group.body.id}/members`, { body: { userId: id } })).status).toBeLessThan(300);
    const created = await api.acme.scim("/Users", { body: scimUser("link@fleet.example", { displayName: "From Okta" }) });
    expect(created.status).toBe(201);
    expect(created.body.id).toBe(id);
    expect(created.headers.get("location")).toMatch(new RegExp(`/Users/${id}$`));
    const seen = await api.api(`/users/${id}`);
    expect(seen.body).toMatchObject({ managed: true, displayName: "From Okta", groups: [{ id: group.body.id, displayName: "Local crew" }] });
    const changed = await api.api(`/users/${id}`, { method: "PATCH", body: { displayName: "App" } });
    expect(changed.status).toBe(409);
  });
});
