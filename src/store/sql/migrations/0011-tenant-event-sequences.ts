import { type Kysely, type Migration, sql } from "kysely";
import type { SqlDialect } from "../dialect.js";

// Event sequence numbers counted per tenant (ADR 0026), so that a tenant's feed no longer
// shows how much every other tenant writes. `events.seq` stops being a global identity: each
// event's number is its tenant's last number plus one, drawn by the INSERT itself under the
// tenant's lock (src/store/sql/events.ts), and the primary key becomes (tenant_id, seq) — the
// index the feed already read by, now unique, so a number can never be handed out twice.
//
// Events already stored keep their numbers, and each tenant continues from its highest (or
// from its retention mark): every cursor handed out before the upgrade, every webhook's
// fan-out position and every delivery's event number still names the same event. From the
// upgrade on, a tenant's numbers grow by one.
//
// SQLite cannot change a table's primary key: the events table is rebuilt (a copy, in the
// migration's one BEGIN IMMEDIATE transaction). PostgreSQL drops the identity and swaps the
// primary key in place. Idempotent: a run interrupted before it was recorded runs again.
export function tenantEventSequencesMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      if (dialect.name === "sqlite") await rebuildSqliteEvents(db);
      else await rekeyPostgresEvents(db);
    },
  };
}

/** The SQLite events table with (tenant_id, seq) as its primary key; `seq` no longer an alias of the rowid. */
async function rebuildSqliteEvents(db: Kysely<any>): Promise<void> {
  const columnsOf = async (table: string) => (await sql<{ name: string; pk: number }>`select name, pk from pragma_table_info(${table})`.execute(db)).rows;
  let columns = await columnsOf("events");
  if (columns.length === 0) {
    // A run interrupted between dropping the old table and renaming the copy: the copy is whole.
    await sql`alter table events_rebuilt rename to events`.execute(db);
    columns = await columnsOf("events");
  }
  if (columns.filter((column) => column.pk > 0).length !== 2) {
    await sql`drop table if exists events_rebuilt`.execute(db);
    await sql`
      create table events_rebuilt (
        seq integer not null,
        id text not null unique,
        tenant_id text not null references tenants (id) on delete cascade,
        type text not null,
        resource_type text not null,
        resource_id text not null,
        occurred_at text not null,
        data text not null,
        primary key (tenant_id, seq)
      )`.execute(db);
    await sql`
      insert into events_rebuilt (seq, id, tenant_id, type, resource_type, resource_id, occurred_at, data)
      select seq, id, tenant_id, type, resource_type, resource_id, occurred_at, data from events order by seq`.execute(db);
    await sql`drop table events`.execute(db);
    await sql`alter table events_rebuilt rename to events`.execute(db);
  }
  await createSqliteEventIndexes(db);
}

async function createSqliteEventIndexes(db: Kysely<any>): Promise<void> {
  // (tenant_id, seq) is the primary key's own index now; events_tenant_seq went with the old table.
  await db.schema.createIndex("events_tenant_occurred").ifNotExists().on("events").columns(["tenant_id", "occurred_at"]).execute();
}

/** PostgreSQL: `seq` loses its identity; the primary key becomes (tenant_id, seq), on the index the feed already read by. */
async function rekeyPostgresEvents(db: Kysely<any>): Promise<void> {
  await sql`alter table events alter column seq drop identity if exists`.execute(db);
  await sql`alter table events drop constraint if exists events_pkey`.execute(db);
  await sql`drop index if exists events_tenant_seq`.execute(db);
  await sql`alter table events add constraint events_pkey primary key (tenant_id, seq)`.execute(db);
}
