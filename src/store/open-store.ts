import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Kysely } from "kysely";
import { RosterSqliteDialect, SQLITE_DIALECT, prepareSqliteDatabase } from "./sql/dialect-sqlite.js";
import type { Database as Tables } from "./sql/schema.js";
import { SqlStore } from "./sql/sql-store.js";
import { type Store, StoreUnavailableError } from "./store.js";

export interface OpenStoreOptions {
  /** SQLite: how long a writer waits for another process's lock (default 5000 ms). */
  readonly busyTimeoutMs?: number;
  /** Run migrations before returning (default false: `roster migrate` or the caller does it). */
  readonly migrate?: boolean;
}

/** The SQLite file a database URL names, or undefined when it is not a SQLite URL. */
export function sqlitePath(databaseUrl: string): string | undefined {
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) return undefined;
  if (databaseUrl === ":memory:" || databaseUrl === "sqlite::memory:") return ":memory:";
  if (databaseUrl.startsWith("file:")) return databaseUrl.startsWith("file://") ? fileURLToPath(databaseUrl) : databaseUrl.slice("file:".length);
  if (databaseUrl.startsWith("sqlite:")) return databaseUrl.slice("sqlite:".length).replace(/^\/\//, "");
  return databaseUrl;
}

/**
 * Opens the store a URL names: a path, `file:` URL or `:memory:` is SQLite (the parent
 * directory is created); `postgres://` arrives with issue 3.
 */
export async function openStore(databaseUrl: string, options: OpenStoreOptions = {}): Promise<Store> {
  const path = sqlitePath(databaseUrl);
  if (path === undefined) throw new Error("PostgreSQL support arrives with issue 3; use a SQLite path or file: URL for now");
  if (path.length === 0) throw new Error(`database URL "${databaseUrl}" names no file`);
  let database: Database.Database;
  try {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    database = new Database(path);
    prepareSqliteDatabase(database, { busyTimeoutMs: options.busyTimeoutMs ?? 5000 });
  } catch (error) {
    throw new StoreUnavailableError(`cannot open SQLite database "${path}": ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const store = new SqlStore(new Kysely<Tables>({ dialect: new RosterSqliteDialect({ database }) }), SQLITE_DIALECT);
  if (options.migrate === true) await store.migrate();
  return store;
}
