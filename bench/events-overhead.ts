/**
 * What recording change events costs a write: the same SCIM use cases run against one store,
 * alternately through the raw store and through recordEvents(store), in rounds.
 *
 *   npx tsx bench/events-overhead.ts [--count N] [--rounds R] [--database sqlite|postgres] [--concurrency C]
 *
 * Prints operations per second per round and the medians; with --concurrency, C operations
 * run at once (writers of one tenant then meet at the tenant's event lock on PostgreSQL). No HTTP: the difference is the
 * decorator's work and its INSERT, not the network's noise.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createTenant } from "../src/directory/tenants.js";
import { createResource, patchResource, type ScimContext } from "../src/directory/resources.js";
import { tenantSchemas } from "../src/directory/schemas.js";
import { recordEvents } from "../src/events/record-events.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import { createTestDatabase } from "../test/helpers/postgres.js";

const PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

const { values } = parseArgs({ options: { count: { type: "string" }, rounds: { type: "string" }, database: { type: "string" }, concurrency: { type: "string" } } });
const concurrency = Number(values.concurrency ?? 1);
const count = Number(values.count ?? 2000);
const rounds = Number(values.rounds ?? 3);
const kind = values.database ?? "sqlite";

const directory = mkdtempSync(join(tmpdir(), "roster-events-bench-"));
const postgres = kind === "postgres" ? await createTestDatabase("events_bench") : undefined;
const raw = await openStore(postgres?.url ?? join(directory, "roster.db"), { migrate: true });
const recording = recordEvents(raw);
const tenant = await createTenant(raw, "bench");
let serial = 0;

function context(store: Store): ScimContext {
  return { store, tenant, baseUrl: "http://localhost/scim/v2/bench", schemas: tenantSchemas() };
}

/** Runs `count` operations; returns operations per second and this process's CPU time per operation (µs: steadier on a shared machine). */
async function timed(label: string, store: Store, operation: (scim: ScimContext, i: number) => Promise<unknown>): Promise<Sample> {
  const scim = context(store);
  const started = performance.now();
  const cpu = process.cpuUsage();
  let next = 0;
  const worker = async () => {
    while (next < count) await operation(scim, next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const used = process.cpuUsage(cpu);
  const sample = { perSecond: count / ((performance.now() - started) / 1000), cpuMicros: (used.user + used.system) / count };
  process.stdout.write(`  ${label.padEnd(40)} ${sample.perSecond.toFixed(0).padStart(6)} ops/s  ${sample.cpuMicros.toFixed(0).padStart(6)} µs CPU/op\n`);
  return sample;
}

interface Sample {
  readonly perSecond: number;
  readonly cpuMicros: number;
}

const createUser = (scim: ScimContext) =>
  createResource(scim, "User", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: `u${++serial}@bench.example`, active: true }, {});
const users: string[] = [];
const seed = context(raw);
for (let i = 0; i < count; i += 1) users.push(((await createUser(seed)).body["id"] as string) ?? "");
const group = (await createResource(seed, "Group", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Big", members: users.map((value) => ({ value })) }, {})).body["id"] as string;
// Users not yet in the group, one per group PATCH of every run.
const newcomers: string[] = [];
for (let i = 0; i < count * rounds * 2; i += 1) newcomers.push((await createUser(seed)).body["id"] as string);

const workloads: [string, (scim: ScimContext, i: number) => Promise<unknown>][] = [
  ["POST /Users", createUser],
  ["PATCH /Users displayName", (scim, i) => patchResource(scim, "User", users[i]!, { schemas: [PATCH], Operations: [{ op: "replace", path: "displayName", value: `n${serial++}` }] }, undefined, {}, true)],
  [`PATCH /Groups add 1 (of ${count}+)`, (scim) =>
    patchResource(scim, "Group", group, { schemas: [PATCH], Operations: [{ op: "add", path: "members", value: [{ value: newcomers.pop()! }] }] }, undefined, {}, false)],
];

const results = new Map<string, { plain: Sample[]; recorded: Sample[] }>();
console.log(`${count} operations per run, ${rounds} rounds, ${raw.dialect}, ${concurrency} at once`);
for (let round = 1; round <= rounds; round += 1) {
  console.log(`round ${round}`);
  for (const [label, operation] of workloads) {
    const entry = results.get(label) ?? { plain: [], recorded: [] };
    // Alternate which goes first, so that neither always runs on a warmer (or fuller) database.
    const order: ("plain" | "recorded")[] = round % 2 === 1 ? ["plain", "recorded"] : ["recorded", "plain"];
    for (const which of order) entry[which].push(await timed(`${label}, ${which}`, which === "plain" ? raw : recording, operation));
    results.set(label, entry);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
console.log("\nmedians: workload | ops/s without events | with events | change | µs CPU/op without | with | change");
for (const [label, { plain, recorded }] of results) {
  const [a, b] = [median(plain.map((x) => x.perSecond)), median(recorded.map((x) => x.perSecond))];
  const [c, d] = [median(plain.map((x) => x.cpuMicros)), median(recorded.map((x) => x.cpuMicros))];
  const change = (from: number, to: number) => `${to >= from ? "+" : ""}${(((to - from) / from) * 100).toFixed(1)} %`;
  console.log(`${label.padEnd(32)} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${change(a, b)} | ${c.toFixed(0)} | ${d.toFixed(0)} | ${change(c, d)}`);
}
const events = await raw.transaction((session) => session.eventBounds(tenant.id));
console.log(`events recorded: up to sequence ${events.last}`);
await raw.close();
await postgres?.drop();
rmSync(directory, { recursive: true, force: true });
