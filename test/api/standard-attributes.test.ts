import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { OPENAPI_DOCUMENT } from "../../src/http/api-openapi.js";
import { type EventsRoster, PATCH_OP, startEventsRoster } from "../events/support.js";
import { scimUser } from "./support.js";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/** What Okta sends for a user with its standard profile attributes mapped (title, locale, phones, address, enterprise fields). */
function oktaUser(userName: string): Record<string, unknown> {
  return scimUser(userName, {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
    title: "Fleet Manager",
    locale: "en-US",
    preferredLanguage: "en",
    phoneNumbers: [
      { value: "+1 555 0100", type: "work", primary: true },
      { value: "+1 555 0199", type: "mobile" },
    ],
    addresses: [{ streetAddress: "1 Main St", locality: "Springfield", region: "IL", postalCode: "62701", country: "US", type: "work", primary: true }],
    [ENTERPRISE]: {
      employeeNumber: "E-1013",
      costCenter: "CC-42",
      organization: "Acme Corp",
      division: "Operations",
      department: "Fleet",
      manager: { value: "00u1boss", displayName: "Big Boss" },
    },
  });
}

const STANDARD = {
  title: "Fleet Manager",
  locale: "en-US",
  preferredLanguage: "en",
  phoneNumbers: [
    { value: "+1 555 0100", type: "work", primary: true },
    { value: "+1 555 0199", type: "mobile", primary: false },
  ],
  addresses: [
    { formatted: null, streetAddress: "1 Main St", locality: "Springfield", region: "IL", postalCode: "62701", country: "US", type: "work", primary: true },
  ],
  employeeNumber: "E-1013",
  costCenter: "CC-42",
  organization: "Acme Corp",
  division: "Operations",
  department: "Fleet",
};

let t: EventsRoster;
beforeEach(async () => {
  t = await startEventsRoster();
});
afterEach(() => t.close());

describe("management API: the standard attributes the identity provider sends", () => {
  it("gives the application title, locale, preferredLanguage, phoneNumbers, addresses and the enterprise extension's attributes", async () => {
    const created = await t.acme.scim("/Users", { body: oktaUser("dana@example.com") });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const user = await t.appUser(created.body.id);
    expect(user).toMatchObject(STANDARD);
    // RFC 7643 makes manager.displayName read-only: Roster keeps what the IdP may set, the manager's value.
    expect(user.manager).toEqual({ value: "00u1boss", displayName: null });
    const listed = await t.api("/users?userName=dana%40example.com");
    expect(listed.body.data).toEqual([user]);
  });

  it("answers null and [] for the standard attributes a user does not have", async () => {
    const created = await t.acme.scim("/Users", { body: scimUser("fox@example.com") });
    expect(await t.appUser(created.body.id)).toMatchObject({
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
    });
  });

  it("carries them in events, with their former values in previous when the identity provider changes them", async () => {
    const [createdEvent] = await t.eventsOf(() => t.acme.scim("/Users", { body: oktaUser("walt@example.com") }));
    expect(createdEvent?.type).toBe("user.created");
    const id = (createdEvent?.data as { user: { id: string } }).user.id;
    expect((createdEvent?.data as { user: unknown }).user).toMatchObject({ ...STANDARD, manager: { value: "00u1boss", displayName: null } });
    const events = await t.eventsOf(() =>
      t.acme.scim(`/Users/${id}`, {
        method: "PATCH",
        body: {
          schemas: [PATCH_OP],
          Operations: [
            { op: "replace", path: "title", value: "Head of Fleet" },
            { op: "replace", path: `${ENTERPRISE}:department`, value: "Logistics" },
          ],
        },
      }),
    );
    expect(events.map((event) => event.type)).toEqual(["user.updated"]);
    const data = events[0]?.data as unknown as { user: Record<string, unknown>; previous: Record<string, unknown> };
    expect(data.user).toMatchObject({ title: "Head of Fleet", department: "Logistics" });
    expect(data.previous).toMatchObject({ title: "Fleet Manager", department: "Fleet" });
  });

  it("documents in the OpenAPI document every field of the user the API answers", async () => {
    const created = await t.acme.scim("/Users", { body: oktaUser("kim@example.com") });
    const user = await t.appUser(created.body.id);
    const documented = Object.keys(OPENAPI_DOCUMENT.components.schemas.User.properties).sort();
    expect(Object.keys(user).sort()).toEqual(documented);
  });
});

describe("management API: comma-separated attributes reach the application as lists", () => {
  const PROFILE = `
attributes:
  auto_integrate_roles:
    namespace: enterprise
    type: string
    commaSeparated: true
    allowedValues: [client_admin, client_view_ro, client_manual_ro_approval]
  shop:
    type: string
roles:
  fromAttribute: auto_integrate_roles
`;

  beforeEach(async () => {
    await setTenantProfile(t.roster.store, "acme", PROFILE, "acme.yaml");
  });

  it("lists the items of a comma-separated value, in the user view and its events, and still derives roles from it", async () => {
    const body = oktaUser("jane@example.com");
    const events = await t.eventsOf(async () => {
      const created = await t.acme.scim("/Users", {
        body: { ...body, shop: "North, South", [ENTERPRISE]: { auto_integrate_roles: "client_admin, client_view_ro" } },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    });
    const user = events.find((event) => event.type === "user.created")?.data as { user: { id: string; attributes: unknown; roles: unknown } };
    expect(user.user.attributes).toEqual({ auto_integrate_roles: ["client_admin", "client_view_ro"], shop: "North, South" });
    expect(user.user.roles).toEqual(["client_admin", "client_view_ro"]);
    expect(await t.appUser(user.user.id)).toMatchObject({
      attributes: { auto_integrate_roles: ["client_admin", "client_view_ro"], shop: "North, South" },
      roles: ["client_admin", "client_view_ro"],
    });
  });

  it("gives a blank comma-separated value as an empty list", async () => {
    const created = await t.acme.scim("/Users", { body: scimUser("blank@example.com", { [ENTERPRISE]: { auto_integrate_roles: "" } }) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await t.appUser(created.body.id)).attributes).toEqual({ auto_integrate_roles: [] });
  });
});
