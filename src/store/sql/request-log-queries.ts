import { type ExpressionBuilder, type Kysely, sql } from "kysely";
import type { LoggedRequest, RequestLogPage, RequestLogQuery, RequestLogSummary, ResourceCounts } from "../store.js";
import { toRequestLogEntry } from "./mappers.js";
import { REQUEST_LOG_CLASS_EXPRESSION } from "./request-log-file.js";
import type { Database } from "./schema.js";

// Reads of the request log for the management API (ADR 0032). `db` is the log where it lives
// (SQLite: the attached `log` schema). Every read is a range of one of the log's indexes:
// (tenant_id, seq) or (tenant_id, status / 100, seq, status); filters no index serves are applied to a
// bounded window of entries, and a page that ends at the window's edge says where to continue.

type LogDb = Kysely<Database>;
type Where = ExpressionBuilder<Database, "request_log">;

/** The status class as written in the class index; the literal 100 must stay a literal for the index to serve it. */
const STATUS_CLASS = sql<number>`${sql.raw(REQUEST_LOG_CLASS_EXPRESSION)}`;

/** The status classes counted on a status page: 1xx to 5xx. */
const STATUS_CLASSES = [1, 2, 3, 4, 5] as const;

function toLoggedRequest(row: Parameters<typeof toRequestLogEntry>[0]): LoggedRequest {
  return { ...toRequestLogEntry(row), seq: Number(row.seq) };
}

/** The tenant's oldest or newest entry. */
async function edgeEntry(db: LogDb, tenantId: string, order: "asc" | "desc"): Promise<LoggedRequest | undefined> {
  const row = await db.selectFrom("request_log").selectAll().where("tenant_id", "=", tenantId).orderBy("seq", order).limit(1).executeTakeFirst();
  return row === undefined ? undefined : toLoggedRequest(row);
}

async function edgeSeq(db: LogDb, tenantId: string, order: "asc" | "desc"): Promise<number | undefined> {
  const row = await db.selectFrom("request_log").select("seq").where("tenant_id", "=", tenantId).orderBy("seq", order).limit(1).executeTakeFirst();
  return row === undefined ? undefined : Number(row.seq);
}

/**
 * The smallest `seq` of the tenant's entries answered at or after `at` (after it, when
 * `strictly`); undefined when none is. Entries are appended in the order they were answered,
 * so `at` grows with `seq` (up to the few milliseconds by which two processes' flushes
 * interleave): a binary search over `seq`, each step one seek in (tenant_id, seq), about
 * log2(span of seq) steps in all, instead of an index on `at` that every write would pay for.
 */
export async function firstSeqAt(db: LogDb, tenantId: string, at: string, strictly: boolean): Promise<number | undefined> {
  const lowest = await edgeSeq(db, tenantId, "asc");
  const highest = await edgeSeq(db, tenantId, "desc");
  if (lowest === undefined || highest === undefined) return undefined;
  const reached = (value: string): boolean => (strictly ? value > at : value >= at);
  const entryFrom = (seq: number) =>
    db.selectFrom("request_log").select(["seq", "at"]).where("tenant_id", "=", tenantId).where("seq", ">=", seq).orderBy("seq").limit(1).executeTakeFirst();
  let low = lowest;
  let high = highest + 1;
  // At most 64 steps: seq is below 2^63 on both databases.
  for (let step = 0; low < high && step < 64; step++) {
    const middle = low + Math.floor((high - low) / 2);
    const entry = await entryFrom(middle);
    if (entry !== undefined && reached(entry.at)) high = middle;
    else low = middle + 1;
  }
  if (low > highest) return undefined;
  const found = await entryFrom(low);
  return found === undefined ? undefined : Number(found.seq);
}

/** The conditions an index serves: the tenant, the status class, and a range of seq. */
function indexed(tenantId: string, statusClass: number | undefined, from: number | undefined, below: number | undefined) {
  return (eb: Where) =>
    eb.and([
      eb("tenant_id", "=", tenantId),
      ...(statusClass === undefined ? [] : [eb(STATUS_CLASS, "=", statusClass)]),
      ...(from === undefined ? [] : [eb("seq", ">=", from)]),
      ...(below === undefined ? [] : [eb("seq", "<", below)]),
    ]);
}

/** A page of the tenant's entries matching `query`, newest first (RequestLogQuery). */
export async function queryRequestLog(db: LogDb, tenantId: string, query: RequestLogQuery): Promise<RequestLogPage> {
  const statusClass = query.status === undefined ? undefined : query.status.kind === "class" ? query.status.value : Math.floor(query.status.value / 100);
  let from: number | undefined;
  let below = query.before;
  if (query.since !== undefined) {
    from = await firstSeqAt(db, tenantId, query.since, false);
    if (from === undefined) return { entries: [], next: undefined };
  }
  if (query.until !== undefined) {
    const after = await firstSeqAt(db, tenantId, query.until, true);
    if (after !== undefined) below = below === undefined ? after : Math.min(below, after);
  }
  if (from !== undefined && below !== undefined && from >= below) return { entries: [], next: undefined };

  // Filters no index serves examine at most scanLimit entries of the indexed range: the window's
  // oldest entry bounds this page, and the next page starts below it.
  const unindexed = query.method !== undefined || query.pathPrefix !== undefined || query.status?.kind === "code";
  let floor: number | undefined;
  let moreBelow = false;
  if (unindexed) {
    // The window's oldest entry, and whether any is older still.
    const edge = await db
      .selectFrom("request_log")
      .select("seq")
      .where(indexed(tenantId, statusClass, from, below))
      .orderBy("seq", "desc")
      .offset(Math.max(0, query.scanLimit - 1))
      .limit(2)
      .execute();
    floor = edge[0] === undefined ? undefined : Number(edge[0].seq);
    moreBelow = edge.length > 1;
  }

  const limit = Math.max(1, Math.trunc(query.limit));
  const rows = await db
    .selectFrom("request_log")
    .selectAll()
    .where(indexed(tenantId, statusClass, floor ?? from, below))
    .where((eb) =>
      eb.and([
        ...(query.status?.kind === "code" ? [eb("status", "=", query.status.value)] : []),
        ...(query.method === undefined ? [] : [eb("method", "=", query.method)]),
        ...(query.pathPrefix === undefined ? [] : [eb(sql<string>`substr(path, 1, ${query.pathPrefix.length})`, "=", query.pathPrefix)]),
        // Exact at the edges of the range found by firstSeqAt.
        ...(query.since === undefined ? [] : [eb("at", ">=", query.since)]),
        ...(query.until === undefined ? [] : [eb("at", "<=", query.until)]),
      ]),
    )
    .orderBy("seq", "desc")
    .limit(limit + 1)
    .execute();
  const entries = rows.slice(0, limit).map(toLoggedRequest);
  const last = entries[entries.length - 1];
  if (rows.length > limit && last !== undefined) return { entries, next: last.seq };
  // The window ended before the page filled: older entries may still match.
  if (floor !== undefined && moreBelow) return { entries, next: floor };
  return { entries, next: undefined };
}

/**
 * The tenant's newest entry with that request id (an id a client sent in X-Request-Id may
 * repeat): its entries walked newest first on (tenant_id, seq) until one matches. Retention
 * bounds the walk (11,000 entries a tenant); an index on request_id would have cost every SCIM
 * request an insert at a random place in it, for a read made by hand (ADR 0032).
 */
export async function findRequestLogEntry(db: LogDb, tenantId: string, requestId: string): Promise<LoggedRequest | undefined> {
  const row = await db.selectFrom("request_log").selectAll().where("tenant_id", "=", tenantId).where("request_id", "=", requestId).orderBy("seq", "desc").limit(1).executeTakeFirst();
  return row === undefined ? undefined : toLoggedRequest(row);
}

/**
 * Oldest and newest entries, and per status class the count of entries from the first one
 * answered at or after `since`: each count a range of the class index, so its cost is the
 * number of entries counted (those of the last day), whatever the log's size.
 */
export async function summarizeRequestLog(db: LogDb, tenantId: string, since: string): Promise<RequestLogSummary> {
  const first = await edgeEntry(db, tenantId, "asc");
  const last = await edgeEntry(db, tenantId, "desc");
  const classCounts = new Map<number, number>();
  const from = await firstSeqAt(db, tenantId, since, false);
  if (from !== undefined) {
    for (const statusClass of STATUS_CLASSES) {
      const row = await db
        .selectFrom("request_log")
        .select((eb) => eb.fn.countAll<number | string>().as("count"))
        .where(indexed(tenantId, statusClass, from, undefined))
        .executeTakeFirstOrThrow();
      const count = Number(row.count);
      if (count > 0) classCounts.set(statusClass, count);
    }
  }
  return { first, last, classCounts };
}

/** Users by `active` and by `managed`, groups by `managed`: one grouped COUNT over the tenant's rows. */
export async function countResources(db: Kysely<Database>, tenantId: string): Promise<ResourceCounts> {
  const rows = await db
    .selectFrom("resources")
    .select(["kind", "managed", "active", (eb) => eb.fn.countAll<number | string>().as("count")])
    .where("tenant_id", "=", tenantId)
    .groupBy(["kind", "managed", "active"])
    .execute();
  const users = { active: 0, inactive: 0, managed: 0, unmanaged: 0 };
  const groups = { managed: 0, unmanaged: 0 };
  for (const row of rows) {
    const count = Number(row.count);
    const managed = Number(row.managed) === 1;
    if (row.kind === "Group") {
      groups[managed ? "managed" : "unmanaged"] += count;
      continue;
    }
    users[managed ? "managed" : "unmanaged"] += count;
    // A user without `active` counts as active, as the management API's users listing counts it (toAppUser).
    users[row.active === null || Number(row.active) === 1 ? "active" : "inactive"] += count;
  }
  return { users, groups };
}
