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

interface CreatedToken {
  id: string;
  token: string;
  tenant: string;
  scimBaseUrl: string;
}

async function createToken(extra: readonly string[] = [], environment = env): Promise<CreatedToken> {
  const result = await runRoster(["tokens", "create", "--tenant", "acme", "--json", ...extra], environment);
  expect(result).toMatchObject({ code: 0, stderr: "" });
  return JSON.parse(lastLine(result.stdout)) as CreatedToken;
}

describe("roster tokens", () => {
  it("prints {id, token, tenant, scimBaseUrl} as the last line with --json", async () => {
    const created = await createToken(["--name", "okta"]);
    expect(created).toEqual({
      id: expect.any(String),
      token: expect.stringMatching(/^roster_[A-Za-z0-9_-]{43}$/),
      tenant: "acme",
      scimBaseUrl: "http://localhost:8080/scim/v2/acme",
    });
  });

  it.each([
    [{ ROSTER_PORT: "9090" }, [], "http://localhost:9090/scim/v2/acme"],
    [{ ROSTER_PUBLIC_URL: "https://id.example.com/roster" }, [], "https://id.example.com/roster/scim/v2/acme"],
    [{ ROSTER_PUBLIC_URL: "https://ignored.example.com" }, ["--public-url", "https://scim.example.com"], "https://scim.example.com/scim/v2/acme"],
  ])("derives scimBaseUrl from %j and flags %j", async (extraEnv, flags, expected) => {
    const created = await createToken(flags, { ...env, ...extraEnv });
    expect(created.scimBaseUrl).toBe(expected);
  });

  it("prints the token once in text form with the SCIM base URL", async () => {
    const result = await runRoster(["tokens", "create", "--tenant", "acme"], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}roster_[A-Za-z0-9_-]{43}$/m);
    expect(result.stdout).toContain("SCIM base URL: http://localhost:8080/scim/v2/acme");
  });

  it("issues a different token every time", async () => {
    const [a, b] = [await createToken(), await createToken()];
    expect(a.token).not.toBe(b.token);
    expect(a.id).not.toBe(b.id);
  });

  it("lists tokens without their secrets", async () => {
    const created = await createToken(["--name", "okta"]);
    for (const flags of [[], ["--json"]]) {
      const result = await runRoster(["tokens", "list", "--tenant", "acme", ...flags], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(created.id);
      expect(result.stdout).not.toContain(created.token);
      expect(result.stdout).not.toContain(created.token.slice("roster_".length));
    }
    const listed = JSON.parse((await runRoster(["tokens", "list", "--tenant", "acme", "--json"], env)).stdout) as unknown[];
    expect(listed).toEqual([{ id: created.id, name: "okta", created: expect.any(String), lastUsed: null, revoked: null }]);
  });

  it("revokes a token, after which it is listed as revoked", async () => {
    const created = await createToken();
    const result = await runRoster(["tokens", "revoke", created.id], env);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    const listed = JSON.parse((await runRoster(["tokens", "list", "--tenant", "acme", "--json"], env)).stdout) as { revoked: string | null }[];
    expect(listed[0]?.revoked).toEqual(expect.any(String));
  });

  it("exits 1 with one line when revoking an unknown or already revoked token", async () => {
    const created = await createToken();
    await runRoster(["tokens", "revoke", created.id], env);
    for (const id of [created.id, "no-such-token"]) {
      const result = await runRoster(["tokens", "revoke", id], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`roster: no active token has id "${id}" (see: roster tokens list --tenant <slug>)\n`);
    }
  });

  it.each([
    ["create", ["tokens", "create", "--tenant", "nope"]],
    ["list", ["tokens", "list", "--tenant", "nope"]],
    ["requests", ["requests", "--tenant", "nope"]],
  ])("exits 1 with one line for an unknown tenant (%s)", async (_name, args) => {
    const result = await runRoster(args, env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('roster: tenant "nope" does not exist (see: roster tenants list)\n');
    expect(result.stdout).toBe("");
  });

  it.each([
    [["tokens", "create"], /--tenant is required/],
    [["tokens", "create", "--tenant"], /argument missing/],
    [["tokens", "list", "--tenant", "acme", "--all"], /unknown option '--all'/],
    [["tokens", "revoke"], /missing <id>/],
    [["tokens", "rotate"], /unknown subcommand "rotate"/],
    [["requests", "--tenant", "acme", "--limit", "0"], /--limit "0" is not an integer from 1 to 1000/],
  ])("exits 2 with one line for the bad command line %j", async (args, pattern) => {
    const result = await runRoster(args, env);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(pattern);
  });

  it("prints an empty request log for a new tenant", async () => {
    const text = await runRoster(["requests", "--tenant", "acme"], env);
    expect(text).toMatchObject({ code: 0, stdout: 'No requests logged for tenant "acme" yet.\n' });
    const json = await runRoster(["requests", "--tenant", "acme", "--json", "--limit", "5"], env);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });
});
