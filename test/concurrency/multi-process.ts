import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createTenant } from "../../src/directory/tenants.js";
import { createToken } from "../../src/directory/tokens.js";
import { openStore } from "../../src/store/open-store.js";
import { scimFetch, type ScimResponse } from "../helpers/roster.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "roster.js");

/** One `roster serve` child process (the built CLI, as deployed). */
export interface RosterProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Output so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `node bin/roster.js serve --port 0` on `databaseUrl` and resolves once it prints its URL. Runs dist/: `npm test` builds it first. */
export function startRosterProcess(databaseUrl: string, env: Record<string, string> = {}): Promise<RosterProcess> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--host", "127.0.0.1", "--database", databaseUrl], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`roster serve did not start within 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Roster listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      resolve({
        url: match[1],
        child,
        output: () => output,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
          await exited;
        },
      });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`roster serve exited with ${code} before listening:\n${output}`));
    });
  });
}

export type Scim = (path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }) => Promise<ScimResponse>;

/** A tenant and token made directly in the database, and one SCIM client per process. */
export async function tenantOnProcesses(databaseUrl: string, slug: string, processes: readonly RosterProcess[]): Promise<Scim[]> {
  const store = await openStore(databaseUrl);
  try {
    const tenant = await createTenant(store, slug);
    const { token } = await createToken(store, tenant, "cli", "multi-process test");
    return processes.map((roster) => (path, init) => scimFetch(`${roster.url}/scim/v2/${slug}${path}`, token, init));
  } finally {
    await store.close();
  }
}

/** Runs `tasks` with at most `limit` in flight; results in task order. */
export async function inBatches<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array<T>(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      const task = tasks[index];
      if (task !== undefined) results[index] = await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}
