import type { ClaimedDelivery, DeliveryOutcome, Store } from "../store/store.js";
import { type DispatcherSettings, retryDelayMs } from "./dispatcher-settings.js";
import { eventTypeMatches } from "./patterns.js";
import { openSecret, type SecretKey } from "./secret-box.js";
import { createSendAgents, type Resolver, type SendResult, sendWebhook } from "./send-webhook.js";
import { webhookHeaders } from "./signature.js";

// The webhook dispatcher of one `roster serve` process (docs/decisions/0010-change-events.md).
// In a loop, woken after local commits and polling otherwise: fan-out (events after each
// webhook's cursor become pending deliveries) and delivery (claim due deliveries with a lease,
// send them outside any transaction, record the outcome). Several processes share the work
// through SKIP LOCKED row locks; a process that dies leaves leases that expire.

export interface DispatcherLog {
  warn(message: string): void;
}

export interface DispatcherOptions {
  readonly store: Store;
  /** Opens the webhooks' signing secrets; without it the process fans out but sends nothing. */
  readonly key: SecretKey | undefined;
  readonly settings: DispatcherSettings;
  readonly log?: DispatcherLog;
  /** How receivers' host names are resolved (the system resolver when absent); tests answer names of their own. */
  readonly resolve?: Resolver;
}

export interface Dispatcher {
  /** Looks for work now rather than at the next poll (call it after a commit that appended events). */
  wake(): void;
  /**
   * Stops claiming; attempts in flight get up to a second to finish, the rest are abandoned
   * (their deliveries are released, due at once, for this or another process to send again).
   */
  close(): Promise<void>;
}

/** Webhooks and events per fan-out transaction, and transactions per loop turn. */
const FAN_OUT_WEBHOOKS = 50;
const FAN_OUT_EVENTS = 500;
const FAN_OUT_ROUNDS = 20;
/** The shortest time between the starts of two turns of the loop. */
const WAKE_GAP_MS = 200;
/** How long close() lets attempts in flight finish before abandoning them. */
const CLOSE_GRACE_MS = 1000;

type AttemptResult = SendResult & { readonly abandoned?: boolean };

interface InFlight {
  readonly abort: AbortController;
  readonly done: Promise<void>;
}

/** Starts the dispatcher loop at once; `close()` stops it. */
export function startDispatcher(options: DispatcherOptions): Dispatcher {
  const { store, key, settings } = options;
  const agents = createSendAgents(settings.concurrency);
  const secrets = new Map<string, { readonly sealed: string; readonly secret: string }>();
  const inFlight = new Map<string, InFlight>();
  let stopping = false;
  let woken = false;
  let wakeSleeper: (() => void) | undefined;
  let lastProblem: string | undefined;
  let warnedNoKey = false;

  const wake = () => {
    woken = true;
    wakeSleeper?.();
  };

  const report = (problem: string) => {
    if (problem === lastProblem) return;
    lastProblem = problem;
    options.log?.warn(problem);
  };

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakeSleeper = done;
    });
  }

  async function fanOut(): Promise<number> {
    let made = 0;
    for (let round = 0; round < FAN_OUT_ROUNDS && !stopping; round += 1) {
      const at = new Date().toISOString();
      const result = await store.transaction((session) =>
        session.fanOutDeliveries({ webhooks: FAN_OUT_WEBHOOKS, events: FAN_OUT_EVENTS, at, matches: eventTypeMatches }),
      );
      made += result.deliveries;
      if (result.webhooks === 0) break;
    }
    return made;
  }

  async function claim(): Promise<void> {
    const free = settings.concurrency - inFlight.size;
    if (free <= 0 || stopping) return;
    const at = new Date();
    const leaseUntil = new Date(at.getTime() + settings.leaseMs).toISOString();
    const claimed = await store.transaction((session) => session.claimDeliveries({ limit: free, at: at.toISOString(), leaseUntil }));
    for (const delivery of claimed) start(delivery);
  }

  function start(claimed: ClaimedDelivery): void {
    const abort = new AbortController();
    const id = claimed.delivery.id;
    const done = attempt(claimed, abort.signal)
      .catch((error: unknown) => report(`webhook delivery ${id}: outcome not recorded (${messageOf(error)}); it is sent again when its lease expires`))
      .finally(() => {
        inFlight.delete(id);
        wake();
      });
    inFlight.set(id, { abort, done });
  }

  async function attempt(claimed: ClaimedDelivery, signal: AbortSignal): Promise<void> {
    const result = await send(claimed, signal);
    const outcome = outcomeOf(claimed, result, new Date());
    await store.transaction((session) => session.recordDeliveryOutcome(outcome));
  }

  async function send(claimed: ClaimedDelivery, signal: AbortSignal): Promise<AttemptResult> {
    if (claimed.event === undefined) {
      return { ok: false, status: null, error: "the event is no longer stored (removed by retention); nothing to send", final: true };
    }
    let secret: string;
    try {
      secret = secretOf(claimed);
    } catch (error) {
      return { ok: false, status: null, error: messageOf(error) };
    }
    const body = claimed.event.data;
    const headers = webhookHeaders(secret, claimed.event.id, new Date(), body);
    const request = { url: claimed.url, headers, body, timeoutMs: settings.timeoutMs, signal, destinations: settings.destinations };
    const result = await sendWebhook(options.resolve === undefined ? request : { ...request, resolve: options.resolve }, agents);
    return signal.aborted && !result.ok ? { ...result, abandoned: true } : result;
  }

  function secretOf(claimed: ClaimedDelivery): string {
    const webhookId = claimed.delivery.webhookId;
    const cached = secrets.get(webhookId);
    if (cached !== undefined && cached.sealed === claimed.sealedSecret) return cached.secret;
    if (key === undefined) throw new Error("this process has no ROSTER_SECRET_KEY");
    const secret = openSecret(key, claimed.sealedSecret, `webhook ${webhookId}`);
    secrets.set(webhookId, { sealed: claimed.sealedSecret, secret });
    return secret;
  }

  function outcomeOf(claimed: ClaimedDelivery, result: AttemptResult, now: Date): DeliveryOutcome {
    const base = { id: claimed.delivery.id, attempt: claimed.delivery.attempts, at: now.toISOString() };
    if (result.ok) return { status: "succeeded", ...base, httpStatus: result.status };
    if (result.abandoned === true) return { status: "pending", ...base, nextAttemptAt: base.at, httpStatus: null, error: result.error };
    if (result.final === true || claimed.delivery.attempts >= settings.maxAttempts) {
      return { status: "failed", ...base, httpStatus: result.status, error: result.error };
    }
    const next = new Date(now.getTime() + retryDelayMs(settings, claimed.delivery.attempts)).toISOString();
    return { status: "pending", ...base, nextAttemptAt: next, httpStatus: result.status, error: result.error };
  }

  async function run(): Promise<void> {
    while (!stopping) {
      const began = Date.now();
      woken = false;
      try {
        // A read first: on SQLite a write transaction takes the database's write lock, so an
        // idle dispatcher must not open one at every poll.
        const at = new Date().toISOString();
        const work = await store.read((session) => session.hasDeliveryWork(at));
        const made = work ? await fanOut() : 0;
        if (key !== undefined && work) {
          await claim();
        } else if (made > 0 && !warnedNoKey) {
          warnedNoKey = true;
          options.log?.warn(
            "webhook deliveries are waiting, but this process has no ROSTER_SECRET_KEY: it does not send them; restart it with the ROSTER_SECRET_KEY the webhooks were created with",
          );
        }
        lastProblem = undefined;
      } catch (error) {
        report(`webhook dispatcher: ${messageOf(error)}; trying again in ${settings.pollMs} ms`);
      }
      if (!stopping && !woken) await sleep(settings.pollMs);
      // Wakes closer together than WAKE_GAP_MS make one turn: under a burst of commits, one
      // fan-out transaction serves many of them instead of competing with each for the database.
      const until = began + Math.min(WAKE_GAP_MS, settings.pollMs);
      while (!stopping && Date.now() < until) await sleep(until - Date.now());
    }
  }

  const running = run();
  let closing: Promise<void> | undefined;

  return {
    wake,
    close() {
      closing ??= (async () => {
        stopping = true;
        wake();
        await running;
        if (inFlight.size > 0) {
          let timer: NodeJS.Timeout | undefined;
          const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
          await Promise.race([Promise.allSettled([...inFlight.values()].map((entry) => entry.done)), grace]);
          clearTimeout(timer);
          for (const entry of inFlight.values()) entry.abort.abort();
          await Promise.allSettled([...inFlight.values()].map((entry) => entry.done));
        }
        agents.destroy();
      })();
      return closing;
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
