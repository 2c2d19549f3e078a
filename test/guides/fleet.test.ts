import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GuideTenant, guideTenant, type Okta, person } from "./okta.js";

// Fleet's "Foreign vitals: map IdP users to hosts" (https://fleetdm.com/guides/foreign-vitals-map-idp-users-to-hosts),
// followed step by step against a tenant made from examples/profiles/fleet.yaml.
let fleet: GuideTenant;
let okta: Okta;

beforeAll(async () => {
  fleet = await guideTenant("fleet");
  // Step 14: an API-only user with maintainer permissions; its token goes into Okta.
  const apiOnly = await fleet.api("/users", { body: { userName: "scim-api-only", displayName: "Fleet SCIM (API only)" } });
  expect(apiOnly.status).toBe(201);
  okta = await fleet.okta({ principalId: apiOnly.body.id });
});
afterAll(() => fleet.close());

describe("Fleet guide", () => {
  it("step 15: Test Connector Configuration succeeds, and step 16: Fleet received the requests", async () => {
    expect(await okta.testConnection()).toEqual([200, 200, 200, 200]);
    await fleet.roster.server.flushRequestLog();
    const log = await fleet.roster.store.read(async (session) => session.listRequestLog((await session.findTenantBySlug("fleet"))?.id ?? "", 10));
    expect(log.map((entry) => entry.status)).toEqual([200, 200, 200, 200]);
  });

  it("assigns users and pushes groups so that a host's IdP email maps to a full name and groups", async () => {
    const ann = await okta.assign(person("ann@fleet.example", "Ann", "Lee"));
    const bob = await okta.assign(person("bob@fleet.example", "Bob", "Ray"));
    expect([ann.status, bob.status]).toEqual([201, 201]);
    const engineering = await okta.pushGroup("Engineering", [
      { id: ann.body.id, userName: "ann@fleet.example" },
      { id: bob.body.id, userName: "bob@fleet.example" },
    ]);
    const oncall = await okta.pushGroup("On-call", [{ id: ann.body.id, userName: "ann@fleet.example" }]);
    const host = (await fleet.api("/users?email=ANN@fleet.example")).body.data;
    expect(host).toHaveLength(1);
    expect(host[0]).toMatchObject({ userName: "ann@fleet.example", givenName: "Ann", familyName: "Lee", active: true, managed: true });
    expect(host[0].groups.map((g: { id: string; displayName: string }) => g.displayName).sort()).toEqual(["Engineering", "On-call"]);
    expect((await fleet.api(`/groups/${engineering}/members`)).body.data).toHaveLength(2);
    expect((await okta.removeMember(oncall, ann.body.id)).status).toBe(204);
    expect((await fleet.api(`/users/${ann.body.id}`)).body.groups).toEqual([{ id: engineering, displayName: "Engineering" }]);
  });

  it("Push Profile Updates changes the full name; Deactivate Users marks the user inactive", async () => {
    const cy = await okta.assign(person("cy@fleet.example", "Cy", "Dunn"));
    expect((await okta.updateProfile(cy.body.id, person("cy@fleet.example", "Cyrus", "Dunn"))).status).toBe(200);
    expect((await fleet.api(`/users/${cy.body.id}`)).body).toMatchObject({ givenName: "Cyrus", familyName: "Dunn" });
    expect((await okta.unassign(cy.body.id)).status).toBe(200);
    expect((await fleet.api(`/users/${cy.body.id}`)).body.active).toBe(false);
  });
});
