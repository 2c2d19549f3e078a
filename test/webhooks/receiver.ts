import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the receiver did with one request: answered with a status, or never answered (the sender gave up or died). */
export type Answer = number | "unanswered";

export interface ReceivedRequest {
  /** Arrival order, from 0. */
  readonly index: number;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** `webhook-id` */
  readonly id: string;
  /** `<resource.type>:<resource.id>` of the event in the body. */
  readonly resource: string;
  /** Of the requests with this webhook-id, which one this is (1 for the first). */
  readonly attempt: number;
  answer?: Answer;
}

/** How to treat one request: answer with `status` (after `delayMs`), or hold it open without answering until `release` or the sender closes it. */
export type Behaviour = { readonly status: number; readonly delayMs?: number } | { readonly hold: true };

export interface Receiver {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly requests: readonly ReceivedRequest[];
  /** Two requests with the same webhook-id, or about the same resource, in flight at once: `<first index>/<second index> <key>`. */
  readonly overlaps: readonly string[];
  /** Decides each request's fate (default: 200 at once). */
  behave(decide: (request: ReceivedRequest) => Behaviour): void;
  /** Held requests still open. */
  held(): readonly ReceivedRequest[];
  /** Answers every held request with `status`. */
  release(status: number): void;
  /** The 2xx-answered requests in arrival order, the first per webhook-id only. */
  accepted(path?: string): readonly ReceivedRequest[];
  /** Polls until `predicate` holds; fails after `timeoutMs` with `what` and a summary of what arrived. */
  waitFor(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1 that records every request and how it was answered. */
export async function startReceiver(port = 0): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const overlaps: string[] = [];
  const open = new Map<ReceivedRequest, ServerResponse>();
  const attempts = new Map<string, number>();
  let decide: (request: ReceivedRequest) => Behaviour = () => ({ status: 200 });

  const finish = (request: ReceivedRequest, answer: Answer) => {
    if (request.answer !== undefined) return;
    request.answer = answer;
    open.delete(request);
  };

  const answer = (request: ReceivedRequest, response: ServerResponse, status: number) => {
    if (request.answer !== undefined || response.destroyed) return;
    finish(request, status);
    response.writeHead(status, { "content-type": "text/plain" }).end(status >= 200 && status < 300 ? "ok" : `receiver says ${status}`);
  };

  const server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === "string") headers[name] = value;
      const id = headers["webhook-id"] ?? "";
      let resource = "";
      try {
        const event = JSON.parse(body) as { resource?: { type?: string; id?: string } };
        resource = `${event.resource?.type}:${event.resource?.id}`;
      } catch {
        resource = "unparsable";
      }
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      const request: ReceivedRequest = { index: requests.length, path: incoming.url ?? "", headers, body, id, resource, attempt };
      for (const other of open.keys()) {
        if (other.id === id) overlaps.push(`${other.index}/${request.index} webhook-id ${id}`);
        else if (other.resource === resource && other.path === request.path) overlaps.push(`${other.index}/${request.index} resource ${resource}`);
      }
      requests.push(request);
      open.set(request, response);
      // The sender gave up (timeout) or died: the connection closes without an answer.
      response.on("close", () => finish(request, "unanswered"));
      const behaviour = decide(request);
      if ("hold" in behaviour) return;
      if (behaviour.delayMs === undefined) answer(request, response, behaviour.status);
      else setTimeout(() => answer(request, response, behaviour.status), behaviour.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    requests,
    overlaps,
    behave(next) {
      decide = next;
    },
    held: () => [...open.keys()],
    release(status) {
      for (const [request, response] of [...open.entries()]) answer(request, response, status);
    },
    accepted(path) {
      const seen = new Set<string>();
      return requests.filter((request) => {
        if (path !== undefined && request.path !== path) return false;
        if (typeof request.answer !== "number" || request.answer < 200 || request.answer >= 300 || seen.has(request.id)) return false;
        seen.add(request.id);
        return true;
      });
    },
    async waitFor(what, predicate, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) {
          const summary = requests.map((r) => `#${r.index} ${r.path} ${r.resource} attempt ${r.attempt}: ${String(r.answer ?? "open")}`).join("; ");
          throw new Error(`${what} did not happen within ${timeoutMs} ms; the receiver got ${requests.length} requests: ${summary}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
