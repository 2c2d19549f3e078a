import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { type ApiRoster, scimUser, startApiRoster } from "./support.js";

const PROFILE = `
attributes:
  site:
    namespace: urn:example:roster:1.0:User
    type: string
identity:
  userNameIsEmail: true
  emailDomains: [flosum.example, Corp.Example]
  timezones: iana
  defaults:
    timezone: Etc/UTC
    site: HQ
`;

let api: ApiRoster;

beforeAll(async () => {
  api = await startApiRoster();
  await setTenantProfile(api.roster.store, "acme", PROFILE, "acme.yaml");
});
afterAll(() => api.close());

describe("profile identity rules", () => {
  it("fills a missing time zone and a declared attribute with their defaults", async () => {
    const created = await api.acme.scim("/Users", { body: scimUser("dana@flosum.example") });
    expect(created.status).toBe(201);
    expect(created.body.timezone).toBe("Etc/UTC");
    expect(created.body["urn:example:roster:1.0:User"]).toEqual({ site: "HQ" });
    expect(created.body.schemas).toContain("urn:example:roster:1.0:User");
    expect((await api.api(`/users/${created.body.id}`)).body.timezone).toBe("Etc/UTC");
  });

  it("fills a blank time zone on PUT and keeps a given one", async () => {
    const created = await api.acme.scim("/Users", { body: scimUser("fox@flosum.example", { timezone: "Europe/Paris" }) });
    expect(created.body.timezone).toBe("Europe/Paris");
    const put = await api.acme.scim(`/Users/${created.body.id}`, { method: "PUT", body: scimUser("fox@flosum.example", { timezone: "" }) });
    expect(put.status).toBe(200);
    expect(put.body.timezone).toBe("Etc/UTC");
  });

  it.each(["US/Eastern", "America/New_York", "UTC"])("accepts the IANA time zone %s", async (timezone) => {
    const created = await api.acme.scim("/Users", { body: scimUser(`tz-${timezone.replace("/", "-")}@flosum.example`, { timezone }) });
    expect(created.status).toBe(201);
    expect(created.body.timezone).toBe(timezone);
  });

  it.each([
    [scimUser("dana", { emails: [{ value: "dana@flosum.example", primary: true }] }), 'attribute "userName": "dana" is not an email address'],
    [scimUser("eve@evil.example"), 'attribute "emails[0].value": "eve@evil.example" is not in an allowed email domain of this tenant (flosum.example, corp.example)'],
    [
      scimUser("walt@corp.example", { emails: [{ value: "walt@CORP.example" }, { value: "walt@gmail.example" }] }),
      'attribute "emails[1].value": "walt@gmail.example" is not in an allowed email domain',
    ],
    [scimUser("tz@flosum.example", { timezone: "Mars/Olympus" }), 'attribute "timezone": "Mars/Olympus" is not an IANA time zone'],
    [scimUser("off@flosum.example", { timezone: "+01:00" }), 'attribute "timezone": "+01:00" is not an IANA time zone'],
  ])("returns 400 invalidValue for %j", async (body, detail) => {
    const created = await api.acme.scim("/Users", { body });
    expect(created.status).toBe(400);
    expect(created.body.scimType).toBe("invalidValue");
    expect(created.body.detail).toContain(detail);
  });

  it("checks identity rules on PATCH", async () => {
    const created = await api.acme.scim("/Users", { body: scimUser("patch@flosum.example") });
    const patch = await api.acme.scim(`/Users/${created.body.id}`, {
      method: "PATCH",
      body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "userName", value: "patch" }] },
    });
    expect(patch.status).toBe(400);
    expect(patch.body.detail).toContain("is not an email address");
  });
});
