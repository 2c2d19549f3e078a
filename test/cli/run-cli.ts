import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "bin/roster.js");

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Fails with a clear message when `npm run build` has not produced dist/ (npm test runs it first). */
export function assertBuilt(): void {
  if (!existsSync(join(ROOT, "dist/cli/main.js"))) {
    throw new Error("dist/cli/main.js is missing: run `npm run build` (npm test does it in pretest)");
  }
}

/** A temporary folder with a SQLite path inside; `dispose` removes it. */
export async function tempDatabase(): Promise<{ dir: string; path: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "roster-cli-"));
  return { dir, path: join(dir, "roster.db"), dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Environment for a child roster: no inherited ROSTER_* settings, plus `extra`. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("ROSTER_")) env[key] = value;
  return { ...env, ...extra };
}

export function spawnRoster(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs `roster <args>` to completion. */
export function runRoster(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const child = spawnRoster(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export function lastLine(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines[lines.length - 1] ?? "";
}
