import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assertBuilt, cliEnv, lastLine, runRoster, tempDatabase } from "./run-cli.js";

let db: Awaited<ReturnType<typeof tempDatabase>>;
let env: NodeJS.ProcessEnv;

beforeAll(assertBuilt);
beforeEach(async () => {
  db = await tempDatabase();
  env = cliEnv({ ROSTER_DATABASE_URL: db.path });
  expect((await runRoster(["tenants", "create", "acme"], env)).code).toBe(0);
});
afterEach(() => db.dispose());

describe("roster api-keys", () => {
  it("prints {id, key} once with --json, for a tenant or as an administrator key", async () => {
    for (const flags of [["--tenant", "acme"], []]) {
      const result = await runRoster(["api-keys", "create", "--json", ...flags], env);
      expect(result).toMatchObject({ code: 0, stderr: "" });
      expect(JSON.parse(lastLine(result.stdout))).toEqual({ id: expect.any(String), key: expect.stringMatching(/^rosterkey_[A-Za-z0-9_-]{43}$/) });
    }
  });

  it("lists keys with their tenant, never their secret, and revokes one", async () => {
    const created = JSON.parse(lastLine((await runRoster(["api-keys", "create", "--tenant", "acme", "--name", "fleet", "--json"], env)).stdout));
    await runRoster(["api-keys", "create", "--json"], env);
    const listed = await runRoster(["api-keys", "list", "--json"], env);
    expect(listed.stdout).not.toContain(created.key);
    expect(JSON.parse(listed.stdout)).toEqual([
      { id: created.id, name: "fleet", tenant: "acme", created: expect.any(String), revoked: null },
      { id: expect.any(String), name: "unnamed", tenant: null, created: expect.any(String), revoked: null },
    ]);
    expect((await runRoster(["api-keys", "list"], env)).stdout).toContain("(administrator)");
    expect(await runRoster(["api-keys", "revoke", created.id], env)).toMatchObject({ code: 0, stdout: `Revoked API key ${created.id}.\n` });
    const again = await runRoster(["api-keys", "revoke", created.id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("no active API key");
  });

  it("refuses an unknown tenant with exit status 1", async () => {
    const result = await runRoster(["api-keys", "create", "--tenant", "nowhere"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('tenant "nowhere" does not exist');
  });

  it("refuses an unknown subcommand with exit status 2", async () => {
    const result = await runRoster(["api-keys", "rotate"], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("expected create, list or revoke");
  });
});

describe("roster api-keys in the audit log", () => {
  it("records create and revoke as made by the cli, never the key", async () => {
    const created = JSON.parse(lastLine((await runRoster(["api-keys", "create", "--tenant", "acme", "--name", "fleet", "--json"], env)).stdout));
    expect((await runRoster(["api-keys", "revoke", created.id], env)).code).toBe(0);
    const { openStore } = await import("../../src/store/open-store.js");
    const store = await openStore(db.path);
    try {
      const entries = await store.read((session) => session.listAuditEntries({ limit: 10 }));
      expect(entries.map((entry) => `${entry.actor} ${entry.action} ${entry.tenantSlug} ${entry.target}`)).toEqual([
        `cli apikey.revoked acme ${created.id}`,
        `cli apikey.created acme ${created.id}`,
        "cli tenant.created acme acme",
      ]);
      expect(JSON.stringify(entries)).not.toContain(created.key);
      expect(JSON.parse(entries[1]?.details ?? "{}")).toEqual({ after: { name: "fleet", tenant: "acme" } });
    } finally {
      await store.close();
    }
  });
});
