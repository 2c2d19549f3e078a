import type { Kysely } from "kysely";
import type { NewEvent, StoredEvent } from "../store.js";
import type { SqlDialect } from "./dialect.js";
import { powerOfTwoRuns, preparedInsert } from "./prepared-query.js";
import type { Database, EventsTable } from "./schema.js";

const EVENT_COLUMNS = ["id", "tenant_id", "type", "resource_type", "resource_id", "occurred_at", "data"] as const satisfies readonly (keyof EventsTable)[];

/** The INSERT of a run of events, compiled once per power of two (every write appends its events). */
const INSERT_EVENTS = preparedInsert("events", EVENT_COLUMNS);

/** Rows per INSERT at most: far below SQLite's and PostgreSQL's limits on bound parameters (7 per row). */
const INSERT_ROWS = 256;

export async function appendEvents(db: Kysely<Database>, dialect: SqlDialect, tenantId: string, events: readonly NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await dialect.lockTenantEvents(db, tenantId);
  for (const run of powerOfTwoRuns(events, INSERT_ROWS)) {
    const values = run.flatMap((event) => [event.id, tenantId, event.type, event.resourceType, event.resourceId, event.occurredAt, event.data]);
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
