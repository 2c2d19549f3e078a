import { readIntegerVariables } from "../env-integers.js";
import { type DestinationPolicy, DestinationPolicyError, PUBLIC_DESTINATIONS_ONLY, readDestinationPolicy } from "./destinations.js";

/** How the webhook dispatcher sends and retries (docs/webhooks.md lists the defaults and the schedule). */
export interface DispatcherSettings {
  /** How long a receiver has to answer one attempt. */
  readonly timeoutMs: number;
  /** The first retry waits up to this long; each further one up to twice as long, capped at retryMaxMs. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Attempts before a delivery is marked failed. */
  readonly maxAttempts: number;
  /** How long a claim holds: a process that died mid-delivery delays that delivery by at most this. */
  readonly leaseMs: number;
  /** How often the dispatcher looks for new events and due retries when nothing wakes it. */
  readonly pollMs: number;
  /** Deliveries one process sends at once. */
  readonly concurrency: number;
  /** Which addresses deliveries may reach besides public ones (ROSTER_WEBHOOK_ALLOW_PRIVATE). */
  readonly destinations: DestinationPolicy;
}

export const DEFAULT_DISPATCHER_SETTINGS: DispatcherSettings = {
  timeoutMs: 10_000,
  retryBaseMs: 10_000,
  retryMaxMs: 3_600_000,
  maxAttempts: 20,
  leaseMs: 60_000,
  pollMs: 1_000,
  concurrency: 8,
  destinations: PUBLIC_DESTINATIONS_ONLY,
};

/** The environment variable of each setting that operators may change. */
const VARIABLES = {
  timeoutMs: "ROSTER_WEBHOOK_TIMEOUT_MS",
  retryBaseMs: "ROSTER_WEBHOOK_RETRY_BASE_MS",
  maxAttempts: "ROSTER_WEBHOOK_MAX_ATTEMPTS",
  leaseMs: "ROSTER_WEBHOOK_LEASE_MS",
  pollMs: "ROSTER_WEBHOOK_POLL_MS",
  concurrency: "ROSTER_WEBHOOK_CONCURRENCY",
} as const satisfies Partial<Record<keyof DispatcherSettings, string>>;

const LIMITS: Readonly<Record<keyof typeof VARIABLES, readonly [number, number]>> = {
  timeoutMs: [1, 600_000],
  retryBaseMs: [1, 86_400_000],
  maxAttempts: [1, 1000],
  leaseMs: [1, 86_400_000],
  pollMs: [1, 3_600_000],
  concurrency: [1, 1000],
};

/** A malformed ROSTER_WEBHOOK_* variable; `message` is one line naming it. */
export class DispatcherSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DispatcherSettingsError";
  }
}

/** The defaults, overridden by the ROSTER_WEBHOOK_* variables that are set; throws DispatcherSettingsError naming a bad one. */
export function readDispatcherSettings(env: Readonly<Record<string, string | undefined>>): DispatcherSettings {
  const read = readIntegerVariables(env, VARIABLES, LIMITS);
  if ("error" in read) throw new DispatcherSettingsError(read.error);
  const settings: { -readonly [K in keyof DispatcherSettings]: DispatcherSettings[K] } = { ...DEFAULT_DISPATCHER_SETTINGS, ...read.values };
  if (settings.leaseMs <= settings.timeoutMs) {
    throw new DispatcherSettingsError(
      `${VARIABLES.leaseMs} (${settings.leaseMs}) must be greater than ${VARIABLES.timeoutMs} (${settings.timeoutMs}): a claim must outlast the attempt it covers`,
    );
  }
  settings.retryMaxMs = Math.max(settings.retryMaxMs, settings.retryBaseMs);
  try {
    settings.destinations = readDestinationPolicy(env);
  } catch (error) {
    throw error instanceof DestinationPolicyError ? new DispatcherSettingsError(error.message) : error;
  }
  return settings;
}

/**
 * The wait before the next attempt after `attempts` failed ones: exponential backoff with
 * full jitter, a uniformly random time from 0 to min(retryMaxMs, retryBaseMs × 2^(attempts-1)).
 */
export function retryDelayMs(settings: DispatcherSettings, attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.max(0, attempts - 1));
  return Math.floor(random() * ceiling);
}
