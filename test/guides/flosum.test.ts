import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GuideTenant, guideTenant, type Okta, person } from "./okta.js";

// Flosum's "Okta - SCIM - Configuration" (https://docs.flosum.com/global-settings/security/identity-providers-sso/scim-configurations/okta-scim-configuration),
// followed step by step against a tenant made from examples/profiles/flosum.yaml.
let flosum: GuideTenant;
let okta: Okta;

beforeAll(async () => {
  flosum = await guideTenant("flosum");
  okta = await flosum.okta();
});
afterAll(() => flosum.close());

describe("Flosum guide", () => {
  it("Test API Credentials succeeds", async () => {
    expect(await okta.testConnection()).toEqual([200, 200, 200, 200]);
  });

  it("Assignments: the username is the email address and a blank time zone defaults to Etc/UTC", async () => {
    const created = await okta.assign(person("ann@flosum.example", "Ann", "Lee", { timezone: "" }));
    expect(created.status).toBe(201);
    expect(created.body.timezone).toBe("Etc/UTC");
    const other = await okta.assign(person("bo@flosum.example", "Bo", "Ray", { timezone: "America/Los_Angeles" }));
    expect((await flosum.api(`/users/${created.body.id}`)).body).toMatchObject({ userName: "ann@flosum.example", givenName: "Ann", timezone: "Etc/UTC" });
    expect((await flosum.api(`/users/${other.body.id}`)).body.timezone).toBe("America/Los_Angeles");
  });

  it.each([
    [person("ann.lee", "Ann", "Lee", { emails: [{ primary: true, value: "ann.lee@flosum.example" }] }), '"ann.lee" is not an email address'],
    [person("cy@flosum.example", "Cy", "Dunn", { timezone: "Pacific Standard Time" }), '"Pacific Standard Time" is not an IANA time zone'],
  ])("refuses %j with 400 invalidValue", async (user, detail) => {
    const created = await okta.assign(user);
    expect(created.status).toBe(400);
    expect(created.body.scimType).toBe("invalidValue");
    expect(created.body.detail).toContain(detail);
  });

  it("Mappings: Sync Password is not used; a password sent anyway is never stored", async () => {
    const created = await okta.assign(person("dee@flosum.example", "Dee", "Fox", { password: "Okta-Generated-Pa55word!" }));
    expect(created.status).toBe(201);
    expect(JSON.stringify((await okta.send(`/Users/${created.body.id}`)).body)).not.toContain("Pa55word");
  });

  it("Importing Users: users added directly in Flosum are listed to Okta's import", async () => {
    const local = await flosum.api("/users", { body: { userName: "eve@flosum.example", givenName: "Eve", familyName: "Moss", emails: [{ value: "eve@flosum.example", primary: true }] } });
    expect(local.status).toBe(201);
    const imported = await okta.importUsers();
    expect(imported).toEqual(expect.arrayContaining([expect.objectContaining({ id: local.body.id, userName: "eve@flosum.example" })]));
    expect(imported.map((user) => user["userName"])).toEqual(expect.arrayContaining(["ann@flosum.example", "bo@flosum.example", "eve@flosum.example"]));
  });

  it("Deactivate Users: an unassigned user is inactive", async () => {
    const created = await okta.assign(person("fay@flosum.example", "Fay", "Ng"));
    expect((await okta.unassign(created.body.id)).status).toBe(200);
    expect((await flosum.api(`/users/${created.body.id}`)).body).toMatchObject({ active: false, timezone: "Etc/UTC" });
  });
});
