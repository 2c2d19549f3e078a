import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import type { RequestLogRetention, RequestLogSink } from "../store.js";
import { REQUEST_LOG_COLUMNS, toRequestLogValues } from "./mappers.js";

// On a SQLite file the request log is written on a connection of its own to the log's file,
// from a worker thread (ADR 0017): inserting a flush's rows, pruning, committing and
// checkpointing the log's WAL no longer hold the event loop, and no directory write waits
// for the log's lock, nor a log write for the directory's.

type Cell = string | number | null;

/** One flush: rows laid end to end, as the thread binds them. */
interface Batch {
  readonly cells: readonly Cell[];
  readonly prune: readonly string[];
  readonly keep: RequestLogRetention;
}

interface WriterSettings {
  readonly file: string;
  readonly busyTimeoutMs: number;
  readonly columns: readonly string[];
  /** The directory's own file: an entry is written only while its tenant exists there (a deleted tenant's late entries are dropped). */
  readonly directoryFile?: string;
}

interface BatchWriter {
  write(batch: Batch): void;
  close(): void;
}

type ThreadMessage = { readonly id: number; readonly batch: Batch } | null;
type ThreadReply = { readonly id: number; readonly error?: string };

/**
 * Opens the log's file and writes each batch in one transaction: its rows, then for each
 * tenant in `prune` the removal of all but its newest `keep` entries of each kind, counting the
 * unauthenticated ones removed (ADR 0029; as SqlSession.pruneRequestLog). The thread runs this
 * from its source text, so it refers to nothing outside itself.
 */
function openBatchWriter(Sqlite: typeof Database, settings: WriterSettings): BatchWriter {
  const db = new Sqlite(settings.file, { fileMustExist: true });
  try {
    db.pragma(`busy_timeout = ${settings.busyTimeoutMs}`);
    db.pragma("synchronous = NORMAL");
    const width = settings.columns.length;
    const placeholders = settings.columns.map(() => "?").join(", ");
    // The first column is the tenant's id, bound once more for the check.
    let guarded = false;
    if (settings.directoryFile !== undefined) {
      db.prepare("attach database ? as directory").run(settings.directoryFile);
      guarded = true;
    }
    const insert = db.prepare(
      guarded
        ? `insert into request_log (${settings.columns.join(", ")}) select ${placeholders} where exists (select 1 from directory.tenants where id = ?)`
        : `insert into request_log (${settings.columns.join(", ")}) values (${placeholders})`,
    );
    const boundary = db.prepare("select seq from request_log where tenant_id = ? and authenticated = ? order by seq desc limit 1 offset ?").pluck();
    const prune = db.prepare("delete from request_log where tenant_id = ? and authenticated = ? and seq <= ?");
    const count = db.prepare(
      "insert into request_log_dropped (tenant_id, unauthenticated) values (?, ?) on conflict (tenant_id) do update set unauthenticated = request_log_dropped.unauthenticated + excluded.unauthenticated",
    );
    const pruneKind = (tenantId: string, authenticated: number, keep: number): number => {
      const seq = boundary.get(tenantId, authenticated, keep);
      return seq === undefined ? 0 : prune.run(tenantId, authenticated, seq).changes;
    };
    const write = db.transaction((batch: Batch) => {
      for (let at = 0; at < batch.cells.length; at += width) {
        const row = batch.cells.slice(at, at + width);
        insert.run(guarded ? [...row, row[0] ?? null] : row);
      }
      for (const tenantId of batch.prune) {
        pruneKind(tenantId, 1, batch.keep.authenticated);
        const dropped = pruneKind(tenantId, 0, batch.keep.unauthenticated);
        if (dropped > 0) count.run(tenantId, dropped);
      }
    });
    return { write: (batch) => write(batch), close: () => db.close() };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** The thread's program: a batch writer answering each message once its batch is committed or failed; `null` closes it. */
function threadMain(threads: typeof import("node:worker_threads"), Sqlite: typeof Database, open: typeof openBatchWriter, settings: WriterSettings): void {
  const port = threads.parentPort;
  if (port === null) return;
  const writer = open(Sqlite, settings);
  port.on("message", (message: ThreadMessage) => {
    if (message === null) {
      writer.close();
      port.close();
      return;
    }
    try {
      writer.write(message.batch);
      port.postMessage({ id: message.id } satisfies ThreadReply);
    } catch (error) {
      port.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) } satisfies ThreadReply);
    }
  });
}

/** Starts the thread's program in a worker; its source is this module's own functions. */
function startThread(settings: WriterSettings): Worker {
  const sqlite = createRequire(import.meta.url).resolve("better-sqlite3");
  const source = `(${threadMain.toString()})(require("node:worker_threads"), require(${JSON.stringify(sqlite)}), ${openBatchWriter.toString()}, ${JSON.stringify(settings)})`;
  return new Worker(source, { eval: true });
}

export interface RequestLogThreadOptions {
  readonly busyTimeoutMs: number;
  /** The directory's file (tenants): entries of a tenant deleted meanwhile are dropped, not written. */
  readonly directoryFile?: string;
  /** Starts the worker (tests start one that fails, to see the sink carry on without it). */
  readonly startThread?: (settings: unknown) => Worker;
}

/**
 * A sink writing the request log in `logFile` (a SQLite database whose table the store
 * created) from a thread started on the first write. Writes are answered in the order they
 * were made; while any is under way the thread keeps the process alive, so a flush awaited
 * at shutdown is not cut short. Should the thread fail to start or stop, the batches it held
 * and every later one are written on this thread, on a connection of the sink's own (a batch
 * the thread committed but died before answering is then written twice: the log is a
 * diagnostic record, and nothing is lost).
 */
export function openRequestLogThread(logFile: string, options: RequestLogThreadOptions): RequestLogSink {
  const settings: WriterSettings = {
    file: logFile,
    busyTimeoutMs: options.busyTimeoutMs,
    columns: REQUEST_LOG_COLUMNS,
    ...(options.directoryFile === undefined ? {} : { directoryFile: options.directoryFile }),
  };
  let worker: Worker | undefined;
  let inline: BatchWriter | undefined;
  let threadFailed = false;
  let closed = false;
  let serial = 0;
  let last: Promise<void> = Promise.resolve();
  const pending = new Map<number, { batch: Batch; resolve: () => void; reject: (error: Error) => void }>();

  const settle = (id: number, error?: Error): void => {
    const waiting = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker?.unref();
    if (error === undefined) waiting?.resolve();
    else waiting?.reject(error);
  };

  const writeInline = (batch: Batch): void => {
    inline ??= openBatchWriter(Database, settings);
    inline.write(batch);
  };

  /** The thread is gone: what it held is written here, in order. */
  const fallBack = (reason: string): void => {
    if (worker === undefined) return;
    worker = undefined;
    threadFailed = true;
    if (!closed) process.emitWarning(`roster: ${reason}; the request log is written on the event loop from now on`);
    for (const [id, { batch }] of [...pending]) {
      try {
        writeInline(batch);
        settle(id);
      } catch (error) {
        settle(id, error instanceof Error ? error : new Error(String(error)));
      }
    }
  };

  const start = (): Worker => {
    const started = (options.startThread ?? startThread)(settings);
    started.on("message", (reply: ThreadReply) => settle(reply.id, reply.error === undefined ? undefined : new Error(reply.error)));
    started.on("error", (error) => fallBack(`the request log thread failed: ${error.message}`));
    started.on("exit", () => fallBack("the request log thread stopped"));
    return started;
  };

  return {
    write(entries, prune, keep) {
      if (closed) return Promise.reject(new Error("the request log sink is closed"));
      const batch: Batch = { cells: entries.flatMap(toRequestLogValues), prune, keep };
      if (threadFailed) {
        try {
          writeInline(batch);
          return Promise.resolve();
        } catch (error) {
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
      }
      worker ??= start();
      worker.ref();
      const id = ++serial;
      const done = new Promise<void>((resolve, reject) => pending.set(id, { batch, resolve, reject }));
      worker.postMessage({ id, batch } satisfies ThreadMessage);
      last = done.catch(() => undefined);
      return done;
    },
    async close() {
      if (closed) return;
      closed = true;
      await last;
      inline?.close();
      const running = worker;
      if (running === undefined) return;
      const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
      running.ref();
      running.postMessage(null satisfies ThreadMessage);
      await exited;
    },
  };
}
