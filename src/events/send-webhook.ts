import http from "node:http";
import https from "node:https";

/** What one attempt came to: a 2xx answer, or why not (status null when the receiver did not answer). */
export type SendResult = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly status: number | null; readonly error: string };

export interface SendRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
  /** Aborts the attempt (the dispatcher stopping); resolves as not sent. */
  readonly signal: AbortSignal;
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

/** POSTs the body as JSON. Redirects are not followed (a 3xx is not a success). Never rejects. */
export function sendWebhook(request: SendRequest, agents: SendAgents): Promise<SendResult> {
  return new Promise((resolve) => {
    const url = new URL(request.url);
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
