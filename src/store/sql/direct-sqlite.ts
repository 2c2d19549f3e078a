import type { CompiledQuery, Kysely, SqliteDatabase } from "kysely";
import type { Database } from "./schema.js";

// A query Roster has already compiled (prepared-query.ts, query-resources.ts) gains nothing
// from going through Kysely's executor on SQLite: better-sqlite3 answers synchronously, and
// the executor's connection provider, mutex and promise chain cost more CPU per query than
// SQLite's own work for a lookup by key (docs/benchmarks.md, "Compiled queries run on
// the connection"). Such a query runs here straight on the connection's cached statement,
// but only on a connection this code already holds: one handed out by Kysely's
// `connection()` (a read, a snapshot, a group commit), never the shared instance itself,
// whose connection someone else may hold with a transaction open.

/** The statement cache of each SQLite Kysely instance (dialect-sqlite.ts `openSqliteKysely`). */
const STATEMENTS = new WeakMap<Kysely<Database>, SqliteDatabase>();
/** Connection-bound instances while they are held, and the statements of their connection. */
const HELD = new WeakMap<Kysely<Database>, SqliteDatabase>();

export function registerStatements(db: Kysely<Database>, statements: SqliteDatabase): void {
  STATEMENTS.set(db, statements);
}

/**
 * Runs `fn` with `connection`, handed out by `owner.connection().execute`, marked as held:
 * while `fn` runs, compiled queries on it run directly (`executeRows`); after, through Kysely.
 */
export async function whileHeld<T>(connection: Kysely<Database>, owner: Kysely<Database>, fn: (connection: Kysely<Database>) => Promise<T>): Promise<T> {
  const statements = STATEMENTS.get(owner);
  if (statements === undefined) return fn(connection);
  HELD.set(connection, statements);
  try {
    return await fn(connection);
  } finally {
    HELD.delete(connection);
  }
}

/** The rows of a compiled query: directly on a held SQLite connection, else through Kysely. */
export async function executeRows<R>(db: Kysely<Database>, compiled: CompiledQuery<R>): Promise<R[]> {
  const statements = HELD.get(db);
  if (statements === undefined) return (await db.executeQuery<R>(compiled)).rows;
  // As Kysely's own SQLite connection does: rows for a statement that returns data, else none.
  const statement = statements.prepare(compiled.sql);
  if (statement.reader) return statement.all(compiled.parameters) as R[];
  statement.run(compiled.parameters);
  return [];
}
