import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { createApiKey } from "../../src/directory/api-keys.js";
import { MAX_PROFILE_SOURCE_LENGTH } from "../../src/directory/app-profile.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";
import { type ApiResponse, apiFetch } from "./support.js";

// The profile endpoints (issue 21): GET/PUT …/profile as YAML or JSON, errors as data, and
// POST …/profile/check's impact on the directory as it is.

const YAML = "application/yaml";
const PROFILE_EXAMPLES = ["fleetio", "fleet", "fulcrum", "fluid", "flosum"] as const;

let roster: TestRoster;
let other: { key: string };

beforeAll(async () => {
  roster = await startTestRoster();
  const ghost = await roster.addTenant("ghost");
  other = await createApiKey(roster.store, ghost.tenant, "ghost's application");
});
afterAll(() => roster.close());

interface Tenant {
  readonly scim: TestTenant;
  readonly key: string;
  readonly keyId: string;
  api(path: string, init?: { method?: string; body?: unknown; as?: string | null; headers?: Record<string, string> }): Promise<ApiResponse>;
  /** A request whose body is text (YAML), answered as text. */
  text(path: string, init: { method?: string; body?: string; contentType?: string; accept?: string }): Promise<{ status: number; type: string | null; text: string }>;
}

async function tenant(slug: string): Promise<Tenant> {
  const scim = await roster.addTenant(slug);
  const issued = await createApiKey(roster.store, scim.tenant, "application");
  const base = `${roster.url}/api/v1/tenants/${slug}`;
  return {
    scim,
    key: issued.key,
    keyId: issued.record.id,
    api: (path, init = {}) => apiFetch(`${base}${path}`, init.as === undefined ? issued.key : init.as, init),
    async text(path, init) {
      const response = await fetch(`${base}${path}`, {
        method: init.method ?? "GET",
        headers: {
          authorization: `Bearer ${issued.key}`,
          ...(init.contentType === undefined ? {} : { "content-type": init.contentType }),
          ...(init.accept === undefined ? {} : { accept: init.accept }),
        },
        ...(init.body === undefined ? {} : { body: init.body }),
      });
      return { status: response.status, type: response.headers.get("content-type"), text: await response.text() };
    },
  };
}

async function putYaml(t: Tenant, source: string, path = "/profile"): Promise<ApiResponse> {
  const answer = await t.text(path, { method: path.endsWith("/check") ? "POST" : "PUT", body: source, contentType: YAML });
  return { status: answer.status, headers: new Headers(), body: answer.text.length === 0 ? undefined : JSON.parse(answer.text) };
}

describe("GET /api/v1/tenants/{tenant}/profile", () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await tenant("reader");
  });

  it("answers version 0 and a null profile for a tenant that never had one, and an empty YAML text", async () => {
    expect(await t.api("/profile")).toMatchObject({ status: 200, body: { version: 0, profile: null } });
    const yaml = await t.text("/profile", { accept: YAML });
    expect(yaml).toEqual({ status: 200, type: "application/yaml; charset=utf-8", text: "" });
  });

  it("answers the stored YAML text exactly with Accept: application/yaml or text/yaml, and its JSON otherwise", async () => {
    const source = "# kept as written\nidentity:\n  emailDomains: [acme.example]   # only ours\nsync:\n  passwords: unsupported\n";
    const put = await putYaml(t, source);
    expect(put.status).toBe(200);
    expect(put.body.version).toBe(1);
    expect(await t.text("/profile", { accept: YAML })).toEqual({ status: 200, type: "application/yaml; charset=utf-8", text: source });
    expect((await t.text("/profile", { accept: "text/yaml" })).text).toBe(source);
    expect((await t.text("/profile", { accept: "application/json;q=0.5, text/yaml" })).text).toBe(source);
    const json = await t.api("/profile");
    expect(json.headers.get("content-type")).toContain("application/json");
    expect(json.body).toEqual({ version: 1, profile: { identity: { emailDomains: ["acme.example"] }, sync: { passwords: "unsupported" } } });
    expect((await t.api("/profile", { headers: { accept: "application/json, application/yaml" } })).body.version).toBe(1);
  });

  it("refuses a query parameter or a body", async () => {
    const query = await t.api("/profile?format=yaml");
    expect(query.status).toBe(400);
    expect(query.body.error).toMatchObject({ code: "invalidRequest", message: expect.stringContaining('unknown query parameter "format"') });
  });
});

describe("PUT /api/v1/tenants/{tenant}/profile", () => {
  let t: Tenant;
  beforeAll(async () => {
    t = await tenant("writer");
  });

  it.each(PROFILE_EXAMPLES)("accepts the example profile %s as YAML and reads it back exactly", async (example) => {
    const source = await readFile(new URL(`../../examples/profiles/${example}.yaml`, import.meta.url), "utf8");
    const before = (await t.api("/profile")).body.version as number;
    const put = await putYaml(t, source);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ version: before + 1, previousVersion: before, impact: { users: 0 } });
    expect((await t.text("/profile", { accept: YAML })).text).toBe(source);
    expect((await t.api("/profile")).body).toEqual({ version: before + 1, profile: parse(source) });
  });

  it.each(PROFILE_EXAMPLES)("accepts the example profile %s as the equivalent JSON object, stored as YAML", async (example) => {
    const object = parse(await readFile(new URL(`../../examples/profiles/${example}.yaml`, import.meta.url), "utf8"));
    const put = await t.api("/profile", { method: "PUT", body: object });
    expect(put.status).toBe(200);
    expect((await t.api("/profile")).body.profile).toEqual(object);
    expect(parse((await t.text("/profile", { accept: YAML })).text)).toEqual(object);
  });

  it("takes an empty JSON object or an empty YAML text as the empty profile", async () => {
    expect((await t.api("/profile", { method: "PUT", body: {} })).status).toBe(200);
    expect((await t.api("/profile")).body.profile).toBeNull();
    expect((await putYaml(t, "")).status).toBe(200);
    expect((await t.api("/profile")).body.profile).toBeNull();
  });

  it("reports every problem of a YAML profile at once, in line order, with line, column and path", async () => {
    const version = (await t.api("/profile")).body.version;
    const source = [
      "roles:", //                                           1
      "  fromAttribute: missing", //                         2
      "attributes:", //                                      3
      "  user_type:", //                                     4
      "    type: strnig", //                                 5
      "identity:", //                                        6
      '  emailDomains: [acme.example, "not a domain"]', //   7
      "  colour: blue", //                                   8
    ].join("\n");
    const put = await putYaml(t, source);
    expect(put.status).toBe(400);
    expect(put.body.error.problems).toEqual([
      { line: 2, column: 18, path: "roles.fromAttribute", message: 'expected the name of an attribute declared under attributes (none declared), got "missing"' },
      { line: 5, column: 11, path: "attributes.user_type.type", message: 'expected one of string, boolean, integer, decimal, dateTime, got "strnig"' },
      { line: 7, column: 32, path: "identity.emailDomains[1]", message: 'expected a domain name such as example.com, got "not a domain"' },
      { line: 8, column: 3, path: "identity.colour", message: "unknown option; expected one of userNameIsEmail, emailDomains, defaults, timezones" },
    ]);
    expect(put.body.error.code).toBe("invalidProfile");
    expect(put.body.error.message).toBe(
      'the profile is not valid (4 problems; see problems): line 2, column 18, roles.fromAttribute: expected the name of an attribute declared under attributes (none declared), got "missing"',
    );
    expect((await t.api("/profile")).body.version).toBe(version);
  });

  it("lists the first 1,000 problems of a profile that has more, and says how many there are", async () => {
    const source = `identity:\n${Array.from({ length: 1500 }, (_, index) => `  option${index}: x`).join("\n")}\n`;
    const put = await putYaml(t, source);
    expect(put.status).toBe(400);
    expect(put.body.error.problems).toHaveLength(1000);
    expect(put.body.error.problems[999]).toMatchObject({ line: 1001, path: "identity.option999" });
    expect(put.body.error.message).toMatch(/^the profile is not valid \(1500 problems, the first 1000 listed; see problems\): line 2, column 3, identity\.option0: unknown option/);
  });

  it("reports a YAML syntax error with its position and no path", async () => {
    const put = await putYaml(t, "identity:\n  emailDomains: [acme.example\n");
    expect(put.status).toBe(400);
    expect(put.body.error.code).toBe("invalidProfile");
    expect(put.body.error.problems[0]).toMatchObject({ line: expect.any(Number), column: expect.any(Number), path: null, message: expect.any(String) });
  });

  it("reports the problems of a JSON profile by path, without lines or columns", async () => {
    const put = await t.api("/profile", { method: "PUT", body: { identity: { emailDomains: ["acme.example", "nope"] }, sync: { users: "yes" } } });
    expect(put.status).toBe(400);
    expect(put.body.error.problems).toEqual([
      { line: null, column: null, path: "identity.emailDomains[1]", message: 'expected a domain name such as example.com, got "nope"' },
      { line: null, column: null, path: "sync.users", message: 'expected true or false, got "yes"' },
    ]);
    expect(put.body.error.message).toBe('the profile is not valid (2 problems; see problems): identity.emailDomains[1]: expected a domain name such as example.com, got "nope"');
  });

  it("refuses a NUL character in the YAML text, naming where it is", async () => {
    const put = await putYaml(t, "attributes:\n  team:\n    type: string\n    allowedValues: [red, \"bl\\0ue\"]\n");
    expect(put.status).toBe(400);
    expect(put.body.error.problems).toEqual([{ line: 4, column: 26, path: "attributes.team.allowedValues[1]", message: "the text holds a NUL character, which no profile value may contain" }]);
  });

  it("refuses a mapping to a role the application has not declared", async () => {
    const put = await putYaml(t, "roles:\n  fromGroups:\n    mappings:\n      Okta-Admins: Fleet Admin\n");
    expect(put.status).toBe(400);
    expect(put.body.error.problems).toEqual([
      {
        line: 4,
        column: 20,
        path: "roles.fromGroups.mappings.Okta-Admins",
        message: 'expected a role the application declared (none is declared yet); declare it first with PUT /api/v1/tenants/writer/roles, got "Fleet Admin"',
      },
    ]);
    expect((await t.api("/roles", { method: "PUT", body: ["Fleet Admin"] })).status).toBe(200);
    expect((await putYaml(t, "roles:\n  fromGroups:\n    mappings:\n      Okta-Admins: Fleet Admin\n")).status).toBe(200);
  });

  it("refuses an unknown top-level option of a JSON profile, and a JSON body that is not an object, with 400 naming them", async () => {
    const unknown = await t.api("/profile", { method: "PUT", body: { identity: {}, colour: "blue" } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: "invalidRequest", message: expect.stringContaining('unknown field "colour"') });
    for (const body of [["identity"], "identity", 42]) {
      const refused = await t.api("/profile", { method: "PUT", body: JSON.stringify(body) });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: "invalidRequest", message: expect.stringContaining("expected the profile as a JSON object") });
    }
    const query = await t.api("/profile?dryRun=true", { method: "PUT", body: {} });
    expect(query.status).toBe(400);
    expect(query.body.error.message).toContain('unknown query parameter "dryRun"');
  });

  it("refuses a profile text over 256 KiB the same way on PUT, check and POST /tenants, storing nothing", async () => {
    const t = await tenant("oversized");
    const oversized = `# ${"x".repeat(MAX_PROFILE_SOURCE_LENGTH)}\nsync:\n  passwords: unsupported\n`;
    const refusal = { code: "invalidRequest", message: `profile: ${oversized.length} characters long; at most ${MAX_PROFILE_SOURCE_LENGTH} are allowed` };
    expect((await putYaml(t, oversized)).body.error).toEqual(refusal);
    expect((await putYaml(t, oversized, "/profile/check")).body.error).toEqual(refusal);
    expect((await t.api("/profile")).body).toEqual({ version: 0, profile: null });
    const admin = await createApiKey(roster.store, undefined, "oversized operator");
    const created = await apiFetch(`${roster.url}/api/v1/tenants`, admin.key, { body: { slug: "oversized-new", profile: oversized } });
    expect(created.status).toBe(400);
    expect(created.body.error).toEqual(refusal);
    expect(await roster.store.read((session) => session.findTenantBySlug("oversized-new"))).toBeUndefined();
  });

  it("answers 415 for a body that is neither JSON nor YAML, and for YAML sent where only JSON is taken", async () => {
    const plain = await t.text("/profile", { method: "PUT", body: "identity: {}", contentType: "text/plain" });
    expect(plain.status).toBe(415);
    expect(JSON.parse(plain.text).error).toMatchObject({ code: "unsupportedMediaType", message: expect.stringContaining("application/yaml") });
    const roles = await t.text("/roles", { method: "PUT", body: "- Driver\n", contentType: YAML });
    expect(roles.status).toBe(415);
    expect(JSON.parse(roles.text).error).toMatchObject({ code: "unsupportedMediaType", message: "PUT roles takes no YAML body; send it as application/json" });
  });

  it("records profile.updated in the audit log with the key that made it and the versions and texts before and after", async () => {
    const audited = await tenant("audited");
    expect((await putYaml(audited, "sync:\n  passwords: unsupported\n")).status).toBe(200);
    expect((await audited.api("/profile", { method: "PUT", body: { sync: { users: false } } })).status).toBe(200);
    const entries = (await roster.store.read((session) => session.listAuditEntries({ tenantId: audited.scim.tenant.id, limit: 10 }))).filter(
      (entry) => entry.action === "profile.updated",
    );
    expect(entries.map((entry) => [entry.actor, entry.action, entry.target])).toEqual([
      [`apikey:${audited.keyId}`, "profile.updated", "audited"],
      [`apikey:${audited.keyId}`, "profile.updated", "audited"],
    ]);
    expect(JSON.parse(entries[0]?.details ?? "null")).toEqual({
      before: { version: 1, source: "sync:\n  passwords: unsupported\n" },
      after: { version: 2, source: "sync:\n  users: false\n" },
    });
    expect(JSON.parse(entries[1]?.details ?? "null")).toEqual({ before: { version: 0, source: null }, after: { version: 1, source: "sync:\n  passwords: unsupported\n" } });
  });

  it("records nothing when the profile is refused", async () => {
    const refused = await tenant("refused");
    const before = await roster.store.read((session) => session.listAuditEntries({ tenantId: refused.scim.tenant.id, limit: 10 }));
    expect((await putYaml(refused, "sync:\n  users: maybe\n")).status).toBe(400);
    expect(await roster.store.read((session) => session.listAuditEntries({ tenantId: refused.scim.tenant.id, limit: 10 }))).toEqual(before);
  });
});

describe("the profile endpoints and API keys", () => {
  it("lets an administrator key read and replace any tenant's profile, recorded as that key's", async () => {
    const t = await tenant("administered");
    const admin = await createApiKey(roster.store, undefined, "operator");
    const put = await t.api("/profile", { method: "PUT", body: { sync: { users: false } }, as: admin.key });
    expect(put.status).toBe(200);
    expect((await t.api("/profile", { as: admin.key })).body).toEqual({ version: 1, profile: { sync: { users: false } } });
    expect((await t.api("/profile/check", { body: {}, as: admin.key })).body).toMatchObject({ valid: true, version: 1 });
    const entries = await roster.store.read((session) => session.listAuditEntries({ tenantId: t.scim.tenant.id, limit: 10 }));
    expect(entries.filter((entry) => entry.action === "profile.updated").map((entry) => entry.actor)).toEqual([`apikey:${admin.record.id}`]);
    const missing = await apiFetch(`${roster.url}/api/v1/tenants/nobody/profile`, admin.key);
    expect(missing.status).toBe(404);
  });

  it("answers 403 to a key of another tenant on every profile endpoint, and 401 without a key", async () => {
    const t = await tenant("guarded");
    const calls: [string, string][] = [
      ["GET", "/profile"],
      ["PUT", "/profile"],
      ["POST", "/profile/check"],
    ];
    for (const [method, path] of calls) {
      const init = method === "GET" ? { method } : { method, body: { sync: { users: false } } };
      const foreign = await t.api(path, { ...init, as: other.key });
      expect(foreign.status, `${method} ${path}`).toBe(403);
      expect(foreign.body.error).toEqual({ code: "forbidden", message: 'this API key is for another tenant; it cannot act on tenant "guarded"' });
      expect((await t.api(path, { ...init, as: null })).status, `${method} ${path}`).toBe(401);
    }
    expect((await t.api("/profile")).body.version).toBe(0);
  });
});

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

function narrowable(options: { userTypes: string; domains: string; drivers: string }): string {
  return `attributes:
  user_type:
    namespace: enterprise
    type: string
    allowedValues: [${options.userTypes}]
roles:
  fromGroups:
    matchDeclaredRoles: false
    mappings:
      Okta-Drivers: ${options.drivers}
      Okta-Mechanics: Mechanic
identity:
  emailDomains: [${options.domains}]
`;
}

const WIDE = narrowable({ userTypes: "admin, regular, contractor", domains: "acme.example, old.example", drivers: "Driver" });
const NARROW = narrowable({ userTypes: "admin, regular", domains: "acme.example", drivers: "Mechanic" });

describe("POST /api/v1/tenants/{tenant}/profile/check, then PUT: the impact on the directory as it is", () => {
  let t: Tenant;
  const ids: Record<string, string> = {};

  async function scimUser(userName: string, userType: string): Promise<void> {
    const created = await t.scim.scim("/Users", {
      body: {
        schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        userName,
        emails: [{ value: userName, type: "work", primary: true }],
        active: true,
        [ENTERPRISE]: { user_type: userType },
      },
    });
    expect(created.status).toBe(201);
    ids[userName] = created.body.id;
  }

  beforeAll(async () => {
    t = await tenant("impact");
    expect((await t.api("/roles", { method: "PUT", body: ["Driver", "Mechanic"] })).status).toBe(200);
    expect((await putYaml(t, WIDE)).status).toBe(200);
    await scimUser("dana@acme.example", "regular");
    await scimUser("eve@old.example", "contractor");
    await scimUser("fox@old.example", "regular");
    await scimUser("gil@acme.example", "contractor");
    await scimUser("hal@acme.example", "admin");
    for (const [displayName, members] of [
      ["Okta-Drivers", ["dana@acme.example", "eve@old.example"]],
      ["Okta-Mechanics", ["fox@old.example"]],
    ] as const) {
      const group = await t.scim.scim("/Groups", {
        body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName, members: members.map((name) => ({ value: ids[name] })) },
      });
      expect(group.status).toBe(201);
    }
    // The application's own user: the identity provider never writes it, so no SCIM rule judges it.
    expect((await t.api("/users", { method: "POST", body: { userName: "zed@elsewhere.example", emails: [{ value: "zed@elsewhere.example" }] } })).status).toBe(201);
  });

  const user = (userName: string, active = true) => ({ id: ids[userName], userName, active });
  const expectedImpact = () => ({
    users: 6,
    breakingRules: {
      count: 3,
      examples: [
        { ...user("eve@old.example"), rule: 'attribute "emails[0].value": "eve@old.example" is not in an allowed email domain of this tenant (acme.example)' },
        { ...user("fox@old.example"), rule: 'attribute "emails[0].value": "fox@old.example" is not in an allowed email domain of this tenant (acme.example)' },
        { ...user("gil@acme.example"), rule: `attribute "${ENTERPRISE}:user_type": "contractor" is not an allowed value; expected one of admin, regular` },
      ],
    },
    roles: [
      { role: "Driver", granted: 0, revoked: 2, grantedExamples: [], revokedExamples: [user("dana@acme.example"), user("eve@old.example")] },
      { role: "Mechanic", granted: 2, revoked: 0, grantedExamples: [user("dana@acme.example"), user("eve@old.example")], revokedExamples: [] },
    ],
    otherRoleChanges: 0,
    admin: { granted: 0, revoked: 0, grantedExamples: [], revokedExamples: [] },
  });

  it("counts the users the new rules refuse, with the rule each breaks, and the roles granted and revoked, saving nothing", async () => {
    const versionBefore = (await t.api("/profile")).body.version as number;
    const eventsBefore = (await t.api("/events?limit=1000")).body.data.length as number;
    const auditBefore = await roster.store.read((session) => session.listAuditEntries({ tenantId: t.scim.tenant.id, limit: 100 }));

    const checked = await putYaml(t, NARROW, "/profile/check");
    expect(checked.status).toBe(200);
    expect(checked.body).toEqual({ valid: true, version: versionBefore, impact: expectedImpact() });
    // The same as JSON.
    const asJson = await t.api("/profile/check", { body: parse(NARROW) });
    expect(asJson.body).toEqual(checked.body);

    expect((await t.text("/profile", { accept: YAML })).text).toBe(WIDE);
    expect((await t.api("/profile")).body.version).toBe(versionBefore);
    expect((await t.api("/events?limit=1000")).body.data).toHaveLength(eventsBefore);
    expect(await roster.store.read((session) => session.listAuditEntries({ tenantId: t.scim.tenant.id, limit: 100 }))).toEqual(auditBefore);
  });

  it("answers a refused profile as PUT does: 400 invalidProfile with every problem", async () => {
    const checked = await putYaml(t, "roles:\n  fromGroups:\n    mappings:\n      Okta-Admins: Owner\n", "/profile/check");
    expect(checked.status).toBe(400);
    expect(checked.body.error.code).toBe("invalidProfile");
    expect(checked.body.error.problems).toEqual([
      {
        line: 4,
        column: 20,
        path: "roles.fromGroups.mappings.Okta-Admins",
        message: 'expected a role the application declared (declared: Driver, Mechanic); declare it first with PUT /api/v1/tenants/impact/roles, got "Owner"',
      },
    ]);
  });

  it("applies the change with PUT, answering the impact check reported, and records one role event per role granted or revoked", async () => {
    const after = (await t.api("/events?limit=1000")).body.nextCursor as string;
    const put = await putYaml(t, NARROW);
    expect(put.status).toBe(200);
    expect(put.body.impact).toEqual(expectedImpact());
    const events = (await t.api(`/events?after=${after}&limit=1000`)).body.data as { type: string; data: { role: string; user: { id: string } } }[];
    const roleEvents = events.map((event) => [event.type, event.data.role, event.data.user.id]).sort();
    expect(roleEvents).toEqual(
      [
        ["role.granted", "Mechanic", ids["dana@acme.example"]],
        ["role.granted", "Mechanic", ids["eve@old.example"]],
        ["role.revoked", "Driver", ids["dana@acme.example"]],
        ["role.revoked", "Driver", ids["eve@old.example"]],
      ].sort(),
    );
  });

  it("never makes deprovisioning impossible: a user the narrowed profile refuses is deactivated and deleted over SCIM", async () => {
    for (const userName of ["eve@old.example", "gil@acme.example"]) {
      const id = ids[userName] as string;
      const deactivated = await t.scim.scim(`/Users/${id}`, {
        method: "PATCH",
        body: { schemas: [PATCH], Operations: [{ op: "replace", value: { active: false } }] },
      });
      expect(deactivated.status, userName).toBe(200);
      expect(deactivated.body.active).toBe(false);
      expect((await t.scim.scim(`/Users/${id}`, { method: "DELETE" })).status, userName).toBe(204);
      expect((await t.scim.scim(`/Users/${id}`)).status).toBe(404);
    }
    // The impact now counts only the user left who breaks a rule.
    const checked = await putYaml(t, NARROW, "/profile/check");
    expect(checked.body.impact).toMatchObject({ users: 4, breakingRules: { count: 1, examples: [user("fox@old.example")] }, roles: [] });
  });
});
