import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import fc from "fast-check";
import type { RunningServer } from "../../src/http/server.js";
import type { Store } from "../../src/store/store.js";
import type { TestDatabaseKind } from "../helpers/roster.js";
import { createTestDatabase, postgresAvailable } from "../helpers/postgres.js";
import { requestPlan } from "./generators.js";
import { stillHealthy } from "./health.js";
import { createFixture, describeExchange, fuzzAgent, judge, learn, LogExpectations, materialize, send, type Finding } from "./harness.js";

const USAGE = `Usage: npm run fuzz -- [--requests N] [--seed S] [--database sqlite|postgres|both] [--examples K]

Starts a real Roster on a loopback port (in this process) over a fresh SQLite file and/or a fresh
PostgreSQL database (created and dropped; ROSTER_TEST_POSTGRES_URL), sends N generated hostile
requests one at a time (the generators of the suite's fuzzer, test/fuzz/generators.ts), and prints:
requests, statuses, 5xx and shape violations with the first K examples, request-log completeness,
rate and peak RSS. Exits 1 on any 5xx, shape violation, unreadable answer, missing log entry or
failed health check.

  --requests N   requests per database (default 10000; a release check runs 100000)
  --seed S       the seed (printed; default: random). Request i comes from chunk seed S + floor(i / ${"500"})
  --database D   sqlite, postgres or both (default both)
  --examples K   examples printed per kind of finding (default 5)`;

const CHUNK = 500;
/** The request log is checked every this many requests: the newest entries hold them all (retention is 10,000 per tenant). */
const LOG_CHECK_EVERY = 1_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** How long closing waits for requests still running (a query whose client gave up) before the database is dropped under them. */
const CLOSE_WAIT_MS = 15_000;

interface Figures {
  database: TestDatabaseKind;
  requests: number;
  statuses: Map<number | string, number>;
  findings: Map<Finding["kind"], { count: number; examples: string[] }>;
  loggedExpected: number;
  loggedMissing: string[];
  healthy: boolean;
  seconds: number;
  peakRssMb: number;
  /** The slowest answers: what a budget or a timeout should bound. */
  slowest: { ms: number; what: string }[];
}

interface FuzzedRoster {
  readonly server: RunningServer;
  readonly store: Store;
  /** Drains in-flight requests (a query the client gave up on runs on), then removes the database; bounded by `waitMs`. */
  close(waitMs: number): Promise<void>;
}

/**
 * Roster as production runs it, compiled (dist/, built by the npm script) rather than through
 * tsx, whose renamed functions break the SQLite request log's thread; over a fresh database.
 */
async function startRoster(database: TestDatabaseKind): Promise<FuzzedRoster> {
  const dist = new URL("../../dist/", import.meta.url);
  const { startServer } = (await import(new URL("http/server.js", dist).href)) as typeof import("../../src/http/server.js");
  const { openStore } = (await import(new URL("store/open-store.js", dist).href)) as typeof import("../../src/store/open-store.js");
  const { parseSecretKey } = (await import(new URL("events/secret-box.js", dist).href)) as typeof import("../../src/events/secret-box.js");
  const directory = mkdtempSync(join(tmpdir(), "roster-fuzz-"));
  const postgres = database === "postgres" ? await createTestDatabase("fuzz") : undefined;
  const store = await openStore(postgres?.url ?? join(directory, "roster.db"));
  await store.migrate();
  const server = await startServer({ store, host: "127.0.0.1", port: 0, secretKey: parseSecretKey(Buffer.alloc(32, 7).toString("base64")) });
  return {
    server,
    store,
    async close(waitMs) {
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
      await Promise.race([server.close().catch(() => undefined), waited]);
      clearTimeout(timer);
      // WITH (FORCE) ends the connections of a server that did not finish draining.
      await postgres?.drop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

async function fuzzDatabase(database: TestDatabaseKind, requests: number, seed: number, examples: number): Promise<Figures> {
  const roster = await startRoster(database);
  const port = Number(new URL(roster.server.url).port);
  const fixture = await createFixture(roster.store, "fuzz");
  const agent = fuzzAgent();
  const log = new LogExpectations(fixture.tenants.length);
  const figures: Figures = { database, requests: 0, statuses: new Map(), findings: new Map(), loggedExpected: 0, loggedMissing: [], healthy: false, seconds: 0, peakRssMb: 0, slowest: [] };
  const started = process.hrtime.bigint();
  try {
    for (let chunk = 0; chunk * CHUNK < requests; chunk++) {
      const plans = fc.sample(requestPlan, { seed: seed + chunk, numRuns: Math.min(CHUNK, requests - chunk * CHUNK) });
      for (const [position, plan] of plans.entries()) {
        const index = chunk * CHUNK + position;
        const raw = materialize(plan, fixture);
        const sentAt = process.hrtime.bigint();
        const answer = await send(port, raw, agent, REQUEST_TIMEOUT_MS);
        const ms = Number(process.hrtime.bigint() - sentAt) / 1e6;
        figures.requests += 1;
        if (figures.slowest.length < 5 || ms > (figures.slowest.at(-1)?.ms ?? 0)) {
          const got = "failure" in answer ? answer.failure : String(answer.status);
          figures.slowest.push({ ms, what: `#${index}: ${raw.method} ${raw.path.slice(0, 120)} → ${got}${raw.body === undefined ? "" : ` (body ${raw.body.length} bytes: ${raw.body.toString("utf8").slice(0, 100)})`}` });
          figures.slowest.sort((a, b) => b.ms - a.ms).splice(5);
        }
        const status = "failure" in answer ? (answer.failure.startsWith("client:") ? "client refused" : "no answer") : answer.status;
        figures.statuses.set(status, (figures.statuses.get(status) ?? 0) + 1);
        for (const finding of judge(raw, answer)) {
          const entry = figures.findings.get(finding.kind) ?? { count: 0, examples: [] };
          entry.count += 1;
          if (entry.examples.length < examples) entry.examples.push(`#${index} (chunk seed ${seed + chunk}, position ${position}): ${finding.detail}\n  ${describeExchange(raw, answer)}`);
          figures.findings.set(finding.kind, entry);
        }
        const learned = learn(plan, raw, answer);
        if (learned !== undefined) fixture.ids[learned.tenant]?.[learned.kind].push(learned.id);
        log.note(raw, answer);
        if ((index + 1) % LOG_CHECK_EVERY === 0 || index + 1 === requests) {
          figures.loggedExpected += log.count;
          await roster.server.flushRequestLog();
          figures.loggedMissing.push(...(await log.missing(roster.store, fixture, 5 * LOG_CHECK_EVERY)));
          figures.peakRssMb = Math.max(figures.peakRssMb, process.memoryUsage().rss / 1_048_576);
          process.stderr.write(`\r${database}: ${index + 1}/${requests}`);
        }
      }
    }
    process.stderr.write("\n");
    figures.healthy = await stillHealthy(roster.server.url, fixture.tenants[0].slug, fixture.tenants[0].token).catch(() => false);
  } finally {
    figures.seconds = Number(process.hrtime.bigint() - started) / 1e9;
    figures.peakRssMb = Math.max(figures.peakRssMb, process.resourceUsage().maxRSS / 1024);
    agent.destroy();
    print(figures);
    await roster.close(CLOSE_WAIT_MS);
  }
  return figures;
}

function print(figures: Figures): void {
  const statuses = [...figures.statuses.entries()].sort(([a], [b]) => String(a).localeCompare(String(b))).map(([status, count]) => `${status}: ${count}`);
  const count = (kind: Finding["kind"]) => figures.findings.get(kind)?.count ?? 0;
  console.log(`\n## ${figures.database}`);
  console.log(`requests: ${figures.requests} in ${figures.seconds.toFixed(1)} s (${(figures.requests / figures.seconds).toFixed(0)}/s), peak RSS ${figures.peakRssMb.toFixed(0)} MB (server and client, one process)`);
  console.log(`statuses: ${statuses.join(", ")}`);
  console.log(`5xx (not allowed): ${count("5xx")}; error shape violations: ${count("shape")}; unreadable answers: ${count("invalidJson")}; no answer: ${count("noAnswer")}`);
  console.log(`request log: ${figures.loggedExpected - figures.loggedMissing.length} of ${figures.loggedExpected} requests sent with the tenant's token found${figures.loggedMissing.length === 0 ? "" : `; missing e.g.\n  ${figures.loggedMissing.slice(0, 5).join("\n  ")}`}`);
  console.log(`healthy at the end: ${figures.healthy ? "yes" : "NO"}`);
  console.log(`slowest answers:\n${figures.slowest.map(({ ms, what }) => `  ${ms.toFixed(0)} ms ${what}`).join("\n")}`);
  for (const [kind, { count: n, examples }] of figures.findings) {
    console.log(`\n### ${kind}: ${n}`);
    for (const example of examples) console.log(example);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      requests: { type: "string", default: "10000" },
      seed: { type: "string" },
      database: { type: "string", default: "both" },
      examples: { type: "string", default: "5" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const requests = Number(values.requests);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  const examples = Number(values.examples);
  if (!Number.isInteger(requests) || requests < 1) throw new Error(`--requests must be a positive integer, not ${values.requests}`);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, not ${values.seed}`);
  if (!Number.isInteger(examples) || examples < 0) throw new Error(`--examples must be a non-negative integer, not ${values.examples}`);
  const databases: TestDatabaseKind[] =
    values.database === "both" ? ["sqlite", "postgres"] : values.database === "sqlite" || values.database === "postgres" ? [values.database] : [];
  if (databases.length === 0) throw new Error(`--database must be sqlite, postgres or both, not ${values.database}`);
  if (databases.includes("postgres") && !(await postgresAvailable())) throw new Error("PostgreSQL does not answer (ROSTER_TEST_POSTGRES_URL); use --database sqlite");
  console.log(`fuzz: ${requests} requests per database on ${databases.join(" and ")}, seed ${seed} (replay: npm run fuzz -- --seed ${seed} --requests ${requests} --database ${values.database})`);
  let failed = false;
  for (const database of databases) {
    const figures = await fuzzDatabase(database, requests, seed, examples);
    failed ||= figures.findings.size > 0 || figures.loggedMissing.length > 0 || !figures.healthy;
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(2);
  },
);
