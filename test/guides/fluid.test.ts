import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { type GuideTenant, guideTenant, type Okta, person } from "./okta.js";

// Fluid's "How to setup SCIM with Okta" (https://knowledge.fluid.work/en/articles/6096706),
// followed step by step against a tenant made from examples/profiles/fluid.yaml.
const SHARED_SECRET = "Fluid-SCIM-shared-secret-2026!Okta#";
let fluid: GuideTenant;
let okta: Okta;
let example: string;

beforeAll(async () => {
  fluid = await guideTenant("fluid");
  example = await readFile(new URL("../../examples/profiles/fluid.yaml", import.meta.url), "utf8");
  // Step 8: the administrator enters the shared secret; Okta sends it with every request.
  okta = await fluid.okta({ secret: SHARED_SECRET });
  expect((await fluid.api("/roles", { method: "PUT", body: ["Fluid User", "Fluid Application Administrator"] })).status).toBe(200);
});
afterAll(() => fluid.close());

describe("Fluid guide", () => {
  it("step 9: Test API Credentials fails while Disable SCIM User Sync is on, and succeeds once it is off", async () => {
    await setTenantProfile(fluid.roster.store, "fluid", example.replace("users: true", "users: false"), "fluid.yaml");
    expect(await okta.testConnection()).toEqual([403, 403, 403, 403]);
    const refused = await okta.send("/Users?startIndex=1&count=1");
    expect(refused.body.detail).toContain("SCIM user sync is disabled for this tenant");
    await setTenantProfile(fluid.roster.store, "fluid", example, "fluid.yaml");
    expect(await okta.testConnection()).toEqual([200, 200, 200, 200]);
  });

  it("step 12: assignment creates a user, and links an existing Fluid account with the same username", async () => {
    const created = await okta.assign(person("ann@fluid.example", "Ann", "Lee"));
    expect(created.status).toBe(201);
    const existing = await fluid.api("/users", { body: { userName: "bob@fluid.example", displayName: "Bob (local)" } });
    expect(existing.body.managed).toBe(false);
    const linked = await okta.assign(person("BOB@fluid.example", "Bob", "Ray"));
    expect(linked.status).toBe(201);
    expect(linked.body.id).toBe(existing.body.id);
    expect((await fluid.api(`/users/${existing.body.id}`)).body).toMatchObject({ managed: true, displayName: "Bob Ray", givenName: "Bob" });
    expect((await fluid.api("/users?userName=bob@fluid.example")).body.data).toHaveLength(1);
  });

  it("step 13: push groups named like roles grant them; leaving the group removes the role", async () => {
    const carl = await okta.assign(person("carl@fluid.example", "Carl", "Kim"));
    const member = [{ id: carl.body.id as string, userName: "carl@fluid.example" }];
    const users = await okta.pushGroup("Fluid User", member);
    await okta.pushGroup("Fluid Application Administrator", member);
    await okta.pushGroup("Everyone in Okta", member);
    expect((await fluid.api(`/users/${carl.body.id}`)).body.roles).toEqual(["Fluid Application Administrator", "Fluid User"]);
    expect((await okta.removeMember(users, carl.body.id)).status).toBe(204);
    expect((await fluid.api(`/users/${carl.body.id}`)).body.roles).toEqual(["Fluid Application Administrator"]);
  });

  it("step 10: a password is never stored and the request log says it was ignored", async () => {
    const created = await okta.assign(person("dee@fluid.example", "Dee", "Fox", { password: "Okta-Generated-Pa55word!" }));
    expect(created.status).toBe(201);
    await fluid.roster.server.flushRequestLog();
    const log = await fluid.roster.store.read(async (session) => {
      const tenant = await session.findTenantBySlug("fluid");
      return session.listRequestLog(tenant?.id ?? "", 50);
    });
    const entry = log.find((e) => e.requestId === created.headers.get("x-request-id"));
    expect(entry?.notes).toEqual([expect.stringContaining("ignored the password")]);
    expect(JSON.stringify(await fluid.api(`/users/${created.body.id}`))).not.toContain("Pa55word");
  });

  it("unassignment deactivates the user and keeps its data for audit", async () => {
    const eve = await okta.assign(person("eve@fluid.example", "Eve", "Moss"));
    await okta.pushGroup("Fluid User ", [{ id: eve.body.id, userName: "eve@fluid.example" }]);
    expect((await okta.unassign(eve.body.id)).status).toBe(200);
    const seen = (await fluid.api(`/users/${eve.body.id}`)).body;
    expect(seen).toMatchObject({ active: false, managed: true, givenName: "Eve", familyName: "Moss", emails: [{ value: "eve@fluid.example" }] });
    expect(seen.groups).toHaveLength(1);
  });
});
