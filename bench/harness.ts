import { mkdirSync } from "node:fs";
import { cpus, totalmem, type as osType, release } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { CONTENDERS, type ContenderId, type ContenderSpec, type RunningContender, startContender } from "./contenders.js";
import { isSeeded, seedRoster } from "./seed.js";
import { type SeedSizes, sizesKey } from "./sizes.js";
import { warmDatabase } from "./warm.js";
import { type Measurement, type Target, type Workload, workloads } from "./workloads.js";

export interface BenchOptions {
  readonly sizes: SeedSizes;
  readonly runs: number;
  readonly durationSec: number;
  readonly contenders: readonly ContenderId[];
  /** Workload ids to run (all when absent). */
  readonly only?: readonly string[];
  /** `postgres://user@host:port` without a database; the bench database is named after the seed. */
  readonly postgresUrl: string;
  /** Database for the PostgreSQL contenders (default `roster_bench_<seed key>`, kept as the cache). */
  readonly postgresDatabase?: string;
  readonly cacheDir: string;
  readonly progress: (message: string) => void;
}

export type CellStatus = "measured" | "cannot" | "not-seeded" | "error" | "not-run";

export interface Cell {
  readonly contender: ContenderId;
  readonly workload: string;
  status: CellStatus;
  readonly values: number[];
  readonly p99s: number[];
  tenant?: string;
  note?: string;
  peakRssBytes?: number;
}

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly os: string;
  readonly node: string;
  readonly postgres?: string;
}

export interface BenchReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: MachineInfo;
  readonly sizes: SeedSizes;
  readonly runs: number;
  readonly durationSec: number;
  readonly contenders: readonly { readonly id: ContenderId; readonly label: string }[];
  readonly workloads: readonly { readonly id: string; readonly label: string; readonly unit: string }[];
  readonly cells: readonly Cell[];
}

export function defaultCacheDir(): string {
  return resolve(".bench-cache");
}

async function postgresVersion(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: `${url}/postgres`, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>("show server_version");
    return result.rows[0]?.server_version;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensurePostgresDatabase(url: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${url}/postgres` });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (found.rowCount === 0) await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}

/** Drops what an interrupted seed left behind. */
async function recreatePostgresDatabase(url: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${url}/postgres` });
  await client.connect();
  try {
    await client.query(`drop database if exists "${name}" with (force)`);
    await client.query(`create database "${name}"`);
  } finally {
    await client.end();
  }
}

/** The database each contender runs on, seeded (or reused from the cache). */
async function prepareDatabases(options: BenchOptions, specs: readonly ContenderSpec[], postgres: string | undefined): Promise<Map<string, string>> {
  const key = sizesKey(options.sizes);
  mkdirSync(options.cacheDir, { recursive: true });
  const urls = new Map<string, string>();
  urls.set("ceiling-sqlite", join(options.cacheDir, `ceiling-${key}.db`));
  urls.set("none", "");
  // Polis on SQLite seeds its own file when it first starts (through its handler) and reuses it after.
  urls.set("polis-sqlite", join(options.cacheDir, `polis-${key}.db`));
  if (specs.some((spec) => spec.database === "roster-sqlite")) {
    const url = join(options.cacheDir, `roster-${key}.db`);
    if (!(await isSeeded(url))) {
      options.progress(`seeding Roster SQLite ${url}`);
      await seedRoster(url, options.sizes, options.progress, 1);
    }
    urls.set("roster-sqlite", url);
  }
  if (specs.some((spec) => spec.database === "roster-pg") && postgres !== undefined) {
    const name = options.postgresDatabase ?? `roster_bench_${key}`;
    await ensurePostgresDatabase(options.postgresUrl, name);
    const url = `${options.postgresUrl}/${name}`;
    if (!(await isSeeded(url))) {
      options.progress(`seeding Roster PostgreSQL ${name}`);
      await recreatePostgresDatabase(options.postgresUrl, name);
      await seedRoster(url, options.sizes, options.progress, 2);
      // Statistics as autovacuum would have gathered them on a database in use.
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query("analyze").finally(() => client.end());
    }
    urls.set("roster-pg", url);
  }
  return urls;
}

/**
 * Every measured run starts with the contender's data in the page cache (bench/warm.ts).
 * Undefined when it does; else why not, which fails the cell: a run measured cold beside
 * others measured warm would compare page caches again.
 */
async function warm(spec: ContenderSpec, databases: Map<string, string>): Promise<string | undefined> {
  const database = databases.get(spec.database);
  if (database === undefined) return undefined;
  return warmDatabase(spec, database).then(
    () => undefined,
    (error: unknown) => `could not read the database into the page cache: ${String(error).slice(0, 300)}`,
  );
}

function targetFor(running: RunningContender, workload: Workload, options: BenchOptions, state: Map<string, unknown>): Target | undefined {
  for (const tenant of workload.tenants) {
    const endpoint = running.ready.tenants[tenant];
    if (endpoint !== undefined) return { contender: running.spec.id, tenant, endpoint, sizes: options.sizes, state, limitations: running.spec.limitations };
  }
  return undefined;
}

/**
 * Starts every contender on loopback, runs every workload `runs` times, alternating
 * contenders run by run, and returns every measurement. Nothing here asserts a timing.
 */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const specs = CONTENDERS.filter((spec) => options.contenders.includes(spec.id));
  const chosen = workloads().filter((workload) => options.only === undefined || options.only.includes(workload.id));
  const postgres = specs.some((spec) => spec.database === "roster-pg") ? await postgresVersion(options.postgresUrl) : undefined;
  const databases = await prepareDatabases(options, specs, postgres);
  const cells: Cell[] = [];
  const cellOf = (contender: ContenderId, workload: string): Cell => {
    let cell = cells.find((c) => c.contender === contender && c.workload === workload);
    if (cell === undefined) {
      cell = { contender, workload, status: "not-run", values: [], p99s: [] };
      cells.push(cell);
    }
    return cell;
  };
  const running: RunningContender[] = [];
  const states = new Map<ContenderId, Map<string, unknown>>();
  try {
    for (const spec of specs) {
      const database = databases.get(spec.database);
      if (database === undefined) {
        for (const workload of chosen) Object.assign(cellOf(spec.id, workload.id), { status: "not-run", note: "PostgreSQL unreachable" });
        continue;
      }
      options.progress(`starting ${spec.label}`);
      try {
        running.push(await startContender(spec, database, options.sizes));
        states.set(spec.id, new Map());
      } catch (error) {
        for (const workload of chosen) Object.assign(cellOf(spec.id, workload.id), { status: "error", note: `did not start: ${String(error).slice(0, 300)}` });
      }
    }
    for (const workload of chosen.filter((w) => w.fresh !== true)) {
      for (const contender of running) {
        const cell = cellOf(contender.spec.id, workload.id);
        const target = targetFor(contender, workload, options, states.get(contender.spec.id) ?? new Map());
        if (target === undefined) {
          Object.assign(cell, { status: "not-seeded", note: `seeded with the ${Object.keys(contender.ready.tenants).join(", ")} tenant only` });
          continue;
        }
        cell.tenant = target.tenant;
        const problem = await workload.verify(target).catch((error: unknown) => `verification failed: ${String(error)}`);
        if (problem !== undefined) {
          const known = contender.spec.limitations[workload.id];
          Object.assign(cell, { status: known === undefined ? "error" : "cannot", note: known ?? problem });
        }
      }
      for (let run = 1; run <= options.runs; run++) {
        for (const contender of running) {
          const cell = cellOf(contender.spec.id, workload.id);
          if (cell.status === "error" || cell.status === "cannot" || cell.status === "not-seeded") continue;
          if (workload.once === true && run > 1) continue;
          const target = targetFor(contender, workload, options, states.get(contender.spec.id) ?? new Map());
          if (target === undefined) continue;
          options.progress(`${workload.id} run ${run}/${options.runs}: ${contender.spec.id}`);
          const cold = await warm(contender.spec, databases);
          const measured: Measurement =
            cold === undefined
              ? await workload.measure(target, { durationSec: options.durationSec, run }).catch((error: unknown) => ({ value: Number.NaN, error: String(error) }))
              : { value: Number.NaN, error: cold };
          if (measured.error !== undefined) Object.assign(cell, { status: "error", note: measured.error });
          else cell.status = "measured";
          cell.values.push(measured.value);
          if (measured.p99Ms !== undefined) cell.p99s.push(measured.p99Ms);
        }
      }
    }
  } finally {
    await Promise.allSettled(running.map((contender) => contender.stop()));
  }
  for (const workload of chosen.filter((w) => w.fresh === true)) await runFresh(workload, specs, databases, options, cellOf);
  let machinePostgres: { postgres?: string } = {};
  if (postgres !== undefined) machinePostgres = { postgres };
  return {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      os: `${osType()} ${release()}`,
      node: process.version,
      ...machinePostgres,
    },
    sizes: options.sizes,
    runs: options.runs,
    durationSec: options.durationSec,
    contenders: specs.map((spec) => ({ id: spec.id, label: spec.label })),
    workloads: chosen.map((workload) => ({ id: workload.id, label: workload.label, unit: workload.unit })),
    cells,
  };
}

/** A workload measured in a process started for it alone: its runs, then the process's peak RSS. */
async function runFresh(
  workload: Workload,
  specs: readonly ContenderSpec[],
  databases: Map<string, string>,
  options: BenchOptions,
  cellOf: (contender: ContenderId, workload: string) => Cell,
): Promise<void> {
  for (const spec of specs) {
    const cell = cellOf(spec.id, workload.id);
    const database = databases.get(spec.database);
    if (database === undefined || cell.status === "error") continue;
    if (spec.peer && !workload.tenants.some((tenant) => tenant === "small")) {
      // Peers are seeded with the small tenant only; say so instead of starting them.
      Object.assign(cell, { status: "not-seeded", note: "seeded with the small tenant only" });
      continue;
    }
    options.progress(`${workload.id}: starting a fresh ${spec.label}`);
    let contender: RunningContender | undefined;
    try {
      contender = await startContender(spec, database, options.sizes);
      const target = targetFor(contender, workload, options, new Map());
      if (target === undefined) {
        Object.assign(cell, { status: "not-seeded", note: "tenant not seeded" });
        continue;
      }
      cell.tenant = target.tenant;
      const baseline = await contender.maxRss();
      for (let run = 1; run <= options.runs; run++) {
        const cold = await warm(spec, databases);
        if (cold !== undefined) {
          Object.assign(cell, { status: "error", note: cold });
          break;
        }
        const measured = await workload.measure(target, { durationSec: options.durationSec, run });
        cell.values.push(measured.value);
        if (measured.error !== undefined) {
          const known = spec.limitations[workload.id];
          Object.assign(cell, { status: known === undefined ? "error" : "cannot", note: known ?? measured.error });
          break;
        }
        cell.status = "measured";
      }
      cell.peakRssBytes = await contender.maxRss();
      if (cell.note === undefined) cell.note = `RSS after start ${Math.round(baseline / 2 ** 20)} MB`;
    } catch (error) {
      Object.assign(cell, { status: "error", note: String(error).slice(0, 300) });
    } finally {
      await contender?.stop();
    }
  }
}
