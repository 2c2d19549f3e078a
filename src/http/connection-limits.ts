import type { Server } from "node:http";
import { readIntegerVariables } from "../env-integers.js";

/** How long a client may take to send a request, and how many connections it may hold (docs/operations.md lists the defaults). */
export interface ConnectionLimits {
  /** Receiving the whole request, headers and body, from its first byte (or from connecting); then 408. */
  readonly requestTimeoutMs: number;
  /** Receiving the headers; then 408. At most requestTimeoutMs. */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long without a new request. */
  readonly keepAliveTimeoutMs: number;
  /** Open connections at once, idle keep-alive ones included; one more is closed on accepting it. */
  readonly maxConnections: number;
}

/**
 * Node's own defaults are a 300 s request timeout and no connection cap, and Fastify turns
 * the request timeout off: a body trickled a byte at a time held a connection for ever.
 * 72 s keep-alive is Fastify's default, longer than the 60 s idle timeout of common load
 * balancers (a balancer must close first, or it may send on a closing connection).
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 72_000,
  maxConnections: 1_000,
};

/** The environment variable of each limit. */
export const CONNECTION_LIMIT_VARIABLES = {
  requestTimeoutMs: "ROSTER_REQUEST_TIMEOUT_MS",
  headersTimeoutMs: "ROSTER_HEADERS_TIMEOUT_MS",
  keepAliveTimeoutMs: "ROSTER_KEEP_ALIVE_TIMEOUT_MS",
  maxConnections: "ROSTER_MAX_CONNECTIONS",
} as const satisfies Record<keyof ConnectionLimits, string>;

const RANGES: Readonly<Record<keyof ConnectionLimits, readonly [number, number]>> = {
  requestTimeoutMs: [1, 3_600_000],
  headersTimeoutMs: [1, 3_600_000],
  keepAliveTimeoutMs: [1, 3_600_000],
  maxConnections: [1, 1_000_000],
};

/** A malformed ROSTER_*_TIMEOUT_MS or ROSTER_MAX_CONNECTIONS; `message` is one line naming it. */
export class ConnectionLimitsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectionLimitsError";
  }
}

/** The defaults, overridden by the variables that are set; throws ConnectionLimitsError naming a bad one. */
export function readConnectionLimits(env: Readonly<Record<string, string | undefined>>): ConnectionLimits {
  const read = readIntegerVariables(env, CONNECTION_LIMIT_VARIABLES, RANGES);
  if ("error" in read) throw new ConnectionLimitsError(read.error);
  const limits: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...read.values };
  return assertConnectionLimits(limits);
}

/** Throws ConnectionLimitsError when the headers may take longer than the whole request (Node refuses that too). */
export function assertConnectionLimits(limits: ConnectionLimits): ConnectionLimits {
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConnectionLimitsError(
      `${CONNECTION_LIMIT_VARIABLES.headersTimeoutMs} (${limits.headersTimeoutMs}) must not be greater than ${CONNECTION_LIMIT_VARIABLES.requestTimeoutMs} (${limits.requestTimeoutMs}): the headers are part of the request`,
    );
  }
  return limits;
}

/** Dropped connections are logged at most once per this many milliseconds, with how many since the last line. */
const DROP_LOG_INTERVAL_MS = 10_000;

/**
 * Sets the limits on Node's server before it listens. Node checks both timeouts on an
 * interval (`connectionsCheckingInterval`, 30 s by default), so a timeout could be overrun
 * by that much: the interval is a quarter of the shorter timeout, at most 1 s. A connection
 * past `maxConnections` is closed by Node as it is accepted (nothing can be written on it);
 * `onDrop` hears of each.
 */
export function applyConnectionLimits(server: Server, limits: ConnectionLimits, onDrop: (droppedSinceLastCall: number) => void): void {
  assertConnectionLimits(limits);
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = limits.headersTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
    1,
    Math.min(1_000, Math.floor(Math.min(limits.requestTimeoutMs, limits.headersTimeoutMs) / 4)),
  );
  let dropped = 0;
  let loggedAt = -Infinity;
  server.on("drop", () => {
    dropped += 1;
    const at = Date.now();
    if (at - loggedAt < DROP_LOG_INTERVAL_MS) return;
    loggedAt = at;
    onDrop(dropped);
    dropped = 0;
  });
}
