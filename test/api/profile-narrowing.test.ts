import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";
import { type ApiResponse, apiFetch, scimUser } from "./support.js";

// Issue 19: after the application narrows what its profile allows, the identity provider must
// still be able to deprovision every user. A request is judged on what it changes; a value it
// leaves as stored is never a reason to refuse it (docs/profiles.md, "Requests are judged on what they change").

const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

const BADGES = "urn:example:acme:1.0:User";

interface ProfileOptions {
  domains?: string;
  userTypes?: string;
  userNameIsEmail?: boolean;
  timezones?: string;
  limitType?: string;
  badges?: boolean;
  deprovisioning: string;
}

function profile(options: ProfileOptions): string {
  const badges = options.badges ?? true;
  return `
attributes:
  limit:
    namespace: enterprise
    type: ${options.limitType ?? "string"}
${badges ? `  badge:
    namespace: "${BADGES}"
    type: string
` : ""}
  role:
    type: string
    commaSeparated: true
    references: roles
  user_type:
    namespace: enterprise
    type: string
    allowedValues: [${options.userTypes ?? "admin, regular, contractor"}]
  record_set:
    namespace: enterprise
    type: string
    references: record_sets
roles:
  fromAttribute: role
  fromGroups:
    matchDeclaredRoles: true
identity:
  userNameIsEmail: ${options.userNameIsEmail ?? false}
  emailDomains: [${options.domains ?? "acme.example, old.example"}]
  timezones: ${options.timezones ?? "any"}
deprovisioning: ${options.deprovisioning}
`;
}

interface Tenant {
  readonly scim: TestTenant["scim"];
  api(path: string, init?: { method?: string; body?: unknown }): Promise<ApiResponse>;
  log(requestId: string | null): Promise<readonly string[] | undefined>;
}

interface Narrowing {
  readonly name: string;
  /** The user as the IdP created it while the profile allowed it. */
  readonly user: (serial: number) => Record<string, unknown>;
  /** The stored value(s) the profile no longer allows, as a path-less PATCH value restating them. */
  readonly restated: (serial: number) => Record<string, unknown>;
  /** What the application then narrows. */
  readonly narrow: (tenant: Tenant, slug: string, deprovisioning: string) => Promise<void>;
  /** A PATCH operation that changes a value to one the narrowed profile forbids, and the refusal's detail. */
  readonly forbiddenChange: { readonly operation: Record<string, unknown>; readonly detail: string };
}

const NARROWINGS: readonly Narrowing[] = [
  {
    name: "PUT roles without a role the user holds",
    user: (serial) => scimUser(`u${serial}@acme.example`, { role: "Surveyor, Driver" }),
    restated: (serial) => ({ role: "Surveyor, Driver" }),
    narrow: async (tenant) => {
      expect((await tenant.api("/roles", { method: "PUT", body: ["Driver"] })).status).toBe(200);
    },
    forbiddenChange: {
      operation: { op: "replace", path: "role", value: "Surveyor, Driver, Pilot" },
      detail: `attribute "role": "Pilot" names no entry of the application's roles`,
    },
  },
  {
    name: "tenants update narrowing identity.emailDomains",
    user: (serial) => scimUser(`u${serial}@old.example`, { role: "Driver" }),
    restated: (serial) => ({ emails: [{ value: `u${serial}@old.example`, type: "work", primary: true }] }),
    narrow: async (_tenant, slug, deprovisioning) => {
      await setTenantProfile(store(), slug, profile({ domains: "acme.example", deprovisioning }), `${slug}.yaml`);
    },
    forbiddenChange: {
      operation: { op: "add", path: "emails", value: [{ value: "second@old.example", type: "home" }] },
      detail: `"second@old.example" is not in an allowed email domain of this tenant (acme.example)`,
    },
  },
  {
    name: "PUT lists/record_sets narrowing a list the profile references",
    user: (serial) => scimUser(`u${serial}@acme.example`, { [ENTERPRISE]: { record_set: "North Yard" } }),
    restated: (serial) => ({ [ENTERPRISE]: { record_set: "North Yard" } }),
    narrow: async (tenant) => {
      expect((await tenant.api("/lists/record_sets", { method: "PUT", body: ["South Yard"] })).status).toBe(200);
    },
    forbiddenChange: {
      operation: { op: "replace", path: `${ENTERPRISE}:record_set`, value: "East Yard" },
      detail: `"East Yard" names no entry of the application's record_sets`,
    },
  },
  {
    name: "tenants update narrowing allowedValues",
    user: (serial) => scimUser(`u${serial}@acme.example`, { [ENTERPRISE]: { user_type: "contractor" } }),
    restated: (serial) => ({ [`${ENTERPRISE}:user_type`]: "contractor" }),
    narrow: async (_tenant, slug, deprovisioning) => {
      await setTenantProfile(store(), slug, profile({ userTypes: "admin, regular", deprovisioning }), `${slug}.yaml`);
    },
    forbiddenChange: {
      operation: { op: "replace", path: `${ENTERPRISE}:user_type`, value: "owner" },
      detail: `"owner" is not an allowed value; expected one of admin, regular`,
    },
  },
  {
    name: "tenants update requiring email user names",
    user: (serial) => ({ ...scimUser(`u${serial}@acme.example`), userName: `dana.${serial}` }),
    restated: (serial) => ({ userName: `dana.${serial}` }),
    narrow: async (_tenant, slug, deprovisioning) => {
      await setTenantProfile(store(), slug, profile({ userNameIsEmail: true, deprovisioning }), `${slug}.yaml`);
    },
    forbiddenChange: {
      operation: { op: "replace", path: "userName", value: "dana.scully" },
      detail: `attribute "userName": "dana.scully" is not an email address`,
    },
  },
  {
    name: "tenants update requiring IANA time zones",
    user: (serial) => scimUser(`u${serial}@acme.example`, { timezone: "+02:00" }),
    restated: (serial) => ({ timezone: "+02:00" }),
    narrow: async (_tenant, slug, deprovisioning) => {
      await setTenantProfile(store(), slug, profile({ timezones: "iana", deprovisioning }), `${slug}.yaml`);
    },
    forbiddenChange: {
      operation: { op: "replace", path: "timezone", value: "+03:00" },
      detail: `attribute "timezone": "+03:00" is not an IANA time zone`,
    },
  },
  {
    name: "tenants update changing a declared attribute's type",
    user: (serial) => scimUser(`u${serial}@acme.example`, { [ENTERPRISE]: { limit: "1,000" } }),
    restated: (serial) => ({ [ENTERPRISE]: { limit: "1,000" } }),
    narrow: async (_tenant, slug, deprovisioning) => {
      await setTenantProfile(store(), slug, profile({ limitType: "integer", deprovisioning }), `${slug}.yaml`);
    },
    forbiddenChange: {
      operation: { op: "replace", path: `${ENTERPRISE}:limit`, value: "2,000" },
      detail: `expected an integer, got string "2,000"`,
    },
  },
  {
    name: "tenants update dropping a declared extension",
    user: (serial) => ({ ...scimUser(`u${serial}@acme.example`), schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", BADGES], [BADGES]: { badge: "B-7" } }),
    restated: (serial) => ({ [BADGES]: { badge: "B-7" } }),
    narrow: async (_tenant, slug, deprovisioning) => {
      await setTenantProfile(store(), slug, profile({ badges: false, deprovisioning }), `${slug}.yaml`);
    },
    forbiddenChange: {
      operation: { op: "replace", value: { [BADGES]: { badge: "B-8" } } },
      detail: `unknown schema "urn:example:acme:1.0"`,
    },
  },
];

let roster: TestRoster;
let serial = 0;

function store() {
  return roster.store;
}

beforeAll(async () => {
  roster = await startTestRoster();
});
afterAll(() => roster.close());

/** A fresh tenant with the wide profile, its declared lists and an API key. */
async function tenantWith(deprovisioning: string): Promise<{ tenant: Tenant; slug: string }> {
  serial += 1;
  const slug = `narrow${serial}`;
  const scim = await roster.addTenant(slug);
  await setTenantProfile(roster.store, slug, profile({ deprovisioning }), `${slug}.yaml`);
  const { key } = await createApiKey(roster.store, scim.tenant, "test");
  const tenant: Tenant = {
    scim: scim.scim,
    api: (path, init = {}) => apiFetch(`${roster.url}/api/v1/tenants/${slug}${path}`, key, init),
    async log(requestId) {
      await roster.server.flushRequestLog();
      const entries = await roster.store.read((session) => session.listRequestLog(scim.tenant.id, 100));
      return entries.find((entry) => entry.requestId === requestId)?.notes;
    },
  };
  expect((await tenant.api("/roles", { method: "PUT", body: ["Surveyor", "Driver"] })).status).toBe(200);
  expect((await tenant.api("/lists/record_sets", { method: "PUT", body: ["North Yard", "South Yard"] })).status).toBe(200);
  return { tenant, slug };
}

function patch(...operations: Record<string, unknown>[]) {
  return { method: "PATCH", body: { schemas: [PATCH], Operations: operations } };
}

/** The stored user as Okta repeats it in a PUT: every attribute it read, `active` set. */
function repeated(stored: Record<string, unknown>, active: boolean): Record<string, unknown> {
  const { meta: _meta, groups: _groups, ...rest } = stored;
  return { ...rest, active };
}

describe.each(["deactivate", "removeFromOrganisation"])("after the profile narrows (deprovisioning: %s)", (deprovisioning) => {
  describe.each(NARROWINGS)("$name", (narrowing) => {
    it("the identity provider still removes the user from groups, deactivates, reactivates, deactivates again and deletes", async () => {
      const { tenant, slug } = await tenantWith(deprovisioning);
      const created = await tenant.scim("/Users", { body: narrowing.user(serial) });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const id: string = created.body.id;
      const groups = [];
      for (const displayName of ["Surveyor", "Field crew"]) {
        const group = await tenant.scim("/Groups", { body: { schemas: [GROUP], displayName, members: [{ value: id }] } });
        expect(group.status).toBe(201);
        groups.push(group.body.id as string);
      }
      const [surveyors, crew] = groups as [string, string];

      await narrowing.narrow(tenant, slug, deprovisioning);

      // Okta's group push removes the member; the application's view follows.
      const removed = await tenant.scim(`/Groups/${surveyors}`, patch({ op: "remove", path: `members[value eq "${id}"]` }));
      expect(removed.status, JSON.stringify(removed.body)).toBe(204);
      expect((await tenant.api(`/groups/${surveyors}/members`)).body.data).toEqual([]);

      // Okta's unassignment: a path-less replace of `active` only.
      const deactivated = await tenant.scim(`/Users/${id}`, patch({ op: "replace", value: { active: false } }));
      expect(deactivated.status, JSON.stringify(deactivated.body)).toBe(200);
      expect(deactivated.body.active).toBe(false);
      expect((await tenant.api(`/users/${id}`)).body.active).toBe(false);
      // The value the profile no longer allows is kept and reported, not a reason to refuse.
      const notes = await tenant.log(deactivated.headers.get("x-request-id"));
      expect(notes?.some((note) => note.startsWith("kept a stored value this tenant's profile no longer allows"))).toBe(true);

      // Okta restating the stored values along with the unassignment (a path-less replace).
      const restated = await tenant.scim(`/Users/${id}`, patch({ op: "replace", value: { ...narrowing.restated(serial), active: false } }));
      expect(restated.status, JSON.stringify(restated.body)).toBe(200);
      expect(restated.body.active).toBe(false);

      // Reassignment, then unassignment again, by path.
      const reactivated = await tenant.scim(`/Users/${id}`, patch({ op: "replace", path: "active", value: true }));
      expect(reactivated.status, JSON.stringify(reactivated.body)).toBe(200);
      expect((await tenant.api(`/users/${id}`)).body.active).toBe(true);
      const again = await tenant.scim(`/Users/${id}`, patch({ op: "replace", path: "active", value: false }));
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect((await tenant.api(`/users/${id}`)).body.active).toBe(false);

      // A PUT repeating the stored values: reactivation, then deactivation.
      const stored = (await tenant.scim(`/Users/${id}`)).body;
      const putActive = await tenant.scim(`/Users/${id}`, { method: "PUT", body: repeated(stored, true) });
      expect(putActive.status, JSON.stringify(putActive.body)).toBe(200);
      const putInactive = await tenant.scim(`/Users/${id}`, { method: "PUT", body: repeated(putActive.body, false) });
      expect(putInactive.status, JSON.stringify(putInactive.body)).toBe(200);
      expect((await tenant.api(`/users/${id}`)).body.active).toBe(false);
      // Every value the profile no longer allows is still stored as the identity provider set it.
      expect(repeated(putInactive.body, true)).toEqual(repeated(created.body, true));

      // Every membership removed by replacing the group's members, then both groups and the user deleted.
      const emptied = await tenant.scim(`/Groups/${crew}`, patch({ op: "replace", path: "members", value: [] }));
      expect(emptied.status, JSON.stringify(emptied.body)).toBe(204);
      expect((await tenant.api(`/groups/${crew}/members`)).body.data).toEqual([]);
      for (const group of groups) expect((await tenant.scim(`/Groups/${group}`, { method: "DELETE" })).status).toBe(204);
      expect((await tenant.scim(`/Users/${id}`, { method: "DELETE" })).status).toBe(204);
      expect((await tenant.api(`/users/${id}`)).status).toBe(404);
    });

    it("a request that changes a value to one the profile forbids is still refused, deactivating or not", async () => {
      const { tenant } = await tenantWith(deprovisioning);
      const created = await tenant.scim("/Users", { body: narrowing.user(serial) });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const id: string = created.body.id;
      await narrowing.narrow(tenant, `narrow${serial}`, deprovisioning);

      for (const operations of [[narrowing.forbiddenChange.operation], [{ op: "replace", path: "active", value: false }, narrowing.forbiddenChange.operation]]) {
        const refused = await tenant.scim(`/Users/${id}`, patch(...operations));
        expect(refused.status, JSON.stringify(refused.body)).toBe(400);
        expect(refused.body.scimType).toBe("invalidValue");
        expect(refused.body.detail).toContain(narrowing.forbiddenChange.detail);
      }
      const after = await tenant.scim(`/Users/${id}`);
      expect(after.body.active).toBe(true);
      expect(after.body.meta.version).toBe(created.body.meta.version);
    });
  });
});

describe("an update the profile ignores after it narrows", () => {
  it("is not judged: Okta's PUT deactivation carrying a changed email in a domain no longer allowed succeeds and keeps the stored email", async () => {
    const { tenant, slug } = await tenantWith("deactivate");
    const created = await tenant.scim("/Users", { body: scimUser(`u${serial}@acme.example`) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await setTenantProfile(
      roster.store,
      slug,
      `${profile({ domains: "acme.example", deprovisioning: "deactivate" })}sync:\n  updates:\n    emails: false\n`,
      `${slug}.yaml`,
    );
    const put = await tenant.scim(`/Users/${created.body.id}`, {
      method: "PUT",
      body: { ...repeated(created.body, false), emails: [{ value: `u${serial}@elsewhere.example`, type: "work", primary: true }] },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ active: false, emails: [{ value: `u${serial}@acme.example` }] });
  });
});

describe("a group's members after the profile hides unmanaged users", () => {
  it("the identity provider still replaces the members (removing others), removes the hidden member and deletes the group", async () => {
    const { tenant, slug } = await tenantWith("deactivate");
    const visible = `${profile({ deprovisioning: "deactivate" })}unmanagedUsers:\n  visible: true\n`;
    await setTenantProfile(roster.store, slug, visible, `${slug}.yaml`);
    const local = await tenant.api("/users", { body: { userName: `local${serial}@acme.example`, displayName: "Local" } });
    expect(local.status, JSON.stringify(local.body)).toBe(201);
    const managed = await tenant.scim("/Users", { body: scimUser(`m${serial}@acme.example`) });
    expect(managed.status).toBe(201);
    const [hidden, other] = [local.body.id as string, managed.body.id as string];
    const group = await tenant.scim("/Groups", { body: { schemas: [GROUP], displayName: "Crew", members: [{ value: hidden }, { value: other }] } });
    expect(group.status, JSON.stringify(group.body)).toBe(201);
    const members = async () => ((await tenant.api(`/groups/${group.body.id}/members`)).body.data as { id: string }[]).map((member) => member.id).sort();
    expect(await members()).toEqual([hidden, other].sort());

    await setTenantProfile(roster.store, slug, profile({ deprovisioning: "deactivate" }), `${slug}.yaml`);

    // Okta's PUT of the group removing one member repeats the member it keeps, now hidden from SCIM.
    const put = await tenant.scim(`/Groups/${group.body.id}`, {
      method: "PUT",
      body: { schemas: [GROUP], displayName: "Crew", members: [{ value: hidden, type: "User" }] },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(await members()).toEqual([hidden]);
    const replaced = await tenant.scim(`/Groups/${group.body.id}`, patch({ op: "replace", path: "members", value: [{ value: hidden }, { value: other }] }));
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(204);
    expect(await members()).toEqual([hidden, other].sort());
    // A hidden user the group does not hold is still unknown to SCIM.
    const stranger = await tenant.api("/users", { body: { userName: `stranger${serial}@acme.example` } });
    const refused = await tenant.scim(`/Groups/${group.body.id}`, patch({ op: "replace", path: "members", value: [{ value: hidden }, { value: stranger.body.id }] }));
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toBe(`members: no User or Group with id "${stranger.body.id}" exists`);

    const removed = await tenant.scim(`/Groups/${group.body.id}`, patch({ op: "remove", path: `members[value eq "${hidden}"]` }));
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
    expect(await members()).toEqual([other]);
    expect((await tenant.scim(`/Groups/${group.body.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await tenant.api(`/users/${hidden}`)).status).toBe(200);
  });
});

describe("/Bulk after the profile narrows", () => {
  it("deactivates by PATCH and by PUT repeating the stored values, and deletes, in one bulk request", async () => {
    const { tenant } = await tenantWith("deactivate");
    const users = [];
    for (const n of [1, 2, 3]) {
      const created = await tenant.scim("/Users", { body: scimUser(`b${serial}-${n}@acme.example`, { role: "Surveyor" }) });
      expect(created.status).toBe(201);
      users.push(created.body);
    }
    expect((await tenant.api("/roles", { method: "PUT", body: ["Driver"] })).status).toBe(200);
    const [first, second, third] = users;
    const bulk = await tenant.scim("/Bulk", {
      body: {
        schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        Operations: [
          { method: "PATCH", path: `/Users/${first.id}`, data: { schemas: [PATCH], Operations: [{ op: "replace", value: { active: false } }] } },
          { method: "PUT", path: `/Users/${second.id}`, data: repeated(second, false) },
          { method: "DELETE", path: `/Users/${third.id}` },
        ],
      },
    });
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(200);
    expect(bulk.body.Operations.map((operation: { status: string }) => operation.status)).toEqual(["200", "200", "204"]);
    expect((await tenant.api(`/users/${first.id}`)).body).toMatchObject({ active: false, roles: ["Surveyor"] });
    expect((await tenant.api(`/users/${second.id}`)).body).toMatchObject({ active: false, roles: ["Surveyor"] });
    expect((await tenant.api(`/users/${third.id}`)).status).toBe(404);
  });
});

describe("a comma-separated attribute after the profile narrows", () => {
  it("judges each item: a stale item may stay or go, a new item must be allowed", async () => {
    const { tenant } = await tenantWith("deactivate");
    const created = await tenant.scim("/Users", { body: scimUser(`c${serial}@acme.example`, { role: "Surveyor, Driver" }) });
    expect(created.status).toBe(201);
    expect((await tenant.api("/roles", { method: "PUT", body: ["Driver"] })).status).toBe(200);
    const set = (value: string) => tenant.scim(`/Users/${created.body.id}`, patch({ op: "replace", path: "role", value }));
    expect((await set("Surveyor")).status).toBe(200);
    expect((await tenant.api(`/users/${created.body.id}`)).body.roles).toEqual(["Surveyor"]);
    const pilot = await set("Surveyor, Pilot");
    expect(pilot.status).toBe(400);
    expect(pilot.body.detail).toContain(`"Pilot" names no entry of the application's roles (known: Driver)`);
    expect((await set("Driver")).status).toBe(200);
    expect((await tenant.api(`/users/${created.body.id}`)).body.roles).toEqual(["Driver"]);
    // Once gone, a role no longer declared cannot come back.
    const back = await set("Driver, Surveyor");
    expect(back.status).toBe(400);
    expect(back.body.detail).toContain(`"Surveyor" names no entry of the application's roles`);
  });
});
