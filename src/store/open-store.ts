import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Kysely } from "kysely";
import { POSTGRES_DIALECT, createPostgresDialects } from "./sql/dialect-postgres.js";
import { SQLITE_DIALECT, openSqliteKysely, prepareSqliteDatabase } from "./sql/dialect-sqlite.js";
import { attachRequestLog, detachRequestLog, requestLogPath } from "./sql/request-log-file.js";
import { openRequestLogThread } from "./sql/request-log-thread.js";
import type { Database as Tables } from "./sql/schema.js";
import { SqlStore } from "./sql/sql-store.js";
import { walChangeVersion } from "./sql/wal-index.js";
import { type Store, StoreUnavailableError } from "./store.js";
import { readIntegerVariables } from "../env-integers.js";

export interface OpenStoreOptions {
  /** SQLite: how long a writer waits for another process's lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  /** Run migrations before returning (default false: `roster migrate` or the caller does it). */
  readonly migrate?: boolean;
  /** PostgreSQL: connections this process may hold (default 10, or `ROSTER_DATABASE_POOL_SIZE`). */
  readonly poolSize?: number;
  /** PostgreSQL: how long a request waits for a connection before failing as unavailable (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /**
   * PostgreSQL: the statement timeout of `Store.read` (list, search, GET, token lookups), in ms;
   * 0 turns it off (default 10000, or `ROSTER_STATEMENT_TIMEOUT_MS`). A read past it fails
   * with StoreTimeoutError (503). SQLite has none (ADR 0024).
   */
  readonly statementTimeoutMs?: number;
}

export const DEFAULT_STATEMENT_TIMEOUT_MS = 10_000;

/** `ROSTER_DATABASE_POOL_SIZE` when a positive integer, else 10. */
export function poolSizeFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const fromEnvironment = Number(env["ROSTER_DATABASE_POOL_SIZE"]);
  return Number.isInteger(fromEnvironment) && fromEnvironment > 0 ? fromEnvironment : 10;
}

/** `ROSTER_STATEMENT_TIMEOUT_MS` as a number of ms (0: off); throws on anything but a non-negative integer. */
export function statementTimeoutFromEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const read = readIntegerVariables(env, { timeoutMs: "ROSTER_STATEMENT_TIMEOUT_MS" }, { timeoutMs: [0, 86_400_000] });
  if ("error" in read) throw new Error(`${read.error} (milliseconds; 0 turns the timeout off)`);
  return read.values.timeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
}

export function isPostgresUrl(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//i.test(databaseUrl);
}

/** The SQLite file a database URL names, or undefined when it is not a SQLite URL. */
export function sqlitePath(databaseUrl: string): string | undefined {
  if (isPostgresUrl(databaseUrl)) return undefined;
  if (databaseUrl === ":memory:" || databaseUrl === "sqlite::memory:") return ":memory:";
  if (databaseUrl.startsWith("file:")) return databaseUrl.startsWith("file://") ? fileURLToPath(databaseUrl) : databaseUrl.slice("file:".length);
  if (databaseUrl.startsWith("sqlite:")) return databaseUrl.slice("sqlite:".length).replace(/^\/\//, "");
  return databaseUrl;
}

/**
 * Page cache of a long snapshot's connection, in KiB (SQLite's negative `cache_size`). Such a
 * snapshot streams a large group's members once, in member order; better-sqlite3's default
 * (16 MB per connection) filled up during a 100 k-member `GET` and stayed allocated as the
 * process's peak, while 2 MB read the same group about a fifth faster (less to allocate)
 * and 15 MB smaller (docs/benchmarks.md).
 */
const STREAMING_CACHE_KIB = 2_000;

function streamingReader(connection: Database.Database): Database.Database {
  connection.pragma(`cache_size = -${STREAMING_CACHE_KIB}`);
  return connection;
}

/**
 * Opens the store a URL names: a path, `file:` URL or `:memory:` is SQLite (the parent
 * directory is created); `postgres://` or `postgresql://` is PostgreSQL (no connection is
 * made until the first query; `migrate: true` makes one).
 */
export async function openStore(databaseUrl: string, options: OpenStoreOptions = {}): Promise<Store> {
  const path = sqlitePath(databaseUrl);
  if (path === undefined) return openPostgresStore(databaseUrl, options);
  if (path.length === 0) throw new Error(`database URL "${databaseUrl}" names no file`);
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  // Read-only connections of the same file: Store.read's (in WAL mode it reads the last
  // commit while the writer's group commit may be open) and one per long snapshot.
  const logFile = requestLogPath(path);
  const openReader = (): Database.Database => {
    const connection = new Database(path, { readonly: true, fileMustExist: true });
    try {
      prepareSqliteDatabase(connection, { busyTimeoutMs });
      attachRequestLog(connection, logFile, { writable: false });
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  };
  let database: Database.Database | undefined;
  let reader: Database.Database | undefined;
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    database = new Database(path);
    prepareSqliteDatabase(database, { busyTimeoutMs });
    // Creates the log's file and table, before the reader, which attaches it read-only. A
    // file's write connection then lets it go: a directory write's BEGIN IMMEDIATE would
    // take the log's write lock too, and the log's own thread writes it (ADR 0017).
    attachRequestLog(database, logFile, { writable: true });
    if (path !== ":memory:") {
      reader = openReader();
      detachRequestLog(database);
    }
  } catch (error) {
    database?.close();
    throw new StoreUnavailableError(`cannot open SQLite database "${path}": ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const writer = database;
  const db = openSqliteKysely(writer);
  const store =
    reader === undefined
      ? new SqlStore(db, SQLITE_DIALECT)
      : new SqlStore(db, SQLITE_DIALECT, {
          readDb: openSqliteKysely(reader),
          openSnapshotDb: () => openSqliteKysely(streamingReader(openReader())),
          changes: walChangeVersion(path, reader),
          openRequestLogSink: () => openRequestLogThread(logFile, { busyTimeoutMs, directoryFile: path }),
          attachRequestLog: () => attachRequestLog(writer, logFile, { writable: true }),
          detachRequestLog: () => detachRequestLog(writer),
          purgeRequestLog: (tenantId) => purgeRequestLogFile(logFile, tenantId, busyTimeoutMs),
        });
  if (options.migrate === true) await store.migrate();
  return store;
}

/**
 * Deletes a deleted tenant's entries from the log's file on a short-lived connection of its
 * own: the store's write connection has the file attached only while migrating (ADR 0017),
 * and the log's thread takes its turn through the file's lock (busy timeout).
 */
function purgeRequestLogFile(logFile: string, tenantId: string, busyTimeoutMs: number): void {
  const connection = new Database(logFile, { fileMustExist: true });
  try {
    connection.pragma(`busy_timeout = ${busyTimeoutMs}`);
    connection.transaction(() => {
      connection.prepare("delete from request_log where tenant_id = ?").run(tenantId);
      connection.prepare("delete from request_log_dropped where tenant_id = ?").run(tenantId);
    })();
  } finally {
    connection.close();
  }
}

async function openPostgresStore(databaseUrl: string, options: OpenStoreOptions): Promise<Store> {
  const poolSize = options.poolSize ?? poolSizeFromEnvironment();
  const statementTimeoutMs = options.statementTimeoutMs ?? statementTimeoutFromEnvironment();
  const { writes, reads } = createPostgresDialects({ connectionString: databaseUrl, poolSize, connectTimeoutMs: options.connectTimeoutMs ?? 5000, statementTimeoutMs });
  const timedReads = reads === undefined ? undefined : { db: new Kysely<Tables>({ dialect: reads }), timeoutMs: statementTimeoutMs };
  const store = new SqlStore(new Kysely<Tables>({ dialect: writes }), POSTGRES_DIALECT, undefined, timedReads);
  if (options.migrate === true) {
    try {
      await store.migrate();
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}
