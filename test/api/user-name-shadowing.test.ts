import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { type ApiRoster, scimUser, startApiRoster } from "./support.js";

// docs/decisions/0023: with unmanaged users visible to the identity provider, a managed user
// hides the unmanaged user of the same userName (ignoring case) from SCIM.

let t: ApiRoster;
beforeEach(async () => {
  t = await startApiRoster();
  await setTenantProfile(t.roster.store, "acme", "unmanagedUsers:\n  visible: true\n", "acme.yaml");
});
afterEach(() => t.close());

const byUserName = (userName: string) => `/Users?filter=${encodeURIComponent(`userName eq ${JSON.stringify(userName)}`)}`;

async function unmanaged(userName: string): Promise<string> {
  const created = await t.api("/users", { body: { userName, emails: [{ value: userName }], timezone: "Europe/Paris" } });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

async function managed(userName: string): Promise<string> {
  const created = await t.acme.scim("/Users", { body: scimUser(userName) });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

describe("a managed and an unmanaged user with one userName, unmanaged users visible", () => {
  it("answers a SCIM lookup by userName, in any case, with the managed user alone", async () => {
    const local = await unmanaged("dana@example.com");
    const before = await t.acme.scim(byUserName("DANA@example.com"));
    expect(before.body.Resources.map((user: { id: string }) => user.id)).toEqual([local]);
    const idp = await managed("Dana@Example.com");
    for (const userName of ["dana@example.com", "Dana@Example.com", "DANA@EXAMPLE.COM"]) {
      const found = await t.acme.scim(byUserName(userName));
      expect({ userName, totalResults: found.body.totalResults, ids: found.body.Resources.map((user: { id: string }) => user.id) }).toEqual({
        userName,
        totalResults: 1,
        ids: [idp],
      });
    }
    const searched = await t.acme.scim("/Users/.search", {
      body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: 'userName eq "dana@example.com"' },
    });
    expect(searched.body.Resources.map((user: { id: string }) => user.id)).toEqual([idp]);
    const root = await t.acme.scim("/.search", {
      body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: 'userName eq "dana@example.com"' },
    });
    expect({ total: root.body.totalResults, ids: root.body.Resources.map((user: { id: string }) => user.id) }).toEqual({ total: 1, ids: [idp] });
  });

  it("leaves the shadowed user out of every SCIM list, its id and member references, while the management API keeps both", async () => {
    const local = await unmanaged("fox@example.com");
    const other = await unmanaged("walter@example.com");
    const idp = await managed("FOX@example.com");
    const all = await t.acme.scim("/Users");
    expect(all.body.totalResults).toBe(2);
    expect(all.body.Resources.map((user: { id: string }) => user.id).sort()).toEqual([idp, other].sort());
    const counted = await t.acme.scim("/Users?count=0");
    expect(counted.body.totalResults).toBe(2);
    const cursorPages: string[] = [];
    let cursor = "";
    for (let page = 0; page < 5 && cursor !== undefined; page++) {
      const answer = await t.acme.scim(`/Users?count=1&cursor=${encodeURIComponent(cursor)}`);
      expect(answer.status).toBe(200);
      cursorPages.push(...answer.body.Resources.map((user: { id: string }) => user.id));
      cursor = answer.body.nextCursor;
    }
    expect(cursorPages.sort()).toEqual([idp, other].sort());
    expect((await t.acme.scim(`/Users/${local}`)).status).toBe(404);
    expect((await t.acme.scim(`/Users/${local}`, { method: "PATCH", body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", value: { active: false } }] } })).status).toBe(404);
    const group = await t.acme.scim("/Groups", { body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Agents", members: [{ value: local }] } });
    expect(group.status).toBe(400);
    expect(group.body.detail).toContain(`no User or Group with id "${local}" exists`);
    const visible = await t.acme.scim("/Groups", { body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Agents", members: [{ value: other }] } });
    expect(visible.status).toBe(201);
    const application = await t.api("/users?userName=fox%40example.com");
    expect(application.body.data.map((user: { id: string }) => user.id).sort()).toEqual([idp, local].sort());
  });

  it("shadows an unmanaged user the application renames to a managed user's userName", async () => {
    const idp = await managed("scully@example.com");
    const local = await unmanaged("dana.scully@example.com");
    const renamed = await t.api(`/users/${local}`, { method: "PATCH", body: { userName: "Scully@Example.com" } });
    expect(renamed.status).toBe(200);
    const found = await t.acme.scim(byUserName("scully@example.com"));
    expect(found.body.Resources.map((user: { id: string }) => user.id)).toEqual([idp]);
  });

  it("shows the unmanaged user again once the managed one is deleted", async () => {
    const local = await unmanaged("skinner@example.com");
    const idp = await managed("skinner@example.com");
    expect((await t.acme.scim(`/Users/${idp}`, { method: "DELETE" })).status).toBe(204);
    const found = await t.acme.scim(byUserName("Skinner@example.com"));
    expect(found.body.Resources.map((user: { id: string }) => user.id)).toEqual([local]);
    expect((await t.acme.scim(`/Users/${local}`)).status).toBe(200);
  });
});
