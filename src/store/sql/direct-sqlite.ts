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

/**
 * A SQLite file's read connection shared by every `Store.read` at once. Kysely hands its one
 * connection to one caller at a time: each read paid a connection builder, a Kysely bound to
 * the connection, the driver's mutex and their promises (about 5 µs of a 150 µs `GET`,
 * docs/benchmarks.md), though reads without a transaction cannot disturb each other: each
 * statement runs to its end synchronously and reads the last committed state. Here reads
 * share one connection-bound instance, held for the store's life, and only a snapshot (a
 * transaction on the same connection, which an interleaved read would otherwise read inside)
 * runs alone: it waits for the reads under way and holds new ones back until it ends.
 *
 * The bound instance outlives the `connection().execute` that made it. That is sound for
 * Kysely's SQLite driver only, which opens exactly one connection and keeps it until
 * `destroy()`; every use here is inside `shared` or `exclusive`, never beside a snapshot.
 */
export class SharedReader {
  private bound: Kysely<Database> | undefined;
  private binding: Promise<Kysely<Database>> | undefined;
  private reads = 0;
  private snapshot: Promise<void> | undefined;
  private drained: (() => void) | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  /** Runs `fn` beside other reads, after any snapshot on the connection. */
  shared<T>(fn: (connection: Kysely<Database>) => Promise<T>): Promise<T> {
    const bound = this.bound;
    if (bound === undefined || this.snapshot !== undefined) return this.afterward(fn);
    this.reads++;
    let result: Promise<T>;
    try {
      result = fn(bound);
    } catch (error) {
      this.release();
      // Rejected with what was thrown, as an async callback's throw would be.
      return Promise.reject(error as Error);
    }
    return result.finally(() => this.release());
  }

  /** Runs `fn` with no read under way and none starting until it ends. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.snapshot !== undefined) await this.snapshot;
    let end: () => void = () => undefined;
    this.snapshot = new Promise<void>((resolve) => (end = resolve));
    try {
      if (this.reads > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      return await fn();
    } finally {
      this.snapshot = undefined;
      end();
    }
  }

  private async afterward<T>(fn: (connection: Kysely<Database>) => Promise<T>): Promise<T> {
    while (this.snapshot !== undefined) await this.snapshot;
    if (this.bound === undefined) {
      this.binding ??= this.db.connection().execute(async (connection) => connection);
      const bound = await this.binding;
      const statements = STATEMENTS.get(this.db);
      if (statements !== undefined) HELD.set(bound, statements);
      this.bound = bound;
    }
    return this.shared(fn);
  }

  private release(): void {
    if (--this.reads === 0 && this.drained !== undefined) {
      const drained = this.drained;
      this.drained = undefined;
      drained();
    }
  }
}
