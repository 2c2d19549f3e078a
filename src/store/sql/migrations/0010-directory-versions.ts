import { type Kysely, type Migration, sql } from "kysely";
import type { SqlDialect } from "../dialect.js";
import { DIRECTORY_VERSION_SLOTS } from "../dialect-postgres.js";

// PostgreSQL: a tenant's directory version, the number of statements that have changed its
// users, groups, emails or memberships, kept by triggers so that no write can leave it
// behind. The list memo (query-resources.ts) keys on it instead of the current snapshot,
// which every commit changes: the request log's flush every 200 ms, a token's last use, any
// other tenant's write (ADR 0015). Each backend counts in one of a few slots of the tenant
// (its pid modulo DIRECTORY_VERSION_SLOTS), so that concurrent writers of one tenant seldom
// wait for each other's commit on one row; the version is the sum of the slots.
//
// Statement triggers with a transition table: a bulk insert counts once per statement and
// tenant, not once per row. SQLite keeps `PRAGMA data_version` (its request log lives in
// another file, ADR 0014). Idempotent: a run interrupted before it was recorded runs again.
export function directoryVersionsMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      if (dialect.name !== "postgres") return;
      await db.schema
        .createTable("directory_versions")
        .ifNotExists()
        .addColumn("tenant_id", dialect.textType, (c) => c.notNull())
        .addColumn("slot", "integer", (c) => c.notNull())
        .addColumn("changes", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("directory_versions_pkey", ["tenant_id", "slot"])
        .execute();
      // Tenants in order: two statements counting the same tenants take their rows' locks in one
      // order. The search path is the migration's (Roster's schema), so that a write made in a
      // session with another search path (an operator's psql) still finds the table.
      await sql`
        create or replace function roster_directory_changed() returns trigger
        language plpgsql set search_path from current as $fn$
        begin
          insert into directory_versions (tenant_id, slot, changes)
            select tenant_id, pg_backend_pid() % ${sql.lit(DIRECTORY_VERSION_SLOTS)}, 1
            from (select distinct tenant_id from changed_rows) as changed order by tenant_id
          on conflict (tenant_id, slot) do update set changes = directory_versions.changes + 1;
          return null;
        end
        $fn$`.execute(db);
      for (const table of ["resources", "resource_emails", "group_members"]) {
        for (const [event, transition] of [
          ["insert", "new"],
          ["update", "new"],
          ["delete", "old"],
        ] as const) {
          const name = `${table}_${event}_directory_version`;
          await sql`drop trigger if exists ${sql.id(name)} on ${sql.id(table)}`.execute(db);
          await sql`
            create trigger ${sql.id(name)} after ${sql.raw(event)} on ${sql.id(table)}
            referencing ${sql.raw(transition)} table as changed_rows
            for each statement execute function roster_directory_changed()`.execute(db);
        }
      }
    },
  };
}
