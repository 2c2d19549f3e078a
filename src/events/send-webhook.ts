import { promises as dns, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { checkDestinationAddress, DESTINATION_ADVICE, type DestinationPolicy } from "./destinations.js";

/**
 * What one attempt came to: a 2xx answer, or why not (status null when the receiver did not
 * answer). `final`: trying again cannot help (the destination is refused), so no retry.
 */
export type SendResult =
  | { readonly ok: true; readonly status: number }
  | { readonly ok: false; readonly status: number | null; readonly error: string; readonly final?: boolean };

/** Resolves a host name to every address it has, as dns.lookup with `all: true` does. */
export type Resolver = (hostname: string) => Promise<readonly LookupAddress[]>;

export const systemResolver: Resolver = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

export interface SendRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
  /** Aborts the attempt (the dispatcher stopping); resolves as not sent. */
  readonly signal: AbortSignal;
  /** Which addresses it may reach besides public ones: every address the host resolves to must be allowed. */
  readonly destinations: DestinationPolicy;
  /** How the URL's host name is resolved (systemResolver when absent). */
  readonly resolve?: Resolver;
}

/** Agents that keep connections to receivers open between deliveries; `destroy` closes them. */
export interface SendAgents {
  readonly http: http.Agent;
  readonly https: https.Agent;
  destroy(): void;
}

export function createSendAgents(maxSockets: number): SendAgents {
  const agents = { http: new http.Agent({ keepAlive: true, maxSockets }), https: new https.Agent({ keepAlive: true, maxSockets }) };
  return { ...agents, destroy: () => (agents.http.destroy(), agents.https.destroy()) };
}

/** Characters of a non-2xx answer's body kept in `lastError`. */
const ERROR_BODY_CHARS = 200;

const USER_AGENT = "Roster-Webhooks/1";

/**
 * POSTs the body as JSON to an address the destination policy allows. The host is resolved
 * here, every address it has is checked, and the connection goes to those checked addresses
 * (the request's `lookup` answers them), so a name that resolves differently between the check
 * and the connection (DNS rebinding) cannot reach a refused address. Redirects are not followed
 * (a 3xx is not a success). Never rejects.
 */
export async function sendWebhook(request: SendRequest, agents: SendAgents): Promise<SendResult> {
  const url = new URL(request.url);
  const deadline = Date.now() + request.timeoutMs;
  const destination = await checkDestination(url.hostname.replace(/^\[|\]$/g, ""), request);
  if (!destination.ok) return destination.result;
  return post(url, destination.addresses, { ...request, timeoutMs: Math.max(1, deadline - Date.now()) }, agents);
}

type Destination = { readonly ok: true; readonly addresses: readonly LookupAddress[] } | { readonly ok: false; readonly result: SendResult };

async function checkDestination(host: string, request: SendRequest): Promise<Destination> {
  const refuse = (reason: string): Destination => ({ ok: false, result: { ok: false, status: null, error: `destination refused: ${reason}; ${DESTINATION_ADVICE}`, final: true } });
  const family = isIP(host);
  if (family !== 0) {
    const refused = checkDestinationAddress(request.destinations, host);
    return refused === undefined ? { ok: true, addresses: [{ address: host, family }] } : refuse(refused);
  }
  let addresses: readonly LookupAddress[];
  try {
    addresses = await withTimeout((request.resolve ?? systemResolver)(host), request.timeoutMs, request.signal);
  } catch (error) {
    return { ok: false, result: { ok: false, status: null, error: describeError(error as NodeJS.ErrnoException) } };
  }
  if (addresses.length === 0) return { ok: false, result: { ok: false, status: null, error: `host not found: ${host} has no address` } };
  for (const { address } of addresses) {
    const refused = checkDestinationAddress(request.destinations, address);
    if (refused !== undefined) return refuse(`${host} resolves to ${address}, and ${refused}`);
  }
  return { ok: true, addresses };
}

/** Rejects when the resolution outlasts the attempt's timeout or the attempt is abandoned. */
function withTimeout<T>(promise: Promise<T>, timeoutMs: number, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const fail = (message: string) => () => reject(Object.assign(new Error(message), { code: undefined }));
    const timer = setTimeout(fail(`no address for the host within ${timeoutMs} ms`), timeoutMs);
    const onAbort = fail("abandoned: the dispatcher stopped during the attempt");
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    promise.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    });
  });
}

/** Answers the checked addresses, whatever name the request asks about: the connection goes to them only. */
function lookupOf(addresses: readonly LookupAddress[]): NonNullable<http.RequestOptions["lookup"]> {
  return (_hostname, options, callback) => {
    const [first] = addresses;
    if (options.all === true) (callback as (error: null, all: LookupAddress[]) => void)(null, [...addresses]);
    else if (first !== undefined) callback(null, first.address, first.family);
  };
}

function post(url: URL, addresses: readonly LookupAddress[], request: SendRequest, agents: SendAgents): Promise<SendResult> {
  return new Promise((resolve) => {
    const secure = url.protocol === "https:";
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal.removeEventListener("abort", onAbort);
      resolve(result);
    };
    const body = Buffer.from(request.body, "utf8");
    const options: http.RequestOptions = {
      method: "POST",
      agent: secure ? agents.https : agents.http,
      headers: { ...request.headers, "content-type": "application/json", "content-length": String(body.length), "user-agent": USER_AGENT },
      lookup: lookupOf(addresses),
    };
    const outgoing = (secure ? https : http).request(url, options, (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        response.resume();
        finish({ ok: true, status });
        return;
      }
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        if (text.length < ERROR_BODY_CHARS) text += chunk;
      });
      response.on("error", () => undefined);
      response.on("end", () => finish({ ok: false, status, error: describeStatus(status, text) }));
      response.on("close", () => finish({ ok: false, status, error: describeStatus(status, text) }));
    });
    const timer = setTimeout(() => {
      finish({ ok: false, status: null, error: `no answer within ${request.timeoutMs} ms` });
      outgoing.destroy();
    }, request.timeoutMs);
    const onAbort = () => {
      finish({ ok: false, status: null, error: "abandoned: the dispatcher stopped during the attempt" });
      outgoing.destroy();
    };
    request.signal.addEventListener("abort", onAbort);
    if (request.signal.aborted) onAbort();
    outgoing.on("error", (error: NodeJS.ErrnoException) => finish({ ok: false, status: null, error: describeError(error) }));
    outgoing.end(body);
  });
}

function describeStatus(status: number, body: string): string {
  const redirect = status >= 300 && status < 400 ? " (redirects are not followed; use the final URL)" : "";
  const text = body.replace(/\s+/g, " ").trim().slice(0, ERROR_BODY_CHARS);
  return `HTTP ${status}${redirect}${text === "" ? "" : `: ${text}`}`;
}

function describeError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ECONNREFUSED":
      return "connection refused (ECONNREFUSED): nothing listens at that address";
    case "ECONNRESET":
      return "the receiver closed the connection without answering (ECONNRESET)";
    case "ENOTFOUND":
      return `host not found (ENOTFOUND): ${error.message}`;
    default:
      return error.code === undefined ? error.message : `${error.message} (${error.code})`;
  }
}
