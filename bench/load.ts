import autocannon from "autocannon";
import type { TenantEndpoint } from "./servers/protocol.js";

export interface LoadRequest {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Path below the tenant's SCIM base, e.g. `/Users?filter=…`. */
  readonly path: string;
  readonly body?: unknown;
}

export interface LoadResult {
  /** Mean completed requests per second over the run. */
  readonly rate: number;
  readonly p99Ms: number;
  readonly completed: number;
  /** Status codes other than the expected ones, with counts; empty when every answer was as expected. */
  readonly unexpected: Readonly<Record<string, number>>;
}

export interface LoadOptions {
  readonly connections: number;
  /** Seconds; ignored when `amount` is given. */
  readonly durationSec: number;
  /** Exactly this many requests (bounded pools such as members to add). */
  readonly amount?: number;
  readonly expect: readonly number[];
}

function split(base: string): { origin: string; prefix: string } {
  const url = new URL(base);
  return { origin: url.origin, prefix: url.pathname };
}

/** Drives `next()` requests from `connections` keep-alive connections with autocannon. */
export async function drive(endpoint: TenantEndpoint, next: () => LoadRequest, options: LoadOptions): Promise<LoadResult> {
  const { origin, prefix } = split(endpoint.base);
  // Bounded: a contender that stops answering (or slows down past reason) ends the run at
  // the time limit instead of holding the whole bench; what completed is what is reported.
  const limitMs = Math.max(10, options.durationSec * 15) * 1000;
  let instance: autocannon.Instance | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stoppedEarly = false;
  // Timed here, up to the last answer: autocannon's own `duration` is in whole seconds, and
  // a run of a fixed `amount` ends only at its next one-second tick, both too coarse for a
  // run that takes a second or two.
  const started = performance.now();
  let lastAnswerAt = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    timer = setTimeout(() => {
      stoppedEarly = true;
      instance?.stop();
    }, limitMs);
    instance = autocannon({
    url: origin,
    connections: options.connections,
    ...(options.amount === undefined ? { duration: options.durationSec } : { amount: options.amount }),
    timeout: 30,
    requests: [
      {
        setupRequest: (request) => {
          const made = next();
          // A new headers object each time: autocannon writes Content-Length into the one it is given.
          const headers = { authorization: `Bearer ${endpoint.token}`, "content-type": "application/scim+json", accept: "application/scim+json" };
          return { ...request, method: made.method, path: prefix + made.path, headers, ...(made.body === undefined ? {} : { body: JSON.stringify(made.body) }) };
        },
      },
    ],
    }, (error: unknown, finished: autocannon.Result) => {
      if (error === null || error === undefined) resolve(finished);
      else reject(error instanceof Error ? error : new Error(String(error)));
    });
    instance.on("response", () => {
      lastAnswerAt = performance.now();
    });
  }).finally(() => clearTimeout(timer));
  const unexpected: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) {
    if (!options.expect.includes(Number(code))) unexpected[code] = stats.count ?? 0;
  }
  if (result.errors > 0) unexpected["connection errors"] = result.errors;
  if (result.timeouts > 0) unexpected["timeouts"] = result.timeouts;
  if (stoppedEarly) unexpected[`stopped at the ${limitMs / 1000} s limit`] = 1;
  const seconds = Math.max(1e-9, (lastAnswerAt - started) / 1000);
  return { rate: (result.requests.total ?? 0) / seconds, p99Ms: result.latency.p99, completed: result.requests.total ?? 0, unexpected };
}

/** One request with fetch, for verification and sequential workloads. */
export async function call(endpoint: TenantEndpoint, request: LoadRequest): Promise<{ status: number; body: unknown }> {
  const response = await fetch(endpoint.base + request.path, {
    method: request.method,
    headers: { authorization: `Bearer ${endpoint.token}`, "content-type": "application/scim+json", accept: "application/scim+json" },
    ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text.length === 0 ? undefined : JSON.parse(text);
  } catch {
    // not JSON: kept as text for the error note
  }
  return { status: response.status, body };
}
