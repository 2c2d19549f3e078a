import { AppError } from "../directory/app-errors.js";
import { APP_DEFAULT_LIMIT, APP_MAX_LIMIT } from "../directory/app-paging.js";
import type { AppContext } from "../directory/app-users.js";
import type { Store, StoredEvent } from "../store/store.js";
import type { FeedEvent } from "./event-types.js";

/** A page of the feed: `nextCursor` is always present — the position to continue from, also when the page is empty. */
export interface FeedPage {
  readonly data: readonly FeedEvent[];
  readonly nextCursor: string;
}

export interface FeedQuery {
  /** The cursor of the last event already seen; undefined reads from the oldest event retention kept. */
  readonly after?: number;
  readonly limit: number;
}

const CURSOR = /^\d{1,15}$/;

/** A cursor as the feed issues it (the decimal sequence number of an event); throws AppError("invalidCursor") otherwise. */
export function parseFeedCursor(text: string, where = "after"): number {
  if (!CURSOR.test(text)) {
    throw new AppError("invalidCursor", `${where}: ${JSON.stringify(text)} is not a cursor of the event feed; pass a nextCursor (or an event's sequence) unchanged`);
  }
  return Number(text);
}

/** Reads `after` and `limit` (1–1000, default 100) from a query string; 400 naming the parameter otherwise. */
export function parseFeedQuery(query: Readonly<Record<string, unknown>>): FeedQuery {
  const after = query["after"];
  const limit = query["limit"];
  if (after !== undefined && typeof after !== "string") throw new AppError("invalidCursor", "after: give it once, as returned in nextCursor");
  if (limit !== undefined && (typeof limit !== "string" || !/^\d{1,7}$/.test(limit) || Number(limit) < 1 || Number(limit) > APP_MAX_LIMIT)) {
    throw new AppError("invalidRequest", `limit: expected an integer from 1 to ${APP_MAX_LIMIT}, got ${JSON.stringify(limit)}`);
  }
  return {
    ...(after === undefined ? {} : { after: parseFeedCursor(after) }),
    limit: limit === undefined ? APP_DEFAULT_LIMIT : Number(limit),
  };
}

/** A stored event as the feed lists it: its body exactly as stored, plus `sequence`. */
export function feedEvent(event: StoredEvent): FeedEvent {
  return { ...(JSON.parse(event.data) as Omit<FeedEvent, "sequence">), sequence: event.seq } as FeedEvent;
}

/**
 * Up to `limit` events of the tenant after `after`, in commit order. A cursor older than what
 * retention kept is 410 cursorExpired; one beyond the newest event is 400 invalidCursor.
 */
export async function readEventFeed(store: Store, tenantId: string, query: FeedQuery): Promise<FeedPage> {
  return store.transaction(async (session) => {
    const bounds = await session.eventBounds(tenantId);
    const after = query.after ?? bounds.pruned;
    if (after < bounds.pruned) {
      throw new AppError(
        "cursorExpired",
        `after: events up to ${bounds.pruned} were removed by retention (ROSTER_EVENT_RETENTION_DAYS), so the events after ${after} are incomplete; rebuild your copy from the management API (GET users, GET groups) and continue from after=${bounds.last}`,
      );
    }
    if (after > bounds.last) {
      throw new AppError("invalidCursor", `after: ${after} is beyond the newest event of this tenant (${bounds.last}); pass a nextCursor unchanged`);
    }
    const events = await session.listEvents(tenantId, after, query.limit);
    const last = events[events.length - 1];
    return { data: events.map(feedEvent), nextCursor: String(last === undefined ? after : last.seq) };
  });
}

/** GET events: the tenant's change events in commit order (docs/events.md). */
export function listAppEvents(context: AppContext, query: Readonly<Record<string, unknown>>): Promise<FeedPage> {
  return readEventFeed(context.store, context.tenant.id, parseFeedQuery(query));
}
