import type BetterSqlite3 from "better-sqlite3";
import { enableWal } from "./wal-mode.js";

// On SQLite the request log lives in a file of its own beside the database (ADR 0014),
// attached to the read connections as the schema `log` and written on a connection of its
// own (ADR 0017). The log is written on every flush, about
// five times a second under load; in the database's own file each of those commits would
// change its data version and make every other connection drop its page cache, the token
// memo and the list memo, although no resource changed.

/** The schema the request log is attached as on SQLite connections. */
export const REQUEST_LOG_SCHEMA = "log";

/** The request log's file beside a SQLite database: `data/roster.db` → `data/roster.requests.db`; `:memory:` stays in memory. */
export function requestLogPath(databasePath: string): string {
  if (databasePath === ":memory:") return ":memory:";
  return `${databasePath.replace(/\.(db|sqlite3?)$/i, "")}.requests.db`;
}

const COLUMNS = `seq integer primary key autoincrement, tenant_id text not null, request_id text not null, at text not null,
  method text not null, path text not null, status integer not null, duration_ms real not null, scim_type text,
  error_detail text, user_agent text, request_body text, notes text, authenticated integer not null default 1, event_ids text`;

/** The per-tenant count of unauthenticated entries pruned past their allowance (ADR 0029). */
export const REQUEST_LOG_DROPPED_COLUMNS = "tenant_id text primary key, unauthenticated integer not null default 0";

/** Each tenant's entries of one kind, newest last: what listing and pruning one kind read (ADR 0029). */
export const REQUEST_LOG_KIND_INDEX = "request_log_tenant_kind_seq";

/**
 * Each tenant's entries of one status class (2 for 2xx…), newest last: a listing filtered by
 * class and the status counts read ranges of it (ADR 0032). Queries must write the class as
 * this same expression, `status / 100` with the literal 100, for both databases to use it.
 */
export const REQUEST_LOG_CLASS_INDEX = "request_log_tenant_class_seq";
export const REQUEST_LOG_CLASS_EXPRESSION = "status / 100";

/**
 * Attaches the request log's file as `log`. A writable connection (the store's write
 * connection while it opens and migrates, an in-memory database's only one) creates the file and its
 * table when missing (a database copied without it starts an empty log) and commits to it
 * in WAL mode without an fsync per commit: the log is diagnostic, and a crash of the
 * process loses nothing committed; only a power loss may lose its last commits.
 */
export function attachRequestLog(connection: BetterSqlite3.Database, file: string, options: { readonly writable: boolean }): void {
  connection.prepare(`attach database ? as ${REQUEST_LOG_SCHEMA}`).run(file);
  if (!options.writable) return;
  if (file !== ":memory:") enableWal(connection, REQUEST_LOG_SCHEMA);
  connection.pragma(`${REQUEST_LOG_SCHEMA}.synchronous = NORMAL`);
  // A file made before migration 0012 is brought up to date by it; a new one is made whole
  // (`if not exists`: two processes opening a new database at once may both get here).
  const exists = connection.prepare(`select 1 from ${REQUEST_LOG_SCHEMA}.sqlite_master where type = 'table' and name = 'request_log'`).get() !== undefined;
  if (!exists) {
    connection.exec(`create table if not exists ${REQUEST_LOG_SCHEMA}.request_log (${COLUMNS});
      create index if not exists ${REQUEST_LOG_SCHEMA}.request_log_tenant_seq on request_log (tenant_id, seq);
      create index if not exists ${REQUEST_LOG_SCHEMA}.${REQUEST_LOG_KIND_INDEX} on request_log (tenant_id, authenticated, seq);
      create index if not exists ${REQUEST_LOG_SCHEMA}.${REQUEST_LOG_CLASS_INDEX} on request_log (tenant_id, (${REQUEST_LOG_CLASS_EXPRESSION}), seq, status);`);
  }
  connection.exec(`create table if not exists ${REQUEST_LOG_SCHEMA}.request_log_dropped (${REQUEST_LOG_DROPPED_COLUMNS})`);
}

/** Lets the log's file go from a connection that attached it. */
export function detachRequestLog(connection: BetterSqlite3.Database): void {
  connection.exec(`detach database ${REQUEST_LOG_SCHEMA}`);
}

/** Moves entries the log kept in the database's own file (before migration 0009) into the attached log, oldest first. */
export const MOVE_REQUEST_LOG_SQL = `insert into ${REQUEST_LOG_SCHEMA}.request_log
  (seq, tenant_id, request_id, at, method, path, status, duration_ms, scim_type, error_detail, user_agent, request_body, notes)
  select seq, tenant_id, request_id, at, method, path, status, duration_ms, scim_type, error_detail, user_agent, request_body, notes
  from main.request_log order by seq`;
