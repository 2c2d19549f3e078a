import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { createRequire } from "node:module";
import { TENANT_KEYS, type SeedSizes, type TenantKey, groupBody, oktaUser, userName } from "../sizes.js";
import { announce, type ServerStart, type TenantEndpoint } from "./protocol.js";

// Ory Polis (@boxyhq/saml-jackson) directory sync, behind a plain node:http server that hands
// each SCIM request to `directorySyncController.requests.handle` as its docs show for a Next.js
// API route. Seeded through the same handler (no HTTP). Two stores: its in-memory engine
// (`start.database` empty) and its SQL engine on SQLite (`start.database` a file path), which
// Polis runs through TypeORM's better-sqlite3 driver.

interface JacksonRequest {
  method: string;
  body: unknown;
  directoryId: string;
  resourceType: string;
  resourceId: string | undefined;
  apiSecret: string | null;
  query: { count?: number; startIndex?: number; filter?: string };
}
interface DirectorySync {
  directories: { create(params: { tenant: string; product: string; name: string; type: string }): Promise<{ data: { id: string; scim: { secret: string } } | null; error: unknown }> };
  requests: { handle(request: JacksonRequest): Promise<{ status: number; data: unknown }> };
}
type JacksonModule = { default?: (options: Record<string, unknown>) => Promise<{ directorySyncController: DirectorySync }> };

/** Only the small tenant: Polis's list/total scans load every user of a directory. */
const SEEDED: readonly TenantKey[] = ["small"];

interface SeededDirectory {
  readonly id: string;
  readonly secret: string;
  readonly userIds: string[];
  readonly groupIds: string[];
}

interface SqliteConnection {
  pragma(source: string): unknown;
}

/**
 * Polis opens its SQLite file through TypeORM, which takes no journal or sync setting from
 * Polis's options: left alone, it would run with a rollback journal. Every connection TypeORM
 * opens gets the durability Roster and the ceiling run with (WAL, `synchronous=FULL`: each
 * commit fsynced before the answer; one fsync per commit, where a rollback journal needs more).
 * Returns the connections opened, so that seeding can run without fsyncs.
 */
function durableSqliteConnections(): SqliteConnection[] {
  const fromTypeorm = createRequire(createRequire(import.meta.url).resolve("typeorm"));
  const path = fromTypeorm.resolve("better-sqlite3");
  const Database = fromTypeorm("better-sqlite3") as new (...args: unknown[]) => SqliteConnection;
  const cached = fromTypeorm.cache[path];
  if (cached === undefined) throw new Error("better-sqlite3 is not in the module cache after loading it");
  const opened: SqliteConnection[] = [];
  cached.exports = class DurableDatabase extends Database {
    constructor(...args: unknown[]) {
      super(...args);
      this.pragma("journal_mode = WAL");
      this.pragma("synchronous = FULL");
      opened.push(this);
    }
  };
  return opened;
}

export async function startJackson(start: ServerStart): Promise<void> {
  // Polis logs one line per SCIM event when no webhook is configured; keep the bench output readable.
  for (const method of ["log", "info", "warn", "error"] as const) {
    const write = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      if (typeof args[0] === "string" && args[0].startsWith("Webhook not configured")) return;
      write(...args);
    };
  }
  const loaded = (await import("@boxyhq/saml-jackson")) as unknown as JacksonModule & { default?: JacksonModule };
  const init = loaded.default?.default ?? loaded.default;
  if (typeof init !== "function") throw new Error("@boxyhq/saml-jackson exports no controllers() function");
  // A SQLite file is seeded once and reused while the record of its seeding (directory ids,
  // secrets, user and group ids) is beside it, as Roster's seeded files are.
  const file = start.database === "" ? undefined : start.database;
  const seedRecord = file === undefined ? undefined : `${file}.seed.json`;
  const reused = seedRecord !== undefined && existsSync(seedRecord);
  if (file !== undefined && !reused) for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
  const connections = file === undefined ? [] : durableSqliteConnections();
  const { directorySyncController: dsync } = await init({
    externalUrl: "http://127.0.0.1",
    samlPath: "/api/oauth/saml",
    samlAudience: "https://saml.boxyhq.com",
    db: file === undefined ? { engine: "mem" } : { engine: "sql", type: "sqlite", url: file },
    noAnalytics: true,
  });
  const directories = new Map<TenantKey, SeededDirectory>(
    reused && seedRecord !== undefined ? (JSON.parse(readFileSync(seedRecord, "utf8")) as [TenantKey, SeededDirectory][]) : await seed(dsync, start, connections),
  );
  if (seedRecord !== undefined && !reused) writeFileSync(seedRecord, JSON.stringify([...directories]));
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const [, , , , directoryId, resourceType, resourceId] = url.pathname.split("/"); // /api/scim/v2.0/{directory}/{type}/{id}
      const raw = await readBody(request);
      const count = url.searchParams.get("count");
      const startIndex = url.searchParams.get("startIndex");
      const filter = url.searchParams.get("filter");
      const answer = await dsync.requests.handle({
        method: request.method ?? "GET",
        body: raw.length > 0 ? JSON.parse(raw) : undefined,
        directoryId: directoryId ?? "",
        resourceType: resourceType ?? "",
        resourceId: resourceId === undefined || resourceId.length === 0 ? undefined : resourceId,
        apiSecret: /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? null,
        query: {
          ...(count === null ? {} : { count: Number(count) }),
          ...(startIndex === null ? {} : { startIndex: Number(startIndex) }),
          ...(filter === null ? {} : { filter }),
        },
      });
      response.writeHead(answer.status, { "content-type": "application/scim+json" });
      response.end(JSON.stringify(answer.data));
    })().catch((error: unknown) => {
      response.writeHead(500, { "content-type": "text/plain" });
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  const tenants: Partial<Record<TenantKey, TenantEndpoint>> = {};
  for (const key of TENANT_KEYS) {
    const directory = directories.get(key);
    if (directory !== undefined) tenants[key] = { base: `${url}/api/scim/v2.0/${directory.id}`, token: directory.secret, userIds: directory.userIds, groupIds: directory.groupIds };
  }
  announce({ url, tenants });
}

/** Creates the seeded directories through Polis's handler; on SQLite without an fsync per write (the harness times no seeding). */
async function seed(dsync: DirectorySync, start: ServerStart, connections: readonly SqliteConnection[]): Promise<[TenantKey, SeededDirectory][]> {
  for (const connection of connections) connection.pragma("synchronous = OFF");
  const directories: [TenantKey, SeededDirectory][] = [];
  for (const key of SEEDED) {
    const created = await dsync.directories.create({ tenant: key, product: "bench", name: key, type: "okta-scim-v2" });
    if (created.data === null) throw new Error(`Polis: cannot create directory: ${JSON.stringify(created.error)}`);
    const directory: SeededDirectory = { id: created.data.id, secret: created.data.scim.secret, userIds: [], groupIds: [] };
    directories.push([key, directory]);
    const handle = (method: string, resourceType: string, body: unknown, resourceId?: string) =>
      dsync.requests.handle({ method, body, directoryId: directory.id, resourceType, resourceId, apiSecret: directory.secret, query: {} });
    for (let i = 0; i < start.sizes.smallUsers; i++) {
      const answer = await handle("POST", "users", oktaUser(userName(key, i), i));
      directory.userIds.push((answer.data as { id: string }).id);
    }
    for (let i = 0; i < start.sizes.smallUsers; i++) {
      const answer = await handle("POST", "groups", groupBody(key, i));
      directory.groupIds.push((answer.data as { id: string }).id);
    }
    const members = directory.userIds.slice(0, start.sizes.smallGroupMembers).map((value) => ({ value }));
    await handle("PATCH", "groups", { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "add", path: "members", value: members }] }, directory.groupIds[0]);
  }
  for (const connection of connections) connection.pragma("synchronous = FULL");
  return directories;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on("data", (part: Buffer) => parts.push(part));
    request.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    request.on("error", reject);
  });
}

export type { SeedSizes };
