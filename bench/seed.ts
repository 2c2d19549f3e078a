import { existsSync, rmSync } from "node:fs";
import Database from "better-sqlite3";
import { type Insertable, Kysely } from "kysely";
import { unwrap } from "../src/scim/errors.js";
import { parseResourceInput } from "../src/scim/resource/parse-resource.js";
import { tenantSchemas } from "../src/directory/schemas.js";
import { createTenant, findTenantBySlug } from "../src/directory/tenants.js";
import { openStore, sqlitePath } from "../src/store/open-store.js";
import { createPostgresDialect } from "../src/store/sql/dialect-postgres.js";
import { RosterSqliteDialect, prepareSqliteDatabase } from "../src/store/sql/dialect-sqlite.js";
import { toEmailRows, toResourceRow } from "../src/store/sql/mappers.js";
import { requestLogPath } from "../src/store/sql/request-log-file.js";
import type { RequestLogTable, Database as Tables } from "../src/store/sql/schema.js";
import type { StoredResource, Tenant } from "../src/store/store.js";
import { MEMBER_GROUP_INDEX, TENANT_KEYS, type SeedSizes, type TenantKey, groupBody, groupId, oktaUser, userId, userName, usersOf } from "./sizes.js";

/** Rows written per transaction, and per INSERT statement (13 columns × 400 stays under every parameter limit). */
const BATCH = 10_000;
const ROWS_PER_STATEMENT = 400;
const SEEDED_MARKER = "seeded";
const SEEDED_AT = "2026-01-01T00:00:00.000Z";

export type Progress = (message: string) => void;

/** Whether the database at `url` holds a complete seed (the marker tenant is written last). */
export async function isSeeded(url: string): Promise<boolean> {
  const path = sqlitePath(url);
  if (path !== undefined && path !== ":memory:" && !existsSync(path)) return false;
  const store = await openStore(url, { migrate: true });
  try {
    return (await findTenantBySlug(store, SEEDED_MARKER)) !== undefined;
  } finally {
    await store.close();
  }
}

/** The store's own tables and row mappers, written in bulk (multi-row INSERTs, big transactions). */
function openTables(url: string): Kysely<Tables> {
  const path = sqlitePath(url);
  if (path === undefined) return new Kysely<Tables>({ dialect: createPostgresDialect({ connectionString: url, poolSize: 4, connectTimeoutMs: 10_000 }) });
  const database = new Database(path);
  prepareSqliteDatabase(database, { busyTimeoutMs: 5_000 });
  return new Kysely<Tables>({ dialect: new RosterSqliteDialect({ database }) });
}

/**
 * Seeds an empty Roster database: tenants `small`, `large` and `import` with their users,
 * groups and memberships (sizes.ts). Tenants go through the directory, rows through the
 * store's row mappers in bulk. A SQLite file is removed first; a PostgreSQL database must be empty.
 */
export async function seedRoster(url: string, sizes: SeedSizes, progress: Progress = () => undefined, parallel = 1): Promise<void> {
  const path = sqlitePath(url);
  if (path !== undefined && path !== ":memory:") for (const file of [path, requestLogPath(path)]) for (const suffix of ["", "-wal", "-shm"]) rmSync(file + suffix, { force: true });
  const store = await openStore(url, { migrate: true });
  const tenants = new Map<TenantKey, Tenant>();
  const logTenants: Tenant[] = [];
  try {
    for (const key of TENANT_KEYS) tenants.set(key, await createTenant(store, key));
    for (let index = 0; index < sizes.requestLogTenants; index++) logTenants.push(await createTenant(store, `log-${index}`));
  } finally {
    await store.close();
  }
  const db = openTables(url);
  try {
    for (const key of TENANT_KEYS) {
      const tenant = tenants.get(key);
      if (tenant === undefined) continue;
      await seedResources(db, tenant, key, "User", usersOf(sizes, key), progress, parallel);
      await seedResources(db, tenant, key, "Group", key === "small" ? sizes.smallUsers : key === "large" ? 1 : 0, progress, parallel);
      await seedMembers(db, tenant, key, key === "small" ? sizes.smallGroupMembers : key === "large" ? sizes.bigGroupMembers : 0);
      progress(`seeded tenant ${key}`);
    }
  } finally {
    await db.destroy();
  }
  const large = tenants.get("large");
  if (large !== undefined) await seedRequestLog(url, large, logTenants, sizes.requestLogEntries, progress);
  const marker = await openStore(url);
  try {
    await createTenant(marker, SEEDED_MARKER);
  } finally {
    await marker.close();
  }
}

async function inBatches(total: number, parallel: number, write: (from: number, to: number) => Promise<void>): Promise<void> {
  let next = 0;
  async function worker(): Promise<void> {
    while (next < total) {
      const from = next;
      next = Math.min(total, next + BATCH);
      await write(from, next);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
}

function slices<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += ROWS_PER_STATEMENT) result.push(items.slice(i, i + ROWS_PER_STATEMENT));
  return result;
}

async function seedResources(db: Kysely<Tables>, tenant: Tenant, key: TenantKey, kind: "User" | "Group", count: number, progress: Progress, parallel: number): Promise<void> {
  const schema = tenantSchemas().byKind[kind];
  let written = 0;
  await inBatches(count, parallel, async (from, to) => {
    const resources: StoredResource[] = [];
    for (let index = from; index < to; index++) {
      const body = kind === "User" ? oktaUser(userName(key, index), index) : groupBody(key, index);
      const { document } = unwrap(parseResourceInput(body, schema, { mode: "create" }));
      const id = kind === "User" ? userId(key, index) : groupId(key, index);
      resources.push({ tenantId: tenant.id, id, kind, document, created: SEEDED_AT, lastModified: SEEDED_AT, version: 1 });
    }
    await db.transaction().execute(async (trx) => {
      for (const rows of slices(resources.map(toResourceRow))) await trx.insertInto("resources").values(rows).execute();
      for (const rows of slices(resources.flatMap(toEmailRows))) await trx.insertInto("resource_emails").values(rows).execute();
    });
    written += to - from;
    if (written % 100_000 < BATCH) progress(`${key}: ${written} / ${count} ${kind.toLowerCase()}s`);
  });
}

async function seedMembers(db: Kysely<Tables>, tenant: Tenant, key: TenantKey, count: number): Promise<void> {
  const group = groupId(key, MEMBER_GROUP_INDEX);
  await inBatches(count, 1, async (from, to) => {
    const rows: { tenant_id: string; group_id: string; member_id: string; member_kind: "User" }[] = [];
    for (let index = from; index < to; index++) rows.push({ tenant_id: tenant.id, group_id: group, member_id: userId(key, index), member_kind: "User" });
    await db.transaction().execute(async (trx) => {
      for (const slice of slices(rows)) await trx.insertInto("group_members").values(slice).execute();
    });
  });
}

/** The request log's table where it lives: on SQLite its own file beside the database (ADR 0014), which migrating created. */
function openLog(url: string): Kysely<Tables> {
  const path = sqlitePath(url);
  return path === undefined ? openTables(url) : openTables(requestLogPath(path));
}

/**
 * `count` request-log entries, one in two of them `large`'s and the others spread over the log
 * tenants in turn, a millisecond apart: mostly 200s, with 201s, 409s and unauthenticated 401s,
 * as an identity provider's traffic looks (the request-log workloads read `large`'s newest).
 */
async function seedRequestLog(url: string, large: Tenant, others: readonly Tenant[], count: number, progress: Progress): Promise<void> {
  const db = openLog(url);
  const start = Date.parse(SEEDED_AT);
  try {
    await inBatches(count, 1, async (from, to) => {
      const rows: Insertable<RequestLogTable>[] = [];
      for (let index = from; index < to; index++) {
        const tenant = index % 2 === 0 || others.length === 0 ? large : (others[Math.floor(index / 2) % others.length] ?? large);
        // Every tenant gets the same mix: the roll counts its own entries.
        const roll = Math.floor(index / 2) % 100;
        const status = roll < 90 ? 200 : roll < 95 ? 201 : roll < 99 ? 401 : 409;
        rows.push({
          tenant_id: tenant.id,
          request_id: `seed-${index}`,
          at: new Date(start + index).toISOString(),
          method: status === 201 || status === 409 ? "POST" : "GET",
          path: `/scim/v2/${tenant.slug}/Users${status === 200 ? `?filter=userName%20eq%20%22user${index}%40example.com%22` : ""}`,
          status,
          duration_ms: 1.5,
          scim_type: status === 409 ? "uniqueness" : null,
          error_detail: status === 401 ? "the bearer token is not valid for this SCIM base URL (unknown, revoked, or issued for another tenant)" : status === 409 ? "userName is already taken" : null,
          user_agent: "Okta SCIM Client 1.0.0",
          request_body: null,
          notes: null,
          authenticated: status === 401 ? 0 : 1,
          event_ids: null,
        });
      }
      await db.transaction().execute(async (trx) => {
        for (const slice of slices(rows)) await trx.insertInto("request_log").values(slice).execute();
      });
      if (to % 100_000 < BATCH) progress(`request log: ${to} / ${count} entries`);
    });
  } finally {
    await db.destroy();
  }
}
