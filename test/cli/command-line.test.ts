import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ROOT, assertBuilt, cliEnv, runRoster, spawnRoster, tempDatabase, type CliResult } from "./run-cli.js";

// The command line as a whole: the version, suggestions for typos, exit statuses (2 for a
// bad command line, 1 for a refusal), one "roster: " per message, and commands that must
// not create a database behind a mistyped path.

let db: Awaited<ReturnType<typeof tempDatabase>>;
let env: NodeJS.ProcessEnv;

beforeAll(assertBuilt);
beforeEach(async () => {
  db = await tempDatabase();
  env = cliEnv({ ROSTER_DATABASE_URL: db.path });
});
afterEach(() => db.dispose());

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

describe("roster --version", () => {
  it.each([["--version"], ["-v"], ["version"]])("prints the package version and exits 0 for %s", async (flag) => {
    expect(await runRoster([flag], env)).toEqual({ code: 0, stdout: `${PACKAGE_VERSION}\n`, stderr: "" });
  });
});

describe("roster help <command>", () => {
  it("prints the command's usage, as `roster <command> --help` does", async () => {
    const help = await runRoster(["help", "tokens"], env);
    expect(help).toMatchObject({ code: 0, stderr: "" });
    expect(help.stdout).toBe((await runRoster(["tokens", "--help"], env)).stdout);
  });

  it("answers a mistyped command with the nearest one", async () => {
    expect(await runRoster(["help", "tokns"], env)).toEqual({
      code: 2,
      stdout: "",
      stderr: 'roster: unknown command "tokns"; did you mean "tokens"? (see: roster --help)\n',
    });
  });
});

describe("a mistyped command, subcommand or option", () => {
  it.each([
    [["tokns"], 'roster: unknown command "tokns"; did you mean "tokens"? (see: roster --help)'],
    [["tenant"], 'roster: unknown command "tenant"; did you mean "tenants"? (see: roster --help)'],
    [["evnets"], 'roster: unknown command "evnets"; did you mean "events"? (see: roster --help)'],
    [["--verison"], 'roster: unknown option "--verison"; did you mean "--version"? (see: roster --help)'],
    [["tenants", "lst"], 'roster: tenants: unknown subcommand "lst"; did you mean "list"? (see: roster tenants --help)'],
    [["tokens", "revok", "x"], 'roster: tokens: unknown subcommand "revok"; did you mean "revoke"? (see: roster tokens --help)'],
    [["api-keys", "craete"], 'roster: api-keys: unknown subcommand "craete"; did you mean "create"? (see: roster api-keys --help)'],
    [["webhooks", "deliverys", "x"], 'roster: webhooks: unknown subcommand "deliverys"; did you mean "deliveries"? (see: roster webhooks --help)'],
    [["tokens", "--tenant", "acme", "list"], 'roster: tokens: the subcommand comes first, before "--tenant"; did you mean "roster tokens list …"? (see: roster tokens --help)'],
    [["tokens", "list", "--tenantt", "acme"], "roster: tokens list: unknown option '--tenantt'; did you mean '--tenant'? (see: roster tokens list --help)"],
    [["events", "-tenant", "acme"], "roster: events: unknown option '-tenant'; did you mean '--tenant'? (see: roster events --help)"],
    [["webhooks", "create", "--event", "user.*"], "roster: webhooks create: unknown option '--event'; did you mean '--events'? (see: roster webhooks create --help)"],
    [["serve", "--prot", "0"], "roster: serve: unknown option '--prot'; did you mean '--port'? (see: roster serve --help)"],
  ])("%j is answered with the nearest one and exit status 2", async (args, message) => {
    expect(await runRoster(args, env)).toEqual({ code: 2, stdout: "", stderr: `${message}\n` });
  });

  it.each([
    [["frobnicate"], 'roster: unknown command "frobnicate"; expected one of serve, tenants, tokens, api-keys, webhooks, requests, events, migrate (see: roster --help)'],
    [["tokens", "rotate"], 'roster: tokens: unknown subcommand "rotate"; expected create, list or revoke (see: roster tokens --help)'],
    [["tokens", "list", "--all"], "roster: tokens list: unknown option '--all' (see: roster tokens list --help)"],
    [["webhooks", "--tenant", "acme"], 'roster: webhooks: the subcommand comes first, before "--tenant"; expected create, list, disable, enable, delete, deliveries, replay (see: roster webhooks --help)'],
  ])("%j, close to nothing known, lists what is expected instead", async (args, message) => {
    expect(await runRoster(args, env)).toEqual({ code: 2, stdout: "", stderr: `${message}\n` });
  });
});

describe("exit statuses", () => {
  it.each([
    [["tenants", "create", "Acme"], 'roster: tenants create: tenant slug "Acme" has "A" at column 1; use only lower-case a-z, 0-9 and -'],
    [["tokens", "create", "--tenant", "acme", "--secret", "Short-1a"], "roster: tokens create: --secret: "],
    [["tenants", "list", "--database", ""], "roster: --database is empty; give a SQLite file path or a postgres:// URL"],
    [
      ["tenants", "list", "--database", "mysql://app:hunter2@db.example/roster"],
      'roster: --database "mysql://app:***@db.example/roster" has the unsupported scheme "mysql:"; give a SQLite file path, a file: URL or a postgres:// URL',
    ],
  ])("%j is a bad command line: exit 2, one line, nothing stored", async (args, message) => {
    const result = await runRoster(args, env);
    expect(result.code).toBe(2);
    expect(result.stderr.startsWith(message), result.stderr).toBe(true);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(existsSync(db.path)).toBe(false);
  });

  it("names ROSTER_DATABASE_URL when it has an unsupported scheme", async () => {
    const result = await runRoster(["tenants", "list"], cliEnv({ ROSTER_DATABASE_URL: "mysql://db.example/roster" }));
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: 'roster: ROSTER_DATABASE_URL "mysql://db.example/roster" has the unsupported scheme "mysql:"; give a SQLite file path, a file: URL or a postgres:// URL\n',
    });
  });

  it.each([
    [["tokens", "list", "--tenant", "nope"], 'roster: tenant "nope" does not exist (see: roster tenants list)'],
    [["tokens", "revoke", "nope"], 'roster: no active token has id "nope" (see: roster tokens list --tenant <slug>)'],
    [["tenants", "create", "acme"], 'roster: tenant "acme" already exists'],
    [["tenants", "update", "acme", "--profile", "/nonexistent/profile.yaml"], 'roster: cannot read profile "/nonexistent/profile.yaml": no such file'],
  ])("%j is a refusal: exit 1, one line", async (args, message) => {
    expect((await runRoster(["tenants", "create", "acme"], env)).code).toBe(0);
    expect(await runRoster(args, env)).toEqual({ code: 1, stdout: "", stderr: `${message}\n` });
  });
});

describe("roster serve on an address it cannot listen on", () => {
  it("refuses a port in use with exit 1, naming the address and what to do", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    const child = spawnRoster(["serve", "--port", String(port), "--host", "127.0.0.1"], env);
    try {
      let stdout = "";
      let stderr = "";
      child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
      child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      const result = await new Promise<CliResult>((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`roster: serve: 127.0.0.1:${port} is already in use; stop what listens there, or pick another --port (0 for any free port)\n`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

describe("one roster: per message", () => {
  it.each([
    [["tenants", "update", "acme"]],
    [["tenants", "create"]],
    [["tenants", "list", "extra"]],
    [["tokens", "create"]],
    [["tokens", "revoke"]],
    [["api-keys", "revoke"]],
    [["api-keys", "create", "--tenant", ""]],
    [["webhooks", "replay", "x"]],
    [["webhooks", "list"]],
    [["requests"]],
    [["requests", "--tenant", "acme", "--limit", "x"]],
    [["events"]],
    [["events", "--tenant", "acme", "--after", "x"]],
    [["serve", "--port", "x"]],
    [["serve", "extra"]],
    [["migrate", "extra"]],
    [["tenants", "list", "--database"]],
  ])("%j prints one line starting with a single 'roster: ' and exits 2", async (args) => {
    const result = await runRoster(args, env);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/^roster: (?!roster)\S/);
  });

  it("says what tenants update is missing without repeating the program's name", async () => {
    expect(await runRoster(["tenants", "update", "acme"], env)).toEqual({
      code: 2,
      stdout: "",
      stderr: "roster: tenants update: missing --profile FILE.yaml, the only thing update changes (see: roster tenants update --help)\n",
    });
  });
});

describe("a --database path that does not exist", () => {
  const SECRET_KEY = randomBytes(32).toString("base64");

  it.each([
    [["tenants", "list"]],
    [["tenants", "list", "--json"]],
    [["tenants", "update", "acme", "--profile", "PROFILE"]],
    [["tokens", "list", "--tenant", "acme"]],
    [["tokens", "create", "--tenant", "acme"]],
    [["tokens", "revoke", "some-id"]],
    [["api-keys", "list"]],
    [["api-keys", "create", "--tenant", "acme"]],
    [["api-keys", "revoke", "some-id"]],
    [["webhooks", "create", "--tenant", "acme", "--url", "https://app.example.com/hook"]],
    [["webhooks", "list", "--tenant", "acme"]],
    [["webhooks", "deliveries", "some-id"]],
    [["webhooks", "disable", "some-id"]],
    [["webhooks", "enable", "some-id"]],
    [["webhooks", "delete", "some-id"]],
    [["webhooks", "replay", "some-id", "--since", "0"]],
    [["requests", "--tenant", "acme"]],
    [["events", "--tenant", "acme"]],
  ])("makes %j fail with exit 1 and create neither the file nor its folder", async (args) => {
    const profile = join(db.dir, "profile.yaml");
    await writeFile(profile, "attributes:\n  role:\n    type: string\n");
    const folder = join(db.dir, "missing");
    const path = join(folder, "roster.db");
    const argv = args.map((arg) => (arg === "PROFILE" ? profile : arg));
    const result = await runRoster([...argv, "--database", path], cliEnv({ ROSTER_SECRET_KEY: SECRET_KEY }));
    expect(result).toEqual({
      code: 1,
      stdout: "",
      stderr: `roster: database ${JSON.stringify(path)} does not exist; check --database or ROSTER_DATABASE_URL ("roster migrate" or "roster serve" creates a new one)\n`,
    });
    expect(existsSync(folder)).toBe(false);
  });

  it("is refused the same way when it comes from ROSTER_DATABASE_URL", async () => {
    const result = await runRoster(["tenants", "list"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`roster: database ${JSON.stringify(db.path)} does not exist`);
    expect(existsSync(db.path)).toBe(false);
  });

  it.each([[["migrate"]], [["tenants", "create", "acme"]], [["api-keys", "create"]]])("is created by %j, which may start a new database", async (args) => {
    const path = join(db.dir, "new", "roster.db");
    const result = await runRoster([...args, "--database", path], cliEnv());
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(existsSync(path)).toBe(true);
    expect(await runRoster(["tenants", "list", "--database", path], cliEnv())).toMatchObject({ code: 0, stderr: "" });
  });
});
