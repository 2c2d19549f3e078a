import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import type { AuditEntry } from "../../src/store/store.js";
import { newKeyText } from "../webhooks/support.js";
import { assertBuilt, cliEnv, lastLine, runRoster, tempDatabase } from "./run-cli.js";

// `roster tokens create --expires`, expiry in `roster tokens list`, and the audit log entries the
// command line writes (actor "cli") for tokens and webhooks.

let db: Awaited<ReturnType<typeof tempDatabase>>;
let env: NodeJS.ProcessEnv;

beforeAll(assertBuilt);
beforeEach(async () => {
  db = await tempDatabase();
  env = cliEnv({ ROSTER_DATABASE_URL: db.path, ROSTER_SECRET_KEY: newKeyText() });
  expect((await runRoster(["tenants", "create", "acme"], env)).code).toBe(0);
});
afterEach(() => db.dispose());

async function run(args: readonly string[]): Promise<Record<string, any>> {
  const result = await runRoster(args, env);
  expect(result, result.stderr).toMatchObject({ code: 0, stderr: "" });
  return JSON.parse(lastLine(result.stdout)) as Record<string, any>;
}

/** The token and webhook entries of the audit log, oldest first. */
async function auditEntries(): Promise<readonly AuditEntry[]> {
  const store = await openStore(db.path);
  try {
    // Token and webhook entries only: creating the tenant may be audited too.
    const entries = await store.read((s) => s.listAuditEntries({ limit: 100 }));
    return entries.filter((entry) => /^(token|webhook)\./.test(entry.action)).reverse();
  } finally {
    await store.close();
  }
}

const DAY_MS = 86_400_000;

describe("roster tokens create --expires", () => {
  it("sets an expiry from a number of days or an ISO time, shown by create and list", async () => {
    const before = Date.now();
    const relative = await run(["tokens", "create", "--tenant", "acme", "--expires", "90d", "--json"]);
    const expires = Date.parse(relative.expires as string);
    expect(expires).toBeGreaterThanOrEqual(before + 90 * DAY_MS);
    expect(expires).toBeLessThanOrEqual(Date.now() + 90 * DAY_MS);

    const absolute = await run(["tokens", "create", "--tenant", "acme", "--expires", "2030-01-01T12:00:00+02:00", "--json"]);
    expect(absolute.expires).toBe("2030-01-01T10:00:00.000Z");

    const listed = JSON.parse((await runRoster(["tokens", "list", "--tenant", "acme", "--json"], env)).stdout) as { id: string; expires?: string }[];
    expect(listed.find((token) => token.id === absolute.id)?.expires).toBe("2030-01-01T10:00:00.000Z");
    const text = await runRoster(["tokens", "list", "--tenant", "acme"], env);
    expect(text.stdout).toMatch(/^ID +NAME +CREATED +LAST USED +EXPIRES +STATUS +OWNER$/m);
    expect(text.stdout).toContain("2030-01-01T10:00:00.000Z");
  });

  it("prints no expires for a token without one, keeping the JSON of before", async () => {
    const created = await run(["tokens", "create", "--tenant", "acme", "--json"]);
    expect(created).not.toHaveProperty("expires");
    const listed = JSON.parse((await runRoster(["tokens", "list", "--tenant", "acme", "--json"], env)).stdout) as unknown[];
    expect(listed).toEqual([{ id: created.id, name: "unnamed", created: expect.any(String), lastUsed: null, revoked: null }]);
  });

  it.each([
    ["0d", /--expires: "0d" is not an ISO 8601 time such as 2027-06-30T00:00:00Z, or a number of days such as 90d/],
    ["3651d", /more than 3650 days \(ten years\) ahead/],
    ["2020-01-01T00:00:00Z", /is not in the future/],
    ["tomorrow", /is not an ISO 8601 time/],
  ])("exits 2 with one line for --expires %s, creating nothing", async (value, pattern) => {
    const result = await runRoster(["tokens", "create", "--tenant", "acme", "--expires", value], env);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(pattern);
    expect(await auditEntries()).toEqual([]);
  });
});

describe("audit log of the command line", () => {
  it("records token create and revoke with the actor cli, never the secret", async () => {
    const created = await run(["tokens", "create", "--tenant", "acme", "--name", "okta", "--expires", "30d", "--json"]);
    await run(["tokens", "revoke", created.id, "--json"]);
    const failed = await runRoster(["tokens", "revoke", created.id], env);
    expect(failed.code).toBe(1);

    const entries = await auditEntries();
    expect(entries.map((entry) => [entry.actor, entry.action, entry.target, entry.tenantSlug])).toEqual([
      ["cli", "token.created", created.id, "acme"],
      ["cli", "token.revoked", created.id, "acme"],
    ]);
    const settings = { name: "okta", principal: null, expiresAt: created.expires, revokedAt: null };
    expect(JSON.parse(entries[0]?.details ?? "null")).toEqual({ after: settings });
    expect(JSON.parse(entries[1]?.details ?? "null")).toEqual({ before: settings, after: { ...settings, revokedAt: expect.any(String) } });
    for (const entry of entries) expect(entry.details).not.toContain(created.token);
  });

  it("records webhook create, disable, replay and delete with the actor cli, never the signing secret", async () => {
    const created = await run(["webhooks", "create", "--tenant", "acme", "--url", "https://app.example.com/hook", "--json"]);
    await run(["webhooks", "disable", created.id, "--json"]);
    await run(["webhooks", "replay", created.id, "--since", "0", "--json"]);
    await run(["webhooks", "delete", created.id, "--json"]);
    const entries = await auditEntries();
    expect(entries.map((entry) => [entry.actor, entry.action, entry.target, entry.tenantSlug])).toEqual([
      ["cli", "webhook.created", created.id, "acme"],
      ["cli", "webhook.updated", created.id, "acme"],
      ["cli", "webhook.replayed", created.id, "acme"],
      ["cli", "webhook.deleted", created.id, "acme"],
    ]);
    for (const entry of entries) expect(entry.details).not.toContain(created.secret);
  });
});
