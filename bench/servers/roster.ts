import cluster from "node:cluster";
import { createServer } from "node:net";
import { createToken } from "../../src/directory/tokens.js";
import { findTenantBySlug } from "../../src/directory/tenants.js";
import { startServer } from "../../src/http/server.js";
import { openStore } from "../../src/store/open-store.js";
import { TENANT_KEYS, type TenantKey } from "../sizes.js";
import { announce, type ServerStart, type TenantEndpoint } from "./protocol.js";

// Roster as `roster serve` runs it (pino logging on, request log on), on a seeded
// database. With `processes` > 1, node:cluster shares one port between workers.

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function issueTokens(database: string, url: string): Promise<Partial<Record<TenantKey, TenantEndpoint>>> {
  const store = await openStore(database, { migrate: true });
  try {
    const tenants: Partial<Record<TenantKey, TenantEndpoint>> = {};
    for (const key of TENANT_KEYS) {
      const tenant = await findTenantBySlug(store, key);
      if (tenant === undefined) throw new Error(`bench: tenant ${key} is not seeded in ${database}`);
      tenants[key] = { base: `${url}/scim/v2/${key}`, token: (await createToken(store, tenant, "bench")).token };
    }
    return tenants;
  } finally {
    await store.close();
  }
}

async function serve(database: string, port: number): Promise<string> {
  const store = await openStore(database);
  const running = await startServer({ store, host: "127.0.0.1", port, log: true });
  return running.url;
}

export async function startRoster(start: ServerStart): Promise<void> {
  if (start.processes <= 1) {
    const port = await freePort();
    const tenants = await issueTokens(start.database, `http://127.0.0.1:${port}`);
    const url = await serve(start.database, port);
    announce({ url, tenants });
    return;
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const tenants = await issueTokens(start.database, url);
  let listening = 0;
  for (let i = 0; i < start.processes; i++) {
    const worker = cluster.fork({ BENCH_ROSTER_WORKER: JSON.stringify({ database: start.database, port }) });
    worker.on("message", (message: { type?: string }) => {
      if (message.type === "listening" && ++listening === start.processes) announce({ url, tenants });
    });
  }
}

/** A cluster worker: serves and tells the primary. */
export async function startRosterWorker(config: string): Promise<void> {
  const { database, port } = JSON.parse(config) as { database: string; port: number };
  await serve(database, port);
  process.send?.({ type: "listening" });
}
