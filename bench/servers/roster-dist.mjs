// Roster as production runs it: compiled JavaScript from dist/ (npm run build), plain node,
// no TypeScript loader in the process, so its RSS is Roster's own. Same IPC protocol as
// protocol.ts: argv[2] is a ServerStart; answers "ready" and "rss" messages.
import cluster from "node:cluster";
import { createServer } from "node:net";
import { pathToFileURL } from "node:url";

// BENCH_ROSTER_DIST names another build's dist/ (bench/cpu-per-request.ts compares builds).
const dist = process.env["BENCH_ROSTER_DIST"] === undefined ? new URL("../../dist/", import.meta.url) : pathToFileURL(`${process.env["BENCH_ROSTER_DIST"]}/`);
const { createToken } = await import(new URL("directory/tokens.js", dist).href);
const { createApiKey } = await import(new URL("directory/api-keys.js", dist).href);
const { findTenantBySlug } = await import(new URL("directory/tenants.js", dist).href);
const { startServer } = await import(new URL("http/server.js", dist).href);
const { openStore } = await import(new URL("store/open-store.js", dist).href);

const TENANTS = ["small", "large", "import"];

function send(message) {
  process.send?.(message);
}

function announce(ready) {
  process.on("message", (message) => {
    if (message.type === "rss") send({ type: "rss", maxRssBytes: process.resourceUsage().maxRSS * 1024 });
  });
  send({ type: "ready", ready });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/**
 * createToken of the build under test: since issue 21 it takes the audit actor before the name
 * (four parameters before the defaulted ones); builds from before take the name third.
 */
function issueToken(store, tenant) {
  return createToken.length >= 4 ? createToken(store, tenant, "cli", "bench") : createToken(store, tenant, "bench");
}

async function issueTokens(database, url) {
  const store = await openStore(database, { migrate: true });
  try {
    const tenants = {};
    for (const key of TENANTS) {
      const tenant = await findTenantBySlug(store, key);
      if (tenant === undefined) throw new Error(`bench: tenant ${key} is not seeded in ${database}`);
      tenants[key] = {
        base: `${url}/scim/v2/${key}`,
        token: (await issueToken(store, tenant)).token,
        managementApi: { base: `${url}/api/v1/tenants/${key}`, token: (await createApiKey(store, tenant, "bench")).key },
      };
    }
    return tenants;
  } finally {
    await store.close();
  }
}

async function serve(database, port) {
  const store = await openStore(database);
  return (await startServer({ store, host: "127.0.0.1", port, log: true })).url;
}

async function main() {
  const worker = process.env["BENCH_ROSTER_WORKER"];
  if (worker !== undefined) {
    const { database, port } = JSON.parse(worker);
    await serve(database, port);
    process.send?.({ type: "listening" });
    return;
  }
  const start = JSON.parse(process.argv[2] ?? "{}");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const tenants = await issueTokens(start.database, url);
  if (start.processes <= 1) {
    await serve(start.database, port);
    announce({ url, tenants });
    return;
  }
  let listening = 0;
  for (let i = 0; i < start.processes; i++) {
    const child = cluster.fork({ BENCH_ROSTER_WORKER: JSON.stringify({ database: start.database, port }) });
    child.on("message", (message) => {
      if (message.type === "listening" && ++listening === start.processes) announce({ url, tenants });
    });
  }
}

main().catch((error) => {
  send({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
