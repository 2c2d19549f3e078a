import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { getTenantBySlug } from "../../src/directory/tenants.js";
import { createAppUser, deleteAppUser, updateAppUser } from "../../src/directory/app-users.js";
import { openStore } from "../../src/store/open-store.js";
import { assertBuilt, cliEnv, lastLine, ROOT, runRoster, tempDatabase, type CliResult } from "./run-cli.js";

let db: Awaited<ReturnType<typeof tempDatabase>>;
let env: NodeJS.ProcessEnv;

beforeAll(assertBuilt);
beforeEach(async () => {
  db = await tempDatabase();
  env = cliEnv({ ROSTER_DATABASE_URL: db.path });
  expect((await runRoster(["tenants", "create", "acme"], env)).code).toBe(0);
});
afterEach(() => db.dispose());

function runWithStdin(args: readonly string[], input: string): Promise<CliResult> {
  const child = spawn(process.execPath, [join(ROOT, "bin/roster.js"), ...args], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function unmanagedUser(userName: string, active = true): Promise<string> {
  const store = await openStore(db.path, { migrate: true });
  try {
    const tenant = await getTenantBySlug(store, "acme");
    await createApiKey(store, tenant, "unused");
    return (await createAppUser({ store, tenant }, { userName, active })).id;
  } finally {
    await store.close();
  }
}

const STRONG = "Fluid-Shared-Secret-0123456789-abcdef!";

describe("roster tokens create --secret and --principal", () => {
  it("stores an admin-entered secret without printing it", async () => {
    const result = await runRoster(["tokens", "create", "--tenant", "acme", "--secret", STRONG, "--json"], env);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).not.toContain(STRONG);
    expect(JSON.parse(lastLine(result.stdout))).toEqual({ id: expect.any(String), tenant: "acme", scimBaseUrl: "http://localhost:8080/scim/v2/acme" });
  });

  it("reads the secret from stdin with --secret -", async () => {
    const result = await runWithStdin(["tokens", "create", "--tenant", "acme", "--secret", "-"], `${STRONG}\n`);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain("from the secret you entered");
    expect(result.stdout).not.toContain(STRONG);
  });

  it.each([
    ["Short-1a", "8 characters long"],
    ["fluid-shared-secret-0123456789-abcdef!", "no upper-case letter"],
    ["FLUID-SHARED-SECRET-0123456789-ABCDEF!", "no lower-case letter"],
    ["Fluid-Shared-Secret-abcdefghij-abcdef!", "no digit"],
    ["FluidSharedSecret0123456789abcdefABCD", "no symbol"],
    ["Fluid Shared Secret 0123456789 abcdef!", "space"],
  ])("refuses the secret %j as a bad command line (exit 2), naming the rule it fails", async (secret, rule) => {
    const result = await runRoster(["tokens", "create", "--tenant", "acme", "--secret", secret], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(rule);
    expect(result.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  });

  it("ties a token to an active unmanaged user and lists its principal", async () => {
    const id = await unmanagedUser("owner");
    const result = await runRoster(["tokens", "create", "--tenant", "acme", "--principal", id, "--json"], env);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(lastLine(result.stdout))).toMatchObject({ principal: id, token: expect.stringMatching(/^roster_/) });
    const listed = JSON.parse((await runRoster(["tokens", "list", "--tenant", "acme", "--json"], env)).stdout) as { principal?: string }[];
    expect(listed[0]?.principal).toBe(id);
  });

  it("lists each token's owner with its state: active, deactivated or deleted", async () => {
    const ids = { active: await unmanagedUser("stays"), deactivated: await unmanagedUser("paused"), deleted: await unmanagedUser("leaver") };
    const tokens: Record<string, string> = {};
    for (const [state, id] of Object.entries(ids)) {
      const result = await runRoster(["tokens", "create", "--tenant", "acme", "--name", state, "--principal", id, "--json"], env);
      tokens[state] = (JSON.parse(lastLine(result.stdout)) as { id: string }).id;
    }
    const unowned = JSON.parse(lastLine((await runRoster(["tokens", "create", "--tenant", "acme", "--name", "plain", "--json"], env)).stdout)) as { id: string };
    const store = await openStore(db.path);
    try {
      const tenant = await getTenantBySlug(store, "acme");
      await updateAppUser({ store, tenant }, ids.deactivated, { active: false });
      await deleteAppUser({ store, tenant }, ids.deleted);
    } finally {
      await store.close();
    }
    const listed = JSON.parse((await runRoster(["tokens", "list", "--tenant", "acme", "--json"], env)).stdout) as { id: string; principal?: string; principalState?: string }[];
    const byId = new Map(listed.map((token) => [token.id, token]));
    for (const [state, id] of Object.entries(ids)) expect(byId.get(tokens[state] ?? "")).toMatchObject({ principal: id, principalState: state });
    expect(byId.get(unowned.id)).not.toHaveProperty("principalState");
    const text = await runRoster(["tokens", "list", "--tenant", "acme"], env);
    expect(text.code).toBe(0);
    const lines = text.stdout.split("\n");
    expect(lines[0]).toMatch(/STATUS\s+OWNER$/);
    const line = (tokenId: string) => lines.find((candidate) => candidate.startsWith(tokenId)) ?? "";
    expect(line(tokens["active"] ?? "")).toMatch(new RegExp(`active\\s+${ids.active} \\(active\\)$`));
    expect(line(tokens["deactivated"] ?? "")).toMatch(new RegExp(`not working: owner deactivated\\s+${ids.deactivated} \\(deactivated\\)$`));
    expect(line(tokens["deleted"] ?? "")).toMatch(new RegExp(`not working: owner deleted\\s+${ids.deleted} \\(deleted\\)$`));
    expect(line(unowned.id)).toMatch(/active\s+-$/);
  });

  it.each([
    [false, "not active"],
    [undefined, "is not a user"],
  ])("refuses a principal that is inactive or missing (%s)", async (active, message) => {
    const id = active === undefined ? "missing" : await unmanagedUser("owner", active);
    const result = await runRoster(["tokens", "create", "--tenant", "acme", "--principal", id], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });
});
