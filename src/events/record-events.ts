import { now } from "../directory/clock.js";
import type { Store, StoreSession } from "../store/store.js";
import { buildEvents } from "./build-events.js";
import { RecordingSession } from "./recording-session.js";
import { TenantViews } from "./tenant-views.js";
import { isEmpty } from "./transaction-notes.js";

/** A Store that records a change event for every change it commits (docs/decisions/0010-change-events.md). */
export interface RecordingStore extends Store {
  /**
   * As Store.transaction; after it commits, the ids of the events it appended are pushed to
   * `options.eventIds` (nothing for a transaction rolled back): what the request log keeps of a
   * SCIM request (withEventIds).
   */
  transaction<T>(fn: (session: StoreSession) => Promise<T>, options?: { readonly eventIds?: string[] }): Promise<T>;
  /**
   * Calls `listener` after each commit that appended events, once per tenant that got some
   * (the webhook dispatcher wakes on it). Returns a function that unsubscribes. A listener
   * that throws is ignored: the change is committed already.
   */
  onEventsCommitted(listener: (tenantId: string) => void): () => void;
}

export interface RecordEventsOptions {
  /** The events' `occurredAt` (default: now, ISO-8601 with milliseconds). */
  readonly clock?: () => string;
}

export function isRecordingStore(store: Store): store is RecordingStore {
  return typeof (store as Partial<RecordingStore>).onEventsCommitted === "function";
}

/**
 * Wraps a store so that every transaction's changes to users, groups, memberships and the
 * declared roles become events appended in that same transaction, just before it commits:
 * a rolled-back change leaves no event, a committed one always has its events. A read-only
 * transaction appends nothing and reads nothing more. A store that records already is returned as is.
 */
export function recordEvents(store: Store, options: RecordEventsOptions = {}): RecordingStore {
  if (isRecordingStore(store)) return store;
  const clock = options.clock ?? now;
  const views = new TenantViews();
  const listeners = new Set<(tenantId: string) => void>();

  async function appendNoted(session: RecordingSession, eventIds: string[]): Promise<string[]> {
    const appended: string[] = [];
    for (const [tenantId, notes] of session.notes) {
      if (isEmpty(notes)) continue;
      const events = await buildEvents(
        {
          session: session.inner,
          tenantId,
          slug: await views.slugOf(session.inner, tenantId),
          profile: await session.profileOf(tenantId),
          findList: (name) => session.findList(tenantId, name),
          known: (id) => session.known(tenantId, id),
          occurredAt: clock(),
        },
        notes,
      );
      if (events.length === 0) continue;
      await session.inner.appendEvents(tenantId, events);
      for (const event of events) eventIds.push(event.id);
      appended.push(tenantId);
    }
    return appended;
  }

  return {
    dialect: store.dialect,
    migrate: () => store.migrate(),
    ping: () => store.ping(),
    changeVersion: () => store.changeVersion(),
    openRequestLogSink: () => store.openRequestLogSink(),
    purgeRequestLog: (tenantId) => store.purgeRequestLog(tenantId),
    close: () => store.close(),
    // Reads change nothing: nothing to record.
    read: (fn) => store.read(fn),
    snapshot: (fn, options) => store.snapshot(fn, options),
    async transaction<T>(fn: (session: StoreSession) => Promise<T>, options?: { readonly eventIds?: string[] }): Promise<T> {
      let appended: string[] = [];
      let eventIds: string[] = [];
      const result = await store.transaction(async (inner) => {
        const session = new RecordingSession(inner, views);
        const value = await fn(session);
        // A retried attempt starts over: only the committed attempt's events are reported.
        eventIds = [];
        appended = await appendNoted(session, eventIds);
        return value;
      });
      options?.eventIds?.push(...eventIds);
      for (const tenantId of appended) {
        for (const listener of listeners) {
          try {
            listener(tenantId);
          } catch {
            // Committed already; a listener's failure is its own.
          }
        }
      }
      return result;
    },
    onEventsCommitted(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * The store as a request's use cases see it: every transaction committed through it pushes the
 * ids of the events it appended to `eventIds` (the request log links a request to its events,
 * ADR 0032). A store that does not record events is returned as is.
 */
export function withEventIds(store: Store, eventIds: string[]): Store {
  if (!isRecordingStore(store)) return store;
  return { ...store, transaction: <T>(fn: (session: StoreSession) => Promise<T>) => store.transaction(fn, { eventIds }) };
}
