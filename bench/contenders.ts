import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { SeedSizes } from "./sizes.js";
import type { ChildMessage, ContenderKind, ServerReady, ServerStart } from "./servers/protocol.js";

export type ContenderId = "ceiling" | "roster-sqlite" | "roster-pg" | "roster-pg-2p" | "scimmy" | "polis" | "polis-sqlite";

export interface ContenderSpec {
  readonly id: ContenderId;
  readonly label: string;
  readonly kind: ContenderKind;
  readonly processes: number;
  readonly database: "ceiling-sqlite" | "roster-sqlite" | "roster-pg" | "polis-sqlite" | "none";
  /** A SCIM server a user would pick instead of Roster: seeded with the small tenant only, compared in the targets. */
  readonly peer: boolean;
  /** Whether an answered write is on disk (fsynced), as Roster's are. */
  readonly durable: boolean;
  /** Workloads the contender is known not to support, with the reason; verified, never assumed (see harness). */
  readonly limitations: Readonly<Record<string, string>>;
}

const NO_REQUEST_LOG = {
  "requests-list": "has no request log to read",
  "requests-4xx": "has no request log to read",
};

const POLIS_LIMITATIONS = {
  ...NO_REQUEST_LOG,
  "group-get": "GET /Groups/{id} answers members: [] (Polis does not serve members)",
  "groups-list": "ignores startIndex/count on /Groups (answers every group at once)",
};

export const CONTENDERS: readonly ContenderSpec[] = [
  { id: "ceiling", label: "ceiling (Fastify + better-sqlite3)", kind: "ceiling", processes: 1, database: "ceiling-sqlite", peer: false, durable: true, limitations: NO_REQUEST_LOG },
  { id: "roster-sqlite", label: "Roster, SQLite", kind: "roster", processes: 1, database: "roster-sqlite", peer: false, durable: true, limitations: {} },
  { id: "roster-pg", label: "Roster, PostgreSQL, 1 process", kind: "roster", processes: 1, database: "roster-pg", peer: false, durable: true, limitations: {} },
  { id: "roster-pg-2p", label: "Roster, PostgreSQL, 2 processes", kind: "roster", processes: 2, database: "roster-pg", peer: false, durable: true, limitations: {} },
  {
    id: "scimmy",
    label: "SCIMMY 1.3 + scimmy-routers (in memory)",
    kind: "scimmy",
    processes: 1,
    database: "none",
    peer: true,
    durable: false,
    limitations: {
      ...NO_REQUEST_LOG,
      // types.js: `Number.isInteger(count)` is false for the query string's "1000", so SCIMMY pages by its default 20.
      "groups-list": "ignores count/startIndex from the query string (scimmy-routers hands SCIMMY strings; it pages by 20)",
    },
  },
  {
    id: "polis",
    label: "Ory Polis directory sync (@boxyhq/saml-jackson 26, in memory)",
    kind: "jackson",
    processes: 1,
    database: "none",
    peer: true,
    durable: false,
    limitations: POLIS_LIMITATIONS,
  },
  {
    id: "polis-sqlite",
    label: "Ory Polis directory sync (@boxyhq/saml-jackson 26, SQLite)",
    kind: "jackson",
    processes: 1,
    database: "polis-sqlite",
    peer: true,
    durable: true,
    limitations: POLIS_LIMITATIONS,
  },
];

export interface RunningContender {
  readonly spec: ContenderSpec;
  readonly ready: ServerReady;
  /** Peak resident set size of the process so far (ru_maxrss), bytes. */
  maxRss(): Promise<number>;
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL("./servers/main.ts", import.meta.url));
const ROSTER_DIST = fileURLToPath(new URL("./servers/roster-dist.mjs", import.meta.url));
const START_TIMEOUT_MS = 15 * 60_000;

export async function startContender(spec: ContenderSpec, database: string, sizes: SeedSizes): Promise<RunningContender> {
  const start: ServerStart = { kind: spec.kind, database, sizes, processes: spec.processes };
  // Roster runs compiled (dist/, as `npm start` does); the others through tsx.
  const [script, execArgv] = spec.kind === "roster" ? [ROSTER_DIST, []] : [MAIN, ["--import", "tsx"]];
  const child = fork(script, [JSON.stringify(start)], { execArgv, stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const ready = await new Promise<ServerReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${spec.id}: not ready after ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    child.on("message", (message: ChildMessage) => {
      if (message.type === "ready") {
        clearTimeout(timer);
        resolve(message.ready);
      } else if (message.type === "failed") {
        clearTimeout(timer);
        reject(new Error(`${spec.id} failed to start: ${message.message}`));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${spec.id} exited with ${String(code)} before it was ready`));
    });
  });
  return { spec, ready, maxRss: () => askRss(child), stop: () => stop(child) };
}

function askRss(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no RSS answer")), 5_000);
    const onMessage = (message: ChildMessage) => {
      if (message.type !== "rss") return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(message.maxRssBytes);
    };
    child.on("message", onMessage);
    child.send({ type: "rss" });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
