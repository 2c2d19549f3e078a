import { type Kysely, sql } from "kysely";
import type { NewEvent, StoredEvent } from "../store.js";
import type { SqlDialect } from "./dialect.js";
import { PreparedQuery, powerOfTwoRuns } from "./prepared-query.js";
import type { Database } from "./schema.js";

/** Values per event in INSERT_EVENTS, the tenant aside. */
const EVENT_VALUES = 6;

/**
 * The INSERT of a run of events numbered after the tenant's last one, compiled once per power
 * of two (every write appends its events). Values: the tenant id, then per event its id, type,
 * resource type, resource id, time and data. The tenant's last number is its highest stored
 * event, or its retention mark when retention removed every event (a number is never handed
 * out twice), read by the INSERT itself: no round trip more than a plain INSERT.
 */
const INSERT_EVENTS = new PreparedQuery((db, param, rows, dialect) => {
  const larger = sql.raw(dialect.name === "sqlite" ? "max" : "greatest");
  const tenant = param(0);
  const values = Array.from({ length: rows }, (_, row) => {
    const at = (column: number) => param(1 + row * EVENT_VALUES + column);
    return sql`(${sql.lit(row + 1)}, ${at(0)}, ${at(1)}, ${at(2)}, ${at(3)}, ${at(4)}, ${at(5)})`;
  });
  const query = sql`
    insert into events (seq, id, tenant_id, type, resource_type, resource_id, occurred_at, data)
    select latest.seq + batch.column1, batch.column2, ${tenant}, batch.column3, batch.column4, batch.column5, batch.column6, batch.column7
    from (select ${larger}(
            coalesce((select max(seq) from events where tenant_id = ${tenant}), 0),
            coalesce((select events_pruned_seq from tenants where id = ${tenant}), 0)) as seq) as latest,
         (values ${sql.join(values)}) as batch`;
  return { compile: () => query.compile(db) };
});

/** Rows per INSERT at most: far below SQLite's and PostgreSQL's limits on bound parameters (6 per row). */
const INSERT_ROWS = 256;

/**
 * Appends the tenant's events, numbered 1, 2, 3… within the tenant (ADR 0026). The last
 * statement of a writing transaction: on PostgreSQL it first takes the tenant's lock, held
 * until the commit, so that the next writer of the tenant reads this one's numbers (its
 * statement starts after this commit) and numbers follow commit order; SQLite's BEGIN
 * IMMEDIATE serialises every writer already. A rolled-back transaction leaves no gap.
 */
export async function appendEvents(db: Kysely<Database>, dialect: SqlDialect, tenantId: string, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await dialect.lockTenantEvents(db, tenantId);
  for (const run of powerOfTwoRuns(events, INSERT_ROWS)) {
    const values = [tenantId, ...run.flatMap((event) => [event.id, event.type, event.resourceType, event.resourceId, event.occurredAt, event.data])];
    await INSERT_EVENTS.execute(db, dialect, values, run.length);
  }
}

export async function listEvents(db: Kysely<Database>, tenantId: string, after: number, limit: number): Promise<readonly StoredEvent[]> {
  const rows = await db
    .selectFrom("events")
    .selectAll()
    .where("tenant_id", "=", tenantId)
    .where("seq", ">", after)
    .orderBy("seq")
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    seq: Number(row.seq),
    id: row.id,
    tenantId: row.tenant_id,
    type: row.type,
    resourceType: row.resource_type as StoredEvent["resourceType"],
    resourceId: row.resource_id,
    occurredAt: row.occurred_at,
    data: row.data,
  }));
}

export async function eventBounds(db: Kysely<Database>, tenantId: string): Promise<{ readonly last: number; readonly pruned: number }> {
  const last = await db.selectFrom("events").select((eb) => eb.fn.max("seq").as("seq")).where("tenant_id", "=", tenantId).executeTakeFirst();
  const tenant = await db.selectFrom("tenants").select("events_pruned_seq").where("id", "=", tenantId).executeTakeFirst();
  const pruned = Number(tenant?.events_pruned_seq ?? 0);
  return { last: Math.max(Number(last?.seq ?? 0), pruned), pruned };
}

export async function eventSeqBefore(db: Kysely<Database>, tenantId: string, at: string): Promise<number> {
  const first = await db
    .selectFrom("events")
    .select("seq")
    .where("tenant_id", "=", tenantId)
    .where("occurred_at", ">=", at)
    .orderBy("seq")
    .limit(1)
    .executeTakeFirst();
  if (first !== undefined) return Number(first.seq) - 1;
  return (await eventBounds(db, tenantId)).last;
}

/**
 * Removes the events that occurred before `before`, but never one a pending delivery still
 * needs (nor any after it: the feed stays a contiguous tail); raises the tenant's pruned mark.
 */
export async function pruneEvents(db: Kysely<Database>, tenantId: string, before: string): Promise<number> {
  const old = await db
    .selectFrom("events")
    .select((eb) => eb.fn.max("seq").as("seq"))
    .where("tenant_id", "=", tenantId)
    .where("occurred_at", "<", before)
    .executeTakeFirst();
  let cut = Number(old?.seq ?? 0);
  if (cut === 0) return 0;
  const pending = await db
    .selectFrom("deliveries")
    .select((eb) => eb.fn.min("event_seq").as("seq"))
    .where("tenant_id", "=", tenantId)
    .where("status", "=", "pending")
    .executeTakeFirst();
  if (pending?.seq !== null && pending?.seq !== undefined) cut = Math.min(cut, Number(pending.seq) - 1);
  if (cut <= 0) return 0;
  const removed = await db.deleteFrom("events").where("tenant_id", "=", tenantId).where("seq", "<=", cut).executeTakeFirst();
  await db
    .updateTable("tenants")
    .set({ events_pruned_seq: cut })
    .where("id", "=", tenantId)
    .where("events_pruned_seq", "<", cut)
    .execute();
  return Number(removed.numDeletedRows);
}
