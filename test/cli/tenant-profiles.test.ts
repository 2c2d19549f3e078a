import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ROLES_LIST } from "../../src/directory/lists.js";
import { getTenantProfileSource } from "../../src/directory/tenant-profiles.js";
import { getTenantBySlug } from "../../src/directory/tenants.js";
import { openStore } from "../../src/store/open-store.js";
import { assertBuilt, cliEnv, runRoster, tempDatabase } from "./run-cli.js";

let db: Awaited<ReturnType<typeof tempDatabase>>;
let env: NodeJS.ProcessEnv;

beforeAll(assertBuilt);
beforeEach(async () => {
  db = await tempDatabase();
  env = cliEnv({ ROSTER_DATABASE_URL: db.path });
});
afterEach(() => db.dispose());

async function profileFile(name: string, source: string): Promise<string> {
  const path = join(db.dir, name);
  await writeFile(path, source);
  return path;
}

async function storedSource(slug: string): Promise<string | null> {
  const store = await openStore(db.path);
  try {
    return await getTenantProfileSource(store, slug);
  } finally {
    await store.close();
  }
}

const GOOD = "attributes:\n  role:\n    type: string\n";
const MAPPING = "roles:\n  fromGroups:\n    mappings:\n      Okta-Admins: Fleet Admin\n";

/** What the application's `PUT roles` stores, written directly. */
async function declareRoles(slug: string, roles: readonly string[]): Promise<void> {
  const store = await openStore(db.path);
  try {
    const tenant = await getTenantBySlug(store, slug);
    await store.transaction((session) => session.putList(tenant.id, ROLES_LIST, roles, new Date().toISOString()));
  } finally {
    await store.close();
  }
}

describe("roster tenants --profile", () => {
  it("creates a tenant with a profile and stores its source", async () => {
    const file = await profileFile("good.yaml", GOOD);
    const result = await runRoster(["tenants", "create", "acme", "--profile", file], env);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(await storedSource("acme")).toBe(GOOD);
  });

  it("refuses an invalid profile with every problem as file:line:column and creates no tenant", async () => {
    const file = await profileFile("fleetio.yaml", "attributes:\n  user_type:\n    type: strnig\n  x:\n    type: string\n    multiValued: maybe\n");
    const result = await runRoster(["tenants", "create", "acme", "--profile", file], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      `roster: ${file}:3:11: attributes.user_type.type: expected one of string, boolean, integer, decimal, dateTime, got "strnig"`,
      `roster: ${file}:6:18: attributes.x.multiValued: expected true or false, got "maybe"`,
    ]);
    expect((await runRoster(["migrate"], env)).code).toBe(0);
    const list = await runRoster(["tenants", "list", "--json"], env);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it("replaces a tenant's profile with update", async () => {
    await runRoster(["tenants", "create", "acme"], env);
    expect(await storedSource("acme")).toBeNull();
    const file = await profileFile("next.yaml", GOOD);
    const result = await runRoster(["tenants", "update", "acme", "--profile", file], env);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain('Updated the profile of tenant "acme"');
    expect(await storedSource("acme")).toBe(GOOD);
  });

  it("keeps the stored profile when update is given an invalid one", async () => {
    const good = await profileFile("good.yaml", GOOD);
    await runRoster(["tenants", "create", "acme", "--profile", good], env);
    const bad = await profileFile("bad.yaml", "attributes:\n  role:\n    type: text\n");
    const result = await runRoster(["tenants", "update", "acme", "--profile", bad], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${bad}:3:11: attributes.role.type`);
    expect(await storedSource("acme")).toBe(GOOD);
  });

  it.each([
    [["tenants", "update", "acme"], 2, /missing --profile/],
    [["tenants", "update", "ghost", "--profile", "/nonexistent/p.yaml"], 1, /cannot read profile "\/nonexistent\/p.yaml": no such file/],
  ])("exits with one line for %j", async (args, code, pattern) => {
    const result = await runRoster(args, env);
    expect(result.code).toBe(code);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(pattern);
  });

  it("exits 1 naming the tenant when update names an unknown tenant", async () => {
    expect((await runRoster(["migrate"], env)).code).toBe(0);
    const file = await profileFile("good.yaml", GOOD);
    const result = await runRoster(["tenants", "update", "ghost", "--profile", file], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/tenant "ghost" does not exist/);
  });

  it("refuses a mapping to a role the application has not declared, at its line, and keeps the stored profile", async () => {
    await runRoster(["tenants", "create", "acme"], env);
    await declareRoles("acme", ["Driver"]);
    const file = await profileFile("mapping.yaml", MAPPING);
    const result = await runRoster(["tenants", "update", "acme", "--profile", file], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      `roster: ${file}:4:20: roles.fromGroups.mappings.Okta-Admins: expected a role the application declared (declared: Driver); declare it first with PUT /api/v1/tenants/acme/roles, got "Fleet Admin"`,
    ]);
    expect(await storedSource("acme")).toBeNull();
    await declareRoles("acme", ["Driver", "Fleet Admin"]);
    const accepted = await runRoster(["tenants", "update", "acme", "--profile", file], env);
    expect(accepted).toMatchObject({ code: 0, stderr: "" });
    expect(await storedSource("acme")).toBe(MAPPING);
  });

  it("refuses a mapping to a role when creating a tenant (which has declared none yet) and creates no tenant", async () => {
    const file = await profileFile("mapping.yaml", MAPPING);
    const result = await runRoster(["tenants", "create", "acme", "--profile", file], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      `roster: ${file}:4:20: roles.fromGroups.mappings.Okta-Admins: expected a role the application declared (none is declared yet); declare it first with PUT /api/v1/tenants/acme/roles, then roster tenants update, got "Fleet Admin"`,
    ]);
    // The refusal came before the database was opened: migrate makes it, and it holds no tenant.
    expect((await runRoster(["migrate"], env)).code).toBe(0);
    const list = await runRoster(["tenants", "list", "--json"], env);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it("records the update in the audit log as the command line's, with the versions and texts before and after", async () => {
    await runRoster(["tenants", "create", "acme"], env);
    const file = await profileFile("good.yaml", GOOD);
    expect(await runRoster(["tenants", "update", "acme", "--profile", file], env)).toMatchObject({ code: 0, stderr: "" });
    const store = await openStore(db.path);
    try {
      const tenant = await getTenantBySlug(store, "acme");
      const entries = await store.read((session) => session.listAuditEntries({ tenantId: tenant.id, limit: 10 }));
      const updates = entries.filter((entry) => entry.action === "profile.updated");
      expect(updates.map((entry) => [entry.actor, entry.target, JSON.parse(entry.details ?? "null")])).toEqual([
        ["cli", "acme", { before: { version: 0, source: null }, after: { version: 1, source: GOOD } }],
      ]);
    } finally {
      await store.close();
    }
  });

  it("lists a refused profile's problems in line order, whatever order the options are checked in", async () => {
    await runRoster(["tenants", "create", "acme"], env);
    const file = await profileFile("ordered.yaml", "identity:\n  timezones: sometimes\nattributes:\n  x:\n    type: strnig\n");
    const result = await runRoster(["tenants", "update", "acme", "--profile", file], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      `roster: ${file}:2:14: identity.timezones: expected one of any, iana, got "sometimes"`,
      `roster: ${file}:5:11: attributes.x.type: expected one of string, boolean, integer, decimal, dateTime, got "strnig"`,
    ]);
  });
});
