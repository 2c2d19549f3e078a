import { findDeepNesting } from "../scim/nesting.js";
import type { RequestLogEntry, RequestLogRetention, RequestLogSink, Store } from "../store/store.js";

const MAX_LOGGED_BODY = 8_192;
/**
 * Redaction walks the body recursively (JSON.stringify's replacer): past this depth it is not
 * attempted. Deeper than any body the APIs accept (MAX_NESTING_DEPTH, plus /Bulk's envelope),
 * far short of where the recursion would overflow the stack.
 */
export const MAX_LOGGED_DEPTH = 64;
const SECRET_KEYS = new Set(["password", "secret", "token", "clientsecret", "client_secret"]);

function namesSecret(path: unknown): boolean {
  if (typeof path !== "string") return false;
  const last = path.split(/[:.]/).pop() ?? "";
  return SECRET_KEYS.has(last.trim().toLowerCase());
}

/** Hides `value` of a PATCH operation whose `path` names a secret (`{"path": "password", "value": …}`). */
function redactOperation(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const path = entries.find(([key]) => key.toLowerCase() === "path")?.[1];
  if (!namesSecret(path)) return value;
  return Object.fromEntries(entries.map(([key, entry]) => [key, key.toLowerCase() === "value" ? "[redacted]" : entry]));
}

/**
 * The request body as logged: secrets replaced, size and depth bounded. It never throws: a
 * body that cannot be redacted is logged as a note saying why, so that the request (a write
 * that succeeded, too) still has its entry.
 */
export function redactBody(body: unknown): string | null {
  if (body === undefined || body === null) return null;
  try {
    if (findDeepNesting(body, MAX_LOGGED_DEPTH) !== undefined) {
      return `[body nested deeper than ${MAX_LOGGED_DEPTH} levels: not logged]`;
    }
    const text = JSON.stringify(body, (key, value: unknown) =>
      namesSecret(key) ? "[redacted]" : redactOperation(value),
    );
    if (text === undefined) return null;
    return text.length > MAX_LOGGED_BODY ? `${text.slice(0, MAX_LOGGED_BODY)}…[truncated]` : text;
  } catch (error) {
    return `[body not logged: redacting it failed (${error instanceof Error ? error.message : String(error)})]`;
  }
}

const NUL = "\u0000";

function escapeNul(text: string): string;
function escapeNul(text: string | null): string | null;
function escapeNul(text: string | null): string | null {
  return text === null || !text.includes(NUL) ? text : text.replaceAll(NUL, "\\u0000");
}

/**
 * The entry with every NUL character (U+0000) written as the escape `\u0000`: an error detail
 * or a note may quote one from a body's key, and PostgreSQL text cannot hold it (it refused the
 * whole batch). The body is JSON text, where JSON.stringify has escaped it already.
 */
function withoutNul(entry: RequestLogEntry): RequestLogEntry {
  const notes = entry.notes;
  const noteHasNul = notes !== undefined && notes.some((note) => note.includes(NUL));
  if (!noteHasNul && !entry.path.includes(NUL) && !(entry.errorDetail?.includes(NUL) ?? false) && !(entry.userAgent?.includes(NUL) ?? false)) {
    return entry;
  }
  return {
    ...entry,
    path: escapeNul(entry.path),
    errorDetail: escapeNul(entry.errorDetail),
    userAgent: escapeNul(entry.userAgent),
    ...(notes === undefined ? {} : { notes: notes.map((note) => escapeNul(note)) }),
  };
}

/**
 * Writes the per-tenant request log off the request path: entries are buffered and
 * flushed every `flushMs`, or as soon as `batchSize` are waiting, and each tenant's log is
 * pruned to its newest `retention.authenticated` authenticated entries and, apart, its newest
 * `retention.unauthenticated` unauthenticated ones: anonymous requests to a tenant's URL cannot
 * push its authenticated entries out (ADR 0029). `close()` flushes what is left. The store's sink
 * writes them (on a SQLite file, from a thread of its own: ADR 0017). A busy second is written in batches of
 * `batchSize`: a thousand entries in one transaction on the event loop held every request
 * behind it for milliseconds (p99), and entries kept for 200 ms outlived V8's young
 * generation (docs/benchmarks.md).
 */
export class RequestLogWriter {
  private buffer: RequestLogEntry[] = [];
  /** Per tenant, entries written since its last prune: [authenticated, unauthenticated]. */
  private readonly sinceLastPrune = new Map<string, [number, number]>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly sink: RequestLogSink;

  constructor(
    store: Store,
    private readonly retention: RequestLogRetention,
    private readonly flushMs = 200,
    private readonly batchSize = 128,
  ) {
    this.sink = store.openRequestLogSink();
  }

  push(entry: RequestLogEntry): void {
    this.buffer.push(withoutNul(entry));
    if (this.buffer.length >= this.batchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  /** Writes everything buffered so far; resolves when it is committed. */
  flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const entries = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(() => (entries.length === 0 ? undefined : this.write(entries)));
    return this.flushing;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.sink.close();
  }

  private async write(entries: readonly RequestLogEntry[]): Promise<void> {
    // A tenant is pruned once a tenth of either allowance was written since its last prune.
    const prune: string[] = [];
    for (const entry of entries) {
      const counts = this.sinceLastPrune.get(entry.tenantId) ?? [0, 0];
      this.sinceLastPrune.set(entry.tenantId, counts);
      const kind = entry.unauthenticated === true ? 1 : 0;
      counts[kind] += 1;
      const allowance = kind === 1 ? this.retention.unauthenticated : this.retention.authenticated;
      if (counts[kind] >= Math.max(1, Math.floor(allowance / 10)) && !prune.includes(entry.tenantId)) prune.push(entry.tenantId);
    }
    try {
      await this.sink.write(entries, prune, this.retention);
      for (const tenantId of prune) this.sinceLastPrune.set(tenantId, [0, 0]);
    } catch (error) {
      // The request log is diagnostic: losing a batch must never fail provisioning.
      process.emitWarning(`roster: could not write ${entries.length} request log entries: ${String(error)}`);
    }
  }
}
