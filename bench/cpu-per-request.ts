import { type ChildProcess, fork } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { requestLogPath } from "../src/store/sql/request-log-file.js";
import { defaultCacheDir } from "./harness.js";
import type { ChildMessage, ServerReady, ServerStart } from "./servers/protocol.js";
import { FULL_SIZES, oktaUser, sizesKey, userId, userName } from "./sizes.js";

// Server CPU per request, for comparing builds while changing code: rates on this shared
// machine move by ±30 % between runs, the CPU a request costs the server much less. Each
// build (a dist/ folder) serves a fresh copy of the cached full seed; the ceiling serves
// its own. Contenders alternate round by round; CPU is the server process's utime + stime
// from /proc/<pid>/stat over the measured seconds, divided by the requests answered, and
// beside it its main thread's alone (/proc/<pid>/task/<pid>/stat): the event loop, which
// bounds the rate; the rest is V8's helper threads and Roster's request-log thread.

const USAGE = `Usage: npx tsx bench/cpu-per-request.ts [--workloads get,lookup,create,put,deactivate] [--builds dist,other/dist] [--seeds a.db,b.db] [--seconds 4] [--rounds 3] [--no-ceiling]

Needs the full seed cached by npm run bench (.bench-cache/). To keep a build to compare
against: npm run build && cp -r dist .bench-cache/dists/before. --seeds gives each build
its own seeded file instead (the same build twice compares two files: a schema or layout
change made to a copy of the seed); each is copied before it is served.`;

const WORKLOADS = ["get", "lookup", "create", "put", "deactivate"] as const;
type WorkloadId = (typeof WORKLOADS)[number];
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

interface Server {
  readonly name: string;
  readonly child: ChildProcess;
  readonly base: string;
  readonly token: string;
}

let serial = 0;
const run = Date.now().toString(36);

function request(workload: WorkloadId): { method: "GET" | "POST" | "PUT" | "PATCH"; path: string; body?: string } {
  const index = Math.floor(Math.random() * FULL_SIZES.largeUsers);
  const id = userId("large", index);
  switch (workload) {
    case "get":
      return { method: "GET", path: `/Users/${id}` };
    case "lookup":
      return { method: "GET", path: `/Users?filter=${encodeURIComponent(`userName eq "${userName("large", index)}"`)}` };
    case "create":
      return { method: "POST", path: "/Users", body: JSON.stringify(oktaUser(`cpu-${run}-${++serial}@example.com`, serial)) };
    case "put":
      return { method: "PUT", path: `/Users/${id}`, body: JSON.stringify({ ...oktaUser(userName("large", index), index), id, title: `T${Math.random().toString(36).slice(2, 8)}` }) };
    case "deactivate":
      return { method: "PATCH", path: `/Users/${id}`, body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] }) };
  }
}

/** CPU of the whole process, or of its main thread (the event loop: its task has the process's id). */
function cpuMicros(pid: number, mainThread = false): number {
  const fields = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_SECOND;
}

async function drive(server: Server, workload: WorkloadId, seconds: number): Promise<autocannon.Result> {
  const url = new URL(server.base);
  return new Promise((resolvePromise, reject) => {
    autocannon(
      {
        url: url.origin,
        connections: 10,
        duration: seconds,
        requests: [
          {
            setupRequest: (base) => {
              const made = request(workload);
              const headers = { authorization: `Bearer ${server.token}`, accept: "application/scim+json", "content-type": "application/scim+json" };
              return { ...base, method: made.method, path: url.pathname + made.path, headers, ...(made.body === undefined ? {} : { body: made.body }) };
            },
          },
        ],
      },
      (error: unknown, result: autocannon.Result) => (error === null || error === undefined ? resolvePromise(result) : reject(error instanceof Error ? error : new Error(String(error)))),
    );
  });
}

async function start(name: string, start: ServerStart, script: string, env: NodeJS.ProcessEnv, execArgv: string[]): Promise<Server> {
  const child = fork(script, [JSON.stringify(start)], { execArgv, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const ready = await new Promise<ServerReady>((resolvePromise, reject) => {
    child.on("message", (message: ChildMessage) => {
      if (message.type === "ready") resolvePromise(message.ready);
      else if (message.type === "failed") reject(new Error(`${name}: ${message.message}`));
    });
    child.once("exit", (code) => reject(new Error(`${name} exited with ${String(code)} before it was ready`)));
  });
  const large = ready.tenants.large;
  if (large === undefined) throw new Error(`${name}: no large tenant`);
  return { name, child, base: large.base, token: large.token };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      workloads: { type: "string" },
      builds: { type: "string" },
      seconds: { type: "string" },
      rounds: { type: "string" },
      seeds: { type: "string" },
      "no-ceiling": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const workloads = (values.workloads?.split(",") ?? ["get", "lookup"]) as WorkloadId[];
  const unknown = workloads.filter((id) => !WORKLOADS.includes(id));
  if (unknown.length > 0) throw new Error(`unknown workload ${unknown.join(", ")}; one of ${WORKLOADS.join(", ")}`);
  const builds = (values.builds?.split(",") ?? ["dist"]).map((build) => resolve(build));
  for (const build of builds) if (!existsSync(join(build, "http", "server.js"))) throw new Error(`${build} is not a built dist/ (no http/server.js)`);
  const seconds = Number(values.seconds ?? 4);
  const rounds = Number(values.rounds ?? 3);
  const cache = defaultCacheDir();
  const key = sizesKey(FULL_SIZES);
  const seeded = join(cache, `roster-${key}.db`);
  const ceilingDb = join(cache, `ceiling-${key}.db`);
  if (!existsSync(seeded) || !existsSync(`${ceilingDb}.seeded`)) throw new Error(`no cached full seed in ${cache}: run npm run bench once first`);
  const seeds = values.seeds?.split(",").map((file) => resolve(file)) ?? builds.map(() => seeded);
  if (seeds.length !== builds.length) throw new Error(`--seeds names ${seeds.length} file(s) for ${builds.length} build(s); give one per build`);
  for (const file of seeds) if (!existsSync(file)) throw new Error(`no seeded file ${file}`);

  const servers: Server[] = [];
  try {
    const work = join(cache, "cpu");
    mkdirSync(work, { recursive: true });
    for (const [index, build] of builds.entries()) {
      const copy = join(work, `build-${index}.db`);
      for (const file of [copy, requestLogPath(copy)]) for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
      copyFileSync(seeds[index] ?? seeded, copy);
      const script = fileURLToPath(new URL("./servers/roster-dist.mjs", import.meta.url));
      const name = values.seeds === undefined ? build : `${build} on ${basename(seeds[index] ?? seeded)}`;
      servers.push(await start(name, { kind: "roster", database: copy, sizes: FULL_SIZES, processes: 1 }, script, { BENCH_ROSTER_DIST: build }, []));
    }
    if (values["no-ceiling"] !== true) {
      const script = fileURLToPath(new URL("./servers/main.ts", import.meta.url));
      servers.push(await start("ceiling", { kind: "ceiling", database: ceilingDb, sizes: FULL_SIZES, processes: 1 }, script, {}, ["--import", "tsx"]));
    }
    process.stdout.write("| round | workload | server | CPU µs per request | of which the main thread | requests/s | p99 ms | answers other than 2xx |\n|---|---|---|---|---|---|---|---|\n");
    for (const server of servers) for (const workload of workloads) await drive(server, workload, 1); // warm-up
    for (let round = 1; round <= rounds; round++) {
      for (const workload of workloads) {
        for (const server of servers) {
          const pid = server.child.pid ?? 0;
          const before = cpuMicros(pid);
          const loopBefore = cpuMicros(pid, true);
          const started = performance.now();
          const result = await drive(server, workload, seconds);
          const cpu = cpuMicros(pid) - before;
          const loop = cpuMicros(pid, true) - loopBefore;
          const answered = result.requests.total;
          const others = Object.entries(result.statusCodeStats ?? {})
            .filter(([code]) => !code.startsWith("2"))
            .map(([code, stats]) => `${stats.count} × ${code}`)
            .join(", ");
          const rate = answered / ((performance.now() - started) / 1000);
          process.stdout.write(`| ${round} | ${workload} | ${server.name} | ${(cpu / answered).toFixed(1)} | ${(loop / answered).toFixed(1)} | ${rate.toFixed(0)} | ${result.latency.p99} | ${others || "none"} |\n`);
        }
      }
    }
    return 0;
  } finally {
    for (const server of servers) server.child.kill("SIGTERM");
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`cpu-per-request: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
