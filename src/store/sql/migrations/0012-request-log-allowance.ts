import { type Kysely, type Migration, sql } from "kysely";
import type { SqlDialect } from "../dialect.js";
import { REQUEST_LOG_DROPPED_COLUMNS, REQUEST_LOG_KIND_INDEX, REQUEST_LOG_SCHEMA } from "../request-log-file.js";

// Unauthenticated requests get an allowance of their own in the request log, pruned apart
// from the authenticated entries, and a per-tenant count of those pruned (ADR 0029). Every
// entry so far was kept as authenticated but a 401: only a request answered before
// authentication is answered 401. On SQLite the log is its own file, attached as `log` while
// migrating (a file made by this version already has all of it). Idempotent.
export function requestLogAllowanceMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      if (dialect.name === "sqlite") {
        const columns = await sql<{ name: string }>`select name from pragma_table_info('request_log', ${REQUEST_LOG_SCHEMA})`.execute(db);
        if (!columns.rows.some((column) => column.name === "authenticated")) {
          await sql.raw(`alter table ${REQUEST_LOG_SCHEMA}.request_log add column authenticated integer not null default 1`).execute(db);
        }
        await sql.raw(`update ${REQUEST_LOG_SCHEMA}.request_log set authenticated = 0 where status = 401 and authenticated = 1`).execute(db);
        await sql.raw(`create index if not exists ${REQUEST_LOG_SCHEMA}.${REQUEST_LOG_KIND_INDEX} on request_log (tenant_id, authenticated, seq)`).execute(db);
        await sql.raw(`create table if not exists ${REQUEST_LOG_SCHEMA}.request_log_dropped (${REQUEST_LOG_DROPPED_COLUMNS})`).execute(db);
        return;
      }
      await sql`alter table request_log add column if not exists authenticated integer not null default 1`.execute(db);
      await sql`update request_log set authenticated = 0 where status = 401 and authenticated = 1`.execute(db);
      await db.schema.createIndex(REQUEST_LOG_KIND_INDEX).ifNotExists().on("request_log").columns(["tenant_id", "authenticated", "seq"]).execute();
      await db.schema
        .createTable("request_log_dropped")
        .ifNotExists()
        .addColumn("tenant_id", dialect.textType, (c) => c.primaryKey().references("tenants.id").onDelete("cascade"))
        .addColumn("unauthenticated", "bigint", (c) => c.notNull().defaultTo(0))
        .execute();
    },
  };
}
