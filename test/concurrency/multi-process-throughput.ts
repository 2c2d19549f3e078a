// Measures SCIM user creation and `userName eq` lookups per second against `roster serve`
// on SQLite (one process) and on PostgreSQL (one and two processes), on this machine.
// Not a test and not the benchmark harness (issue 6): a quick, repeatable measurement.
//   npm run build && npx tsx test/concurrency/multi-process-throughput.ts
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase } from "../helpers/postgres.js";
import { type RosterProcess, inBatches, startRosterProcess, tenantOnProcesses } from "./multi-process.js";

const CREATES = Number(process.env["CREATES"] ?? 2000);
const LOOKUPS = Number(process.env["LOOKUPS"] ?? 4000);
const CONCURRENCY = Number(process.env["CONCURRENCY"] ?? 16);
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";

async function measure(label: string, databaseUrl: string, processCount: number): Promise<void> {
  const processes: RosterProcess[] = [];
  try {
    for (let i = 0; i < processCount; i += 1) processes.push(await startRosterProcess(databaseUrl));
    const clients = await tenantOnProcesses(databaseUrl, "bench", processes);
    const on = (i: number) => clients[i % clients.length]!;

    let started = performance.now();
    const created = await inBatches(
      Array.from({ length: CREATES }, (_, i) => () => on(i)("/Users", { body: { schemas: [USER_SCHEMA], userName: `bench${i}@example.com`, active: true } })),
      CONCURRENCY,
    );
    const createSeconds = (performance.now() - started) / 1000;
    if (created.some((response) => response.status !== 201)) throw new Error(`${label}: a create did not answer 201`);

    started = performance.now();
    const found = await inBatches(
      Array.from({ length: LOOKUPS }, (_, i) => () => on(i)(`/Users?filter=${encodeURIComponent(`userName eq "BENCH${(i * 7919) % CREATES}@example.com"`)}`)),
      CONCURRENCY,
    );
    const lookupSeconds = (performance.now() - started) / 1000;
    if (found.some((response) => response.status !== 200 || response.body.totalResults !== 1)) throw new Error(`${label}: a lookup did not find its user`);

    process.stdout.write(
      `| ${label} | ${processCount} | ${(CREATES / createSeconds).toFixed(0)} | ${(LOOKUPS / lookupSeconds).toFixed(0)} |\n`,
    );
  } finally {
    await Promise.all(processes.map((roster) => roster.stop()));
  }
}

process.stdout.write(`${CREATES} creates, then ${LOOKUPS} lookups, ${CONCURRENCY} requests in flight\n\n`);
process.stdout.write("| database | processes | creates/s | userName eq lookups/s |\n|---|---|---|---|\n");
const directory = mkdtempSync(join(tmpdir(), "roster-throughput-"));
try {
  await measure("SQLite (WAL, synchronous=FULL)", join(directory, "roster.db"), 1);
} finally {
  rmSync(directory, { recursive: true, force: true });
}
for (const processCount of [1, 2]) {
  const database = await createTestDatabase("throughput");
  try {
    await measure("PostgreSQL 15 (same machine)", database.url, processCount);
  } finally {
    await database.drop();
  }
}
