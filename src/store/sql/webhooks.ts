import { randomUUID } from "node:crypto";
import type { Insertable, Kysely, Selectable } from "kysely";
import type {
  ClaimedDelivery,
  ClaimOptions,
  DeliveryOutcome,
  ReplayOutcome,
  DeliveryRecord,
  DeliveryStatus,
  EventTypeMatcher,
  FanOutOptions,
  NewWebhook,
  SealedWebhookSecret,
  WebhookRecord,
} from "../store.js";
import { chunks } from "./chunks.js";
import type { SqlDialect } from "./dialect.js";
import type { Database, DeliveriesTable, WebhooksTable } from "./schema.js";

// Webhooks and deliveries (docs/decisions/0010-change-events.md, docs/webhooks.md). Work is
// shared between processes by row locks taken with SKIP LOCKED: fan-out locks a webhook row,
// a claim locks the delivery rows it leases; a process never waits for another's rows.

/** Rows per delivery INSERT (13 parameters a row): far below both databases' limits. */
const DELIVERY_CHUNK = 200;
/** Events read per query when replaying. */
const REPLAY_PAGE = 500;

const WEBHOOK_COLUMNS = ["id", "tenant_id", "url", "events", "enabled", "cursor_seq", "created", "updated"] as const;

type WebhookRow = Pick<Selectable<WebhooksTable>, (typeof WEBHOOK_COLUMNS)[number]>;

function toWebhookRecord(row: WebhookRow): WebhookRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    enabled: Number(row.enabled) === 1,
    cursorSeq: Number(row.cursor_seq),
    created: row.created,
    updated: row.updated,
  };
}

function toDeliveryRecord(row: Selectable<DeliveriesTable>): DeliveryRecord {
  return {
    seq: Number(row.seq),
    id: row.id,
    webhookId: row.webhook_id,
    tenantId: row.tenant_id,
    eventSeq: Number(row.event_seq),
    eventId: row.event_id,
    eventType: row.event_type,
    resourceKey: row.resource_key,
    status: row.status,
    attempts: Number(row.attempts),
    nextAttemptAt: row.next_attempt_at,
    leaseUntil: row.lease_until,
    lastAttemptAt: row.last_attempt_at,
    lastStatus: row.last_status === null ? null : Number(row.last_status),
    lastError: row.last_error,
    created: row.created,
    completed: row.completed,
  };
}

export async function insertWebhook(db: Kysely<Database>, webhook: NewWebhook, created: string): Promise<WebhookRecord> {
  const row = {
    id: webhook.id,
    tenant_id: webhook.tenantId,
    url: webhook.url,
    events: JSON.stringify(webhook.events),
    secret: webhook.sealedSecret,
    enabled: 1,
    cursor_seq: webhook.cursorSeq,
    created,
    updated: created,
  };
  await db.insertInto("webhooks").values(row).execute();
  return toWebhookRecord(row);
}

export async function findWebhook(db: Kysely<Database>, id: string): Promise<WebhookRecord | undefined> {
  const row = await db.selectFrom("webhooks").select(WEBHOOK_COLUMNS).where("id", "=", id).executeTakeFirst();
  return row === undefined ? undefined : toWebhookRecord(row);
}

export async function listWebhooks(db: Kysely<Database>, tenantId: string): Promise<readonly WebhookRecord[]> {
  const rows = await db.selectFrom("webhooks").select(WEBHOOK_COLUMNS).where("tenant_id", "=", tenantId).orderBy("created").orderBy("id").execute();
  return rows.map(toWebhookRecord);
}

export async function listWebhookSecrets(db: Kysely<Database>): Promise<readonly SealedWebhookSecret[]> {
  const rows = await db.selectFrom("webhooks").select(["id", "tenant_id", "secret"]).orderBy("created").orderBy("id").execute();
  return rows.map((row) => ({ webhookId: row.id, tenantId: row.tenant_id, sealedSecret: row.secret }));
}

export async function updateWebhook(
  db: Kysely<Database>,
  id: string,
  changes: { readonly enabled: boolean; readonly cursorSeq?: number },
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable("webhooks")
    .set({ enabled: changes.enabled ? 1 : 0, updated: at, ...(changes.cursorSeq === undefined ? {} : { cursor_seq: changes.cursorSeq }) })
    .where("id", "=", id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteWebhook(db: Kysely<Database>, id: string): Promise<boolean> {
  // Its deliveries go with it (ON DELETE CASCADE).
  const result = await db.deleteFrom("webhooks").where("id", "=", id).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

interface EventHead {
  readonly seq: number;
  readonly id: string;
  readonly type: string;
  readonly resource_type: string;
  readonly resource_id: string;
}

/** The deliveries rows for the events among `events` that the webhook's patterns accept. */
function deliveryRows(
  webhook: { readonly id: string; readonly tenant_id: string; readonly events: string },
  events: readonly EventHead[],
  at: string,
  matches: EventTypeMatcher,
): Insertable<DeliveriesTable>[] {
  const patterns = JSON.parse(webhook.events) as string[];
  return events
    .filter((event) => matches(patterns, event.type))
    .map((event) => ({
      id: randomUUID(),
      webhook_id: webhook.id,
      tenant_id: webhook.tenant_id,
      event_seq: Number(event.seq),
      event_id: event.id,
      event_type: event.type,
      resource_key: `${event.resource_type}:${event.resource_id}`,
      status: "pending" as const,
      attempts: 0,
      next_attempt_at: at,
      lease_until: null,
      last_attempt_at: null,
      last_status: null,
      last_error: null,
      created: at,
      completed: null,
    }));
}

async function insertDeliveries(db: Kysely<Database>, rows: readonly Insertable<DeliveriesTable>[]): Promise<void> {
  for (const chunk of chunks(rows, DELIVERY_CHUNK)) await db.insertInto("deliveries").values(chunk).execute();
}

function eventHeads(db: Kysely<Database>, tenantId: string, after: number) {
  return db
    .selectFrom("events")
    .select(["seq", "id", "type", "resource_type", "resource_id"])
    .where("tenant_id", "=", tenantId)
    .where("seq", ">", after)
    .orderBy("seq");
}

export async function fanOutDeliveries(
  db: Kysely<Database>,
  dialect: SqlDialect,
  options: FanOutOptions,
): Promise<{ readonly webhooks: number; readonly deliveries: number }> {
  // Each webhook row is locked for the transaction, so its cursor moves under one process at a
  // time; another process's fan-out skips it and takes the next webhook instead.
  const behind = await dialect
    .lockSkippingLocked(
      db
        .selectFrom("webhooks as w")
        .select(["w.id", "w.tenant_id", "w.events", "w.cursor_seq"])
        .where("w.enabled", "=", 1)
        .where((eb) =>
          eb.exists(
            eb
              .selectFrom("events as e")
              .select("e.seq")
              .whereRef("e.tenant_id", "=", "w.tenant_id")
              .whereRef("e.seq", ">", "w.cursor_seq"),
          ),
        )
        .orderBy("w.id")
        .limit(options.webhooks),
    )
    .execute();
  let advanced = 0;
  let deliveries = 0;
  for (const webhook of behind) {
    const events = await eventHeads(db, webhook.tenant_id, Number(webhook.cursor_seq)).limit(options.events).execute();
    const last = events[events.length - 1];
    if (last === undefined) continue;
    const rows = deliveryRows(webhook, events, options.at, options.matches);
    await insertDeliveries(db, rows);
    await db.updateTable("webhooks").set({ cursor_seq: Number(last.seq) }).where("id", "=", webhook.id).execute();
    advanced += 1;
    deliveries += rows.length;
  }
  return { webhooks: advanced, deliveries };
}

/** Pending deliveries of enabled webhooks, due at `at`, not leased, and first of their webhook and resource key. */
function dueDeliveries(db: Kysely<Database>, at: string) {
  return (
    db
      .selectFrom("deliveries as d")
      .select("d.id")
      .where("d.status", "=", "pending")
      .where("d.next_attempt_at", "<=", at)
      .where((eb) => eb.or([eb("d.lease_until", "is", null), eb("d.lease_until", "<=", at)]))
      .where("d.webhook_id", "in", (eb) => eb.selectFrom("webhooks").select("webhooks.id").where("webhooks.enabled", "=", 1))
      // Per-resource order: nothing of the same webhook and resource key is pending before it.
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("deliveries as p")
              .select("p.seq")
              .whereRef("p.webhook_id", "=", "d.webhook_id")
              .whereRef("p.resource_key", "=", "d.resource_key")
              .where("p.status", "=", "pending")
              .where((inner) =>
                inner.or([
                  inner("p.event_seq", "<", inner.ref("d.event_seq")),
                  inner.and([inner("p.event_seq", "=", inner.ref("d.event_seq")), inner("p.seq", "<", inner.ref("d.seq"))]),
                ]),
              ),
          ),
        ),
      )
  );
}

export async function hasDeliveryWork(db: Kysely<Database>, at: string): Promise<boolean> {
  const behind = await db
    .selectFrom("webhooks as w")
    .select("w.id")
    .where("w.enabled", "=", 1)
    .where((eb) => eb.exists(eb.selectFrom("events as e").select("e.seq").whereRef("e.tenant_id", "=", "w.tenant_id").whereRef("e.seq", ">", "w.cursor_seq")))
    .limit(1)
    .executeTakeFirst();
  if (behind !== undefined) return true;
  return (await dueDeliveries(db, at).limit(1).executeTakeFirst()) !== undefined;
}

export async function claimDeliveries(db: Kysely<Database>, dialect: SqlDialect, options: ClaimOptions): Promise<readonly ClaimedDelivery[]> {
  if (options.limit <= 0) return [];
  const due = dialect.lockSkippingLocked(dueDeliveries(db, options.at).orderBy("d.next_attempt_at").orderBy("d.seq").limit(options.limit));
  const claimed = await db
    .updateTable("deliveries")
    .set((eb) => ({ lease_until: options.leaseUntil, attempts: eb("attempts", "+", 1), last_attempt_at: options.at }))
    .where("id", "in", due)
    .returningAll()
    .execute();
  if (claimed.length === 0) return [];

  const webhooks = new Map<string, { url: string; secret: string }>();
  for (const ids of chunks([...new Set(claimed.map((row) => row.webhook_id))])) {
    const rows = await db.selectFrom("webhooks").select(["id", "url", "secret"]).where("id", "in", ids).execute();
    for (const row of rows) webhooks.set(row.id, row);
  }
  const events = new Map<string, { id: string; data: string }>();
  for (const ids of chunks([...new Set(claimed.map((row) => row.event_id))])) {
    const rows = await db.selectFrom("events").select(["id", "data"]).where("id", "in", ids).execute();
    for (const row of rows) events.set(row.id, row);
  }
  return claimed
    .map(toDeliveryRecord)
    .sort((a, b) => a.seq - b.seq)
    .flatMap((delivery) => {
      const webhook = webhooks.get(delivery.webhookId);
      // Deleting a webhook deletes its deliveries, which waits for this claim's row locks: never
      // missing here, but a delivery without a webhook has nowhere to go.
      if (webhook === undefined) return [];
      return [{ delivery, url: webhook.url, sealedSecret: webhook.secret, event: events.get(delivery.eventId) }];
    });
}

export async function recordDeliveryOutcome(db: Kysely<Database>, outcome: DeliveryOutcome): Promise<boolean> {
  const changes =
    outcome.status === "succeeded"
      ? { status: "succeeded" as const, completed: outcome.at, lease_until: null, last_status: outcome.httpStatus, last_error: null }
      : outcome.status === "pending"
        ? { next_attempt_at: outcome.nextAttemptAt, lease_until: null, last_status: outcome.httpStatus, last_error: outcome.error }
        : { status: "failed" as const, completed: outcome.at, lease_until: null, last_status: outcome.httpStatus, last_error: outcome.error };
  // `attempts` identifies the claim: after a lease expired and another process claimed the
  // delivery again, the first process's late answer changes nothing.
  const result = await db
    .updateTable("deliveries")
    .set(changes)
    .where("id", "=", outcome.id)
    .where("status", "=", "pending")
    .where("attempts", "=", outcome.attempt)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function listDeliveries(
  db: Kysely<Database>,
  webhookId: string,
  query: { readonly status?: DeliveryStatus; readonly limit: number; readonly before?: number },
): Promise<readonly DeliveryRecord[]> {
  let select = db.selectFrom("deliveries").selectAll().where("webhook_id", "=", webhookId);
  if (query.status !== undefined) select = select.where("status", "=", query.status);
  if (query.before !== undefined) select = select.where("seq", "<", query.before);
  const rows = await select.orderBy("seq", "desc").limit(Math.max(0, Math.trunc(query.limit))).execute();
  return rows.map(toDeliveryRecord);
}

export async function replayDeliveries(
  db: Kysely<Database>,
  dialect: SqlDialect,
  webhookId: string,
  after: number,
  at: string,
  matches: EventTypeMatcher,
  limit: number,
): Promise<ReplayOutcome> {
  // Locked so that fan-out (which skips locked webhooks) cannot move the cursor meanwhile:
  // events up to the cursor are replayed here, later ones are fanned out as usual. The lock
  // also makes a concurrent replay of the same webhook wait, then see this one's deliveries.
  const webhook = await dialect
    .lockForUpdate(db.selectFrom("webhooks").select(["id", "tenant_id", "events", "cursor_seq"]).where("id", "=", webhookId))
    .executeTakeFirst();
  if (webhook === undefined) return { ok: true, deliveries: 0, through: after, complete: true };
  const pending = await db
    .selectFrom("deliveries")
    .select((eb) => eb.fn.countAll<number | string | bigint>().as("count"))
    .where("webhook_id", "=", webhookId)
    .where("status", "=", "pending")
    .where("replayed", "=", 1)
    .executeTakeFirstOrThrow();
  if (Number(pending.count) > 0) return { ok: false, pending: Number(pending.count) };
  const upTo = Number(webhook.cursor_seq);
  let from = after;
  let made = 0;
  while (from < upTo) {
    const events = await eventHeads(db, webhook.tenant_id, from).where("seq", "<=", upTo).limit(REPLAY_PAGE).execute();
    const last = events[events.length - 1];
    if (last === undefined) break;
    const rows = deliveryRows(webhook, events, at, matches).map((row) => ({ ...row, replayed: 1 }));
    if (made + rows.length > limit) {
      // Stop at the limit: `through` is the last event delivered, so replaying from it misses nothing.
      const kept = rows.slice(0, limit - made);
      await insertDeliveries(db, kept);
      return { ok: true, deliveries: made + kept.length, through: kept[kept.length - 1]?.event_seq ?? from, complete: false };
    }
    await insertDeliveries(db, rows);
    made += rows.length;
    from = Number(last.seq);
  }
  return { ok: true, deliveries: made, through: Math.max(after, upTo), complete: true };
}

export async function pruneDeliveries(db: Kysely<Database>, tenantId: string, before: string): Promise<number> {
  const result = await db
    .deleteFrom("deliveries")
    .where("tenant_id", "=", tenantId)
    .where("status", "in", ["succeeded", "failed"])
    .where("completed", "<", before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
