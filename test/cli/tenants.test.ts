import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertBuilt, cliEnv, runRoster, tempDatabase } from "./run-cli.js";

let db: Awaited<ReturnType<typeof tempDatabase>>;
let env: NodeJS.ProcessEnv;

beforeAll(assertBuilt);
beforeEach(async () => {
  db = await tempDatabase();
  env = cliEnv({ ROSTER_DATABASE_URL: db.path });
});
afterEach(() => db.dispose());

function expectOneLineError(result: { code: number | null; stdout: string; stderr: string }, code: number, pattern: RegExp) {
  expect(result.code).toBe(code);
  expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(result.stderr).toMatch(/^roster: /);
  expect(result.stderr).toMatch(pattern);
}

describe("roster tenants", () => {
  it("creates a tenant and prints its SCIM base URL", async () => {
    const result = await runRoster(["tenants", "create", "acme"], env);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("http://localhost:8080/scim/v2/acme");
  });

  it("prints the created tenant as JSON with --json, using ROSTER_PUBLIC_URL", async () => {
    const result = await runRoster(["tenants", "create", "acme", "--json"], { ...env, ROSTER_PUBLIC_URL: "https://scim.example.com/" });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      id: expect.any(String),
      slug: "acme",
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      scimBaseUrl: "https://scim.example.com/scim/v2/acme",
    });
  });

  it("lists tenants as JSON with --json", async () => {
    await runRoster(["tenants", "create", "acme"], env);
    await runRoster(["tenants", "create", "globex", "--database", db.path], cliEnv());
    const result = await runRoster(["tenants", "list", "--json"], env);
    expect(result.code).toBe(0);
    const slugs = (JSON.parse(result.stdout) as { slug: string }[]).map((t) => t.slug).sort();
    expect(slugs).toEqual(["acme", "globex"]);
  });

  it("lists tenants as a table", async () => {
    await runRoster(["tenants", "create", "acme"], env);
    const result = await runRoster(["tenants", "list"], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^SLUG\s+CREATED\s+SCIM BASE URL\nacme\s+\S+\s+http:\/\/localhost:8080\/scim\/v2\/acme\n$/);
  });

  it("exits 1 with one line when the slug is taken", async () => {
    await runRoster(["tenants", "create", "acme"], env);
    const result = await runRoster(["tenants", "create", "acme"], env);
    expectOneLineError(result, 1, /tenant "acme" already exists/);
  });

  it.each([
    ["Acme", /"A" at column 1/],
    ["acme_corp", /"_" at column 5/],
    ["-acme", /starts or ends with "-"/],
    ["acme-", /starts or ends with "-"/],
    ["a".repeat(64), /64 characters long; at most 63/],
  ])("refuses the slug %j as a bad command line (exit 2) with one line naming the problem", async (slug, pattern) => {
    const result = await runRoster(["tenants", "create", "--", slug], env);
    expectOneLineError(result, 2, pattern);
  });

  it("accepts a one-character slug and a 63-character slug", async () => {
    expect((await runRoster(["tenants", "create", "a"], env)).code).toBe(0);
    expect((await runRoster(["tenants", "create", `a${"-b".repeat(31)}`], env)).code).toBe(0);
  });

  it.each([
    [["tenants", "create"], /missing <slug>/],
    [["tenants", "create", "a", "b"], /unexpected argument "b"/],
    [["tenants", "create", "acme", "--frobnicate"], /^roster: tenants create: unknown option '--frobnicate' \(see: roster tenants create --help\)\n$/],
    [["tenants", "rename"], /unknown subcommand "rename"/],
    [["tenants"], /missing subcommand/],
    [["tenants", "list", "--public-url", "ftp://x"], /must use http or https/],
    [["tenants", "list", "--public-url", "not a url"], /is not an absolute URL/],
  ])("exits 2 with one line for the bad command line %j", async (args, pattern) => {
    expectOneLineError(await runRoster(args, env), 2, pattern);
  });
});

describe("roster", () => {
  it("prints usage and exits 0 for --help", async () => {
    const result = await runRoster(["--help"], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: roster <command>/);
    for (const name of ["serve", "tenants", "tokens", "requests", "events", "migrate"]) expect(result.stdout).toContain(`  ${name}`);
  });

  it.each(["serve", "tenants", "tokens", "requests", "events", "migrate"])("prints usage of %s and exits 0 for `%s --help`", async (name) => {
    const result = await runRoster([name, "--help"], env);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain(`roster ${name}`);
  });

  it("exits 2 with one line for an unknown command", async () => {
    expectOneLineError(await runRoster(["frobnicate"], env), 2, /unknown command "frobnicate"/);
  });

  it("exits 2 with one line when no command is given", async () => {
    expectOneLineError(await runRoster([], env), 2, /missing command/);
  });

  it("runs migrations and exits 0 with `migrate`, creating the database folder", async () => {
    const result = await runRoster(["migrate", "--database", `${db.dir}/nested/roster.db`], cliEnv());
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("is up to date");
  });
});

describe("roster tenants show and delete", () => {
  async function auditActions(): Promise<string[]> {
    const { openStore } = await import("../../src/store/open-store.js");
    const store = await openStore(db.path);
    try {
      return (await store.read((session) => session.listAuditEntries({ limit: 100 }))).map((entry) => `${entry.actor} ${entry.action} ${entry.target}`);
    } finally {
      await store.close();
    }
  }

  it("shows a tenant as JSON with its base URL, switch, profile version, tokens and users", async () => {
    await runRoster(["tenants", "create", "acme"], env);
    await runRoster(["tokens", "create", "--tenant", "acme"], env);
    const result = await runRoster(["tenants", "show", "acme", "--json"], { ...env, ROSTER_PUBLIC_URL: "https://scim.example.com" });
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(result.stdout)).toEqual({
      slug: "acme",
      name: null,
      scimBaseUrl: "https://scim.example.com/scim/v2/acme",
      profileVersion: 0,
      scimEnabled: true,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      activeTokens: 1,
      users: 0,
    });
  });

  it("shows a tenant as text", async () => {
    await runRoster(["tenants", "create", "acme"], env);
    const result = await runRoster(["tenants", "show", "acme"], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Tenant:\s+acme\nSCIM base URL:\s+http:\/\/localhost:8080\/scim\/v2\/acme\nSCIM sync:\s+on\n/);
  });

  it("exits 1 with one line for a tenant that does not exist", async () => {
    await runRoster(["tenants", "create", "acme"], env);
    expectOneLineError(await runRoster(["tenants", "show", "nowhere"], env), 1, /tenant "nowhere" does not exist/);
  });

  it("refuses to delete without --confirm naming the same slug, with exit 2, and deletes nothing", async () => {
    await runRoster(["tenants", "create", "acme"], env);
    expectOneLineError(await runRoster(["tenants", "delete", "acme"], env), 2, /missing --confirm acme/);
    expectOneLineError(await runRoster(["tenants", "delete", "acme", "--confirm", "acne"], env), 2, /--confirm "acne" is not "acme"/);
    expect((await runRoster(["tenants", "show", "acme"], env)).code).toBe(0);
  });

  it("deletes a tenant with --confirm, and records create and delete in the audit log as the cli", async () => {
    await runRoster(["tenants", "create", "acme"], env);
    const result = await runRoster(["tenants", "delete", "acme", "--confirm", "acme"], env);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain('Deleted tenant "acme"');
    expectOneLineError(await runRoster(["tenants", "show", "acme"], env), 1, /does not exist/);
    expect(await auditActions()).toEqual(["cli tenant.deleted acme", "cli tenant.created acme"]);
    expectOneLineError(await runRoster(["tenants", "delete", "acme", "--confirm", "acme"], env), 1, /tenant "acme" does not exist/);
  });
});
