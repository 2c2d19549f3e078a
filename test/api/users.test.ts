import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ApiRoster, scimUser, startApiRoster } from "./support.js";

let t: ApiRoster;
beforeEach(async () => {
  t = await startApiRoster();
});
afterEach(() => t.close());

describe("management API: users", () => {
  it("shows a SCIM-created user in the application's view, with its groups", async () => {
    const created = await t.acme.scim("/Users", { body: scimUser("Dana@Example.com", { displayName: "Dana Scully", timezone: "Europe/Paris" }) });
    const group = await t.acme.scim("/Groups", { body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Mechanics", members: [{ value: created.body.id }] } });
    const response = await t.api(`/users/${created.body.id}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: created.body.id,
      userName: "Dana@Example.com",
      displayName: "Dana Scully",
      givenName: "Dana",
      familyName: "Scully",
      emails: [{ value: "Dana@Example.com", type: "work", primary: true }],
      active: true,
      managed: true,
      roles: [],
      admin: false,
      groups: [{ id: group.body.id, displayName: "Mechanics" }],
      attributes: {},
      timezone: "Europe/Paris",
      title: null,
      locale: null,
      preferredLanguage: null,
      phoneNumbers: [],
      addresses: [],
      employeeNumber: null,
      costCenter: null,
      organization: null,
      division: null,
      department: null,
      manager: null,
      externalId: null,
      createdAt: created.body.meta.created,
      updatedAt: created.body.meta.lastModified,
    });
  });

  it("finds users by email ignoring case, by userName, externalId, active and managed", async () => {
    await t.acme.scim("/Users", { body: scimUser("dana@example.com", { externalId: "okta-1", emails: [{ value: "other@x.io" }, { value: "Dana@Example.com" }] }) });
    await t.acme.scim("/Users", { body: scimUser("fox@example.com", { active: false }) });
    await t.api("/users", { body: { userName: "local@example.com", emails: [{ value: "local@example.com" }] } });
    const names = async (query: string) => ((await t.api(`/users?${query}`)).body.data as { userName: string }[]).map((u) => u.userName).sort();
    expect(await names("email=DANA%40EXAMPLE.COM")).toEqual(["dana@example.com"]);
    expect(await names("email=other%40x.io")).toEqual(["dana@example.com"]);
    expect(await names("userName=FOX%40example.com")).toEqual(["fox@example.com"]);
    expect(await names("externalId=okta-1")).toEqual(["dana@example.com"]);
    expect(await names("externalId=OKTA-1")).toEqual([]);
    expect(await names("active=false")).toEqual(["fox@example.com"]);
    expect(await names("active=true")).toEqual(["dana@example.com", "local@example.com"]);
    expect(await names("managed=false")).toEqual(["local@example.com"]);
    expect(await names("managed=true&active=true")).toEqual(["dana@example.com"]);
  });

  it("pages users with limit and cursor until nextCursor is null", async () => {
    for (let n = 0; n < 5; n++) await t.api("/users", { body: { userName: `user${n}@example.com` } });
    const seen: string[] = [];
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const response = await t.api(`/users?limit=2${cursor === "" ? "" : `&cursor=${encodeURIComponent(cursor)}`}`);
      expect(response.status).toBe(200);
      seen.push(...(response.body.data as { userName: string }[]).map((u) => u.userName));
      cursor = response.body.nextCursor;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4].map((n) => `user${n}@example.com`));
  });

  it.each([
    ["limit=0", "invalidRequest", "limit"],
    ["limit=abc", "invalidRequest", "limit"],
    ["active=yes", "invalidRequest", "active"],
    ["cursor=garbage", "invalidCursor", "cursor"],
  ])("answers 400 for ?%s", async (query, code, mentions) => {
    const response = await t.api(`/users?${query}`);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.message).toContain(mentions);
  });

  it("creates an unmanaged user that SCIM does not see, even with the same userName as a managed one", async () => {
    const scim = await t.acme.scim("/Users", { body: scimUser("dana@example.com") });
    const created = await t.api("/users", { body: { userName: "DANA@example.com", givenName: "Dana", emails: [{ value: "dana@example.com", primary: true }] } });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/api/v1/tenants/acme/users/${created.body.id}`);
    expect(created.body).toMatchObject({ userName: "DANA@example.com", managed: false, active: true, givenName: "Dana", familyName: null });
    expect(created.body.emails).toEqual([{ value: "dana@example.com", type: null, primary: true }]);
    expect((await t.acme.scim(`/Users/${created.body.id}`)).status).toBe(404);
    const listed = await t.acme.scim("/Users");
    expect(listed.body.totalResults).toBe(1);
    expect(listed.body.Resources[0].id).toBe(scim.body.id);
    expect((await t.acme.scim('/Users?filter=userName eq "dana@example.com"')).body.totalResults).toBe(1);
  });

  it("answers 409 userNameTaken for a second unmanaged user differing only in case", async () => {
    await t.api("/users", { body: { userName: "dana@example.com" } });
    const again = await t.api("/users", { body: { userName: "Dana@Example.com" } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("userNameTaken");
  });

  it.each([
    [{}, "userName"],
    [{ userName: "a", shoeSize: 42 }, "shoeSize"],
    [{ userName: "a", active: "yes" }, "active"],
    [{ userName: "a", emails: "a@b.c" }, "emails"],
    [{ userName: 7 }, "userName"],
    ["[]", "object"],
  ])("answers 400 invalidRequest for the body %j, naming %s", async (body, mentions) => {
    const response = await t.api("/users", { body });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalidRequest");
    expect(response.body.error.message).toContain(mentions);
  });

  it("updates and deactivates an unmanaged user; null removes a field", async () => {
    const created = await t.api("/users", { body: { userName: "local", displayName: "Local", timezone: "Etc/UTC" } });
    const patched = await t.api(`/users/${created.body.id}`, { method: "PATCH", body: { displayName: null, familyName: "Doe", active: false } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ displayName: null, familyName: "Doe", active: false, timezone: "Etc/UTC", managed: false });
    expect((await t.api(`/users/${created.body.id}`)).body).toEqual(patched.body);
  });

  it("refuses to change or delete a managed user with 409 managedByIdentityProvider", async () => {
    const scim = await t.acme.scim("/Users", { body: scimUser("dana@example.com") });
    for (const [method, body] of [["PATCH", { active: false }], ["DELETE", undefined]] as const) {
      const response = await t.api(`/users/${scim.body.id}`, { method, ...(body === undefined ? {} : { body }) });
      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe("managedByIdentityProvider");
      expect(response.body.error.message).toContain("managed by the identity provider");
    }
    expect((await t.acme.scim(`/Users/${scim.body.id}`)).body.active).toBe(true);
  });

  it("deletes an unmanaged user; then it is 404", async () => {
    const created = await t.api("/users", { body: { userName: "local" } });
    expect((await t.api(`/users/${created.body.id}`, { method: "DELETE" })).status).toBe(204);
    const gone = await t.api(`/users/${created.body.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe("notFound");
  });
});
