import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ROOT, assertBuilt, cliEnv, tempDatabase } from "./run-cli.js";

// What the README and docs/operations.md say about running Roster through npm: `npx roster`
// hands every argument to Roster, and `npm start` passes SIGTERM on to the server.

let db: Awaited<ReturnType<typeof tempDatabase>>;
let env: NodeJS.ProcessEnv;
const started: ChildProcess[] = [];
const serverPids: number[] = [];

beforeAll(assertBuilt);
beforeEach(async () => {
  db = await tempDatabase();
  // No update check (no network) and no registry: npx runs the package of this folder.
  env = cliEnv({ ROSTER_DATABASE_URL: db.path, npm_config_update_notifier: "false", npm_config_offline: "true" });
});
afterEach(async () => {
  for (const pid of serverPids.splice(0)) if (isRunning(pid)) process.kill(pid, "SIGKILL");
  for (const child of started.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("close", resolve));
    }
  }
  await db.dispose();
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

function npm(command: "npm" | "npx", args: readonly string[]) {
  const child = spawn(command, [...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  started.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal }));
  });
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe("npx roster", () => {
  it.each([
    [["tokens", "--help"], /^Usage:\n {2}roster tokens create --tenant <slug>/],
    [["--help"], /^Usage: roster <command> \[options\]/],
  ])("hands %j to Roster, which prints its own help", async (args, help) => {
    const run = npm("npx", ["roster", ...args]);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stdout()).toMatch(help);
  });

  it("hands --version to Roster and exits with Roster's status", async () => {
    const version = npm("npx", ["roster", "--version"]);
    expect(await version.exited).toEqual({ code: 0, signal: null });
    expect(version.stdout()).toMatch(/^\d+\.\d+\.\d+\S*\n$/);
    const typo = npm("npx", ["roster", "tokns"]);
    expect(await typo.exited).toEqual({ code: 2, signal: null });
    expect(typo.stderr()).toContain('roster: unknown command "tokns"; did you mean "tokens"?');
  });
});

describe("npm start", () => {
  it("passes SIGTERM on to roster serve, which shuts down cleanly and is not left running", async () => {
    env = { ...env, ROSTER_PORT: "0" };
    const run = npm("npm", ["start"]);
    // The server's own log line carries its pid: npm's child, not npm.
    const { url, pid } = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
      run.child.stdout.on("data", () => {
        const listening = /^Roster listening on (\S+)$/m.exec(run.stdout());
        const logged = /"pid":(\d+)/.exec(run.stdout());
        if (listening?.[1] !== undefined && logged?.[1] !== undefined) resolve({ url: listening[1], pid: Number(logged[1]) });
      });
      void run.exited.then(({ code }) => reject(new Error(`npm start exited ${code} before listening: ${run.stderr()}`)));
    });
    serverPids.push(pid);
    expect(pid).not.toBe(run.child.pid);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    run.child.kill("SIGTERM");
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.stderr()).toContain("roster: SIGTERM received; finishing in-flight requests");
    expect(isRunning(pid)).toBe(false);
  });
});
