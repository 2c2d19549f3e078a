import { type Kysely, type Migration, sql } from "kysely";
import type { SqlDialect } from "../dialect.js";
import { REQUEST_LOG_CLASS_EXPRESSION, REQUEST_LOG_CLASS_INDEX, REQUEST_LOG_SCHEMA } from "../request-log-file.js";

// The management API reads the request log (ADR 0032): each entry keeps the ids of the change
// events its request caused (`event_ids`, a JSON array; null when none, as every entry written
// before), and an index on (tenant, status class, seq) serves a listing filtered by class and
// the status page's counts. One request is read by walking its tenant's entries, which
// retention bounds (no index on request_id: it cost every SCIM request, ADR 0032). On SQLite
// the log is its own file, attached as `log` while migrating (a file made by this version
// already has all of it). Idempotent.
export function requestLogEventsMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      if (dialect.name === "sqlite") {
        const columns = await sql<{ name: string }>`select name from pragma_table_info('request_log', ${REQUEST_LOG_SCHEMA})`.execute(db);
        if (!columns.rows.some((column) => column.name === "event_ids")) {
          await sql.raw(`alter table ${REQUEST_LOG_SCHEMA}.request_log add column event_ids text`).execute(db);
        }
        await sql
          .raw(`create index if not exists ${REQUEST_LOG_SCHEMA}.${REQUEST_LOG_CLASS_INDEX} on request_log (tenant_id, (${REQUEST_LOG_CLASS_EXPRESSION}), seq, status)`)
          .execute(db);
        return;
      }
      await sql`alter table request_log add column if not exists event_ids text`.execute(db);
      await sql.raw(`create index if not exists ${REQUEST_LOG_CLASS_INDEX} on request_log (tenant_id, (${REQUEST_LOG_CLASS_EXPRESSION}), seq, status)`).execute(db);
    },
  };
}
