import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { type ApiRoster, scimUser, startApiRoster } from "./support.js";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

const PROFILE = `
attributes:
  role:
    type: string
  user_type:
    namespace: enterprise
    type: string
    allowedValues: [admin, regular]
  auto_integrate_max_auth_limit:
    namespace: enterprise
    type: decimal
  badge:
    namespace: urn:example:roster:1.0:User
    type: integer
unmanagedUsers:
  visible: true
`;

let api: ApiRoster;

beforeAll(async () => {
  api = await startApiRoster();
  await setTenantProfile(api.roster.store, "acme", PROFILE, "acme.yaml");
});
afterAll(() => api.close());

function attributeNames(schemas: any, id: string): string[] {
  const schema = schemas.Resources.find((resource: any) => resource.id === id);
  return schema.attributes.map((attribute: any) => attribute.name);
}

describe("tenant profiles over SCIM", () => {
  it("lists the declared attributes in /Schemas under their namespace", async () => {
    const { status, body } = await api.acme.scim("/Schemas");
    expect(status).toBe(200);
    expect(attributeNames(body, "urn:ietf:params:scim:schemas:core:2.0:User")).toContain("role");
    expect(attributeNames(body, ENTERPRISE)).toEqual(expect.arrayContaining(["department", "user_type", "auto_integrate_max_auth_limit"]));
    expect(attributeNames(body, "urn:example:roster:1.0:User")).toEqual(["badge"]);
    const userType = body.Resources.find((r: any) => r.id === ENTERPRISE).attributes.find((a: any) => a.name === "user_type");
    expect(userType).toMatchObject({ type: "string", multiValued: false, canonicalValues: ["admin", "regular"] });
  });

  it("lists a custom schema URN among the User resource type's extensions", async () => {
    const { body } = await api.acme.scim("/ResourceTypes/User");
    expect(body.schemaExtensions).toEqual([
      { schema: ENTERPRISE, required: false },
      { schema: "urn:example:roster:1.0:User", required: false },
    ]);
  });

  it("stores and returns declared attributes of every namespace", async () => {
    const created = await api.acme.scim("/Users", {
      body: scimUser("mulder@fbi.example", {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, "urn:example:roster:1.0:User"],
        role: "Mechanic",
        [ENTERPRISE]: { user_type: "regular", auto_integrate_max_auth_limit: 1000 },
        "urn:example:roster:1.0:User": { badge: 7 },
      }),
    });
    expect(created.status).toBe(201);
    const fetched = await api.acme.scim(`/Users/${created.body.id}`);
    expect(fetched.body).toMatchObject({
      role: "Mechanic",
      [ENTERPRISE]: { user_type: "regular", auto_integrate_max_auth_limit: 1000 },
      "urn:example:roster:1.0:User": { badge: 7 },
    });
  });

  it.each(["$1,000", "1,000", "1000"])("returns 400 invalidValue when a decimal attribute is the string %s", async (value) => {
    const { status, body } = await api.acme.scim("/Users", {
      body: scimUser(`limit-${value.length}@fbi.example`, { [ENTERPRISE]: { auto_integrate_max_auth_limit: value } }),
    });
    expect(status).toBe(400);
    expect(body.scimType).toBe("invalidValue");
    expect(body.detail).toContain(`${ENTERPRISE}:auto_integrate_max_auth_limit`);
    expect(body.detail).toContain(JSON.stringify(value));
  });

  it("shows unmanaged users to the identity provider when the profile makes them visible", async () => {
    const created = await api.api("/users", { body: { userName: "local@fbi.example" } });
    expect(created.status).toBe(201);
    const listed = await api.acme.scim(`/Users?filter=${encodeURIComponent('userName eq "local@fbi.example"')}`);
    expect(listed.body.totalResults).toBe(1);
    expect(listed.body.Resources[0].id).toBe(created.body.id);
  });

  it("applies a profile changed in the database (as by roster tenants update in another process) from the next request", async () => {
    try {
      expect(attributeNames((await api.acme.scim("/Schemas")).body, ENTERPRISE)).toContain("user_type");
      // The server's cache is not told: it notices the version that comes with the token lookup.
      await setTenantProfile(api.roster.store, "acme", "attributes:\n  tenure:\n    namespace: enterprise\n    type: integer\n", "acme.yaml");
      const names = attributeNames((await api.acme.scim("/Schemas")).body, ENTERPRISE);
      expect(names).toContain("tenure");
      expect(names).not.toContain("user_type");
      const hidden = await api.acme.scim(`/Users?filter=${encodeURIComponent('userName eq "local@fbi.example"')}`);
      expect(hidden.body.totalResults).toBe(0);
    } finally {
      await setTenantProfile(api.roster.store, "acme", PROFILE, "acme.yaml");
    }
  });
});
