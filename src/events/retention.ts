import type { Store } from "../store/store.js";

export const DEFAULT_EVENT_RETENTION_DAYS = 30;
export const MAX_EVENT_RETENTION_DAYS = 36_500;
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** A number of days from 1 to 36,500, or a one-line reason naming `source`. */
export function checkRetentionDays(text: string, source: string): { ok: true; days: number } | { ok: false; reason: string } {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > MAX_EVENT_RETENTION_DAYS) {
    return { ok: false, reason: `${source} ${JSON.stringify(text)} is not a number of days; expected an integer from 1 to ${MAX_EVENT_RETENTION_DAYS}` };
  }
  return { ok: true, days: Number(text) };
}

/**
 * Removes every tenant's events older than `retentionDays` before `now` (Store.pruneEvents keeps
 * those a pending delivery still needs), and the webhook deliveries that finished before then;
 * returns how many events were removed. One transaction per tenant.
 */
export async function pruneExpiredEvents(store: Store, retentionDays: number, now: Date = new Date()): Promise<number> {
  const before = new Date(now.getTime() - retentionDays * DAY_MS).toISOString();
  const tenants = await store.transaction((session) => session.listTenants());
  let removed = 0;
  for (const tenant of tenants) {
    removed += await store.transaction(async (session) => {
      await session.pruneDeliveries(tenant.id, before);
      return session.pruneEvents(tenant.id, before);
    });
  }
  return removed;
}

export interface EventPrunerOptions {
  readonly retentionDays: number;
  /** Time between runs (default one hour); the first run starts at once. */
  readonly intervalMs?: number;
  /** Called with what a run removed, or with the error that stopped it (the next run tries again). */
  readonly onRun?: (outcome: { readonly removed: number } | { readonly error: unknown }) => void;
}

export interface EventPruner {
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

/** Prunes expired events now and then every `intervalMs` (`roster serve`); the timer never keeps the process alive. */
export function startEventPruner(store: Store, options: EventPrunerOptions): EventPruner {
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = () => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        const removed = await pruneExpiredEvents(store, options.retentionDays);
        options.onRun?.({ removed });
      } catch (error) {
        options.onRun?.({ error });
      }
    });
  };
  run();
  const timer = setInterval(run, options.intervalMs ?? HOUR_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
