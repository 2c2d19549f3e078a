import type { ColumnDataType, ColumnDefinitionBuilder, Expression, Kysely, RawBuilder, SelectQueryBuilder, SqlBool } from "kysely";
import type { Database } from "./schema.js";

/** Where a JSON value lives: a column holding a document, or the current element of a `jsonArrayElements` FROM item. */
export type JsonSource =
  | { readonly kind: "column"; readonly column: string }
  | { readonly kind: "element"; readonly alias: string };

/** The SQL type a JSON value is read as. `dateTime` reads a string and normalises it to `toISOString()` form. */
export type JsonReadAs = "text" | "number" | "boolean" | "dateTime";

export interface UniqueIndex {
  readonly name: string;
  readonly table: string;
  readonly columns: readonly string[];
}

/**
 * Every difference between the databases Roster runs on, and nothing else. The store
 * is written once against this interface; `dialect-sqlite.ts` and `dialect-postgres.ts`
 * implement it (docs/decisions/0008-postgresql.md).
 *
 * Besides these members, a dialect must compare and order text by Unicode code point
 * (SQLite's BINARY collation; `COLLATE "C"` on PostgreSQL), as evaluate.ts does.
 */
export interface SqlDialect {
  readonly name: "sqlite" | "postgres";
  /** The schema the request log is read and written in: SQLite's attached file (request-log-file.ts); none on PostgreSQL. */
  readonly requestLogSchema: string | undefined;
  /** The value at `path` read as `as`; NULL when absent, JSON null or of another JSON type. Booleans read as 1/0. */
  jsonValue(source: JsonSource, path: readonly string[], as: JsonReadAs): RawBuilder<unknown>;
  /** RFC 7644 §3.4.2.2 `pr`: present and not null, "", [] or {}. */
  jsonPresent(source: JsonSource, path: readonly string[]): RawBuilder<SqlBool>;
  /** A FROM item yielding one row per element of the JSON array at `path` (none when it is not an array). */
  jsonArrayElements(source: JsonSource, path: readonly string[], alias: string): RawBuilder<unknown>;
  /** The position of the element in its array (0-based), for "first value" ordering. */
  jsonElementIndex(alias: string): RawBuilder<number>;
  /** An aggregate: the JSON text of an array of `[first, second]` pairs, one per row (`[]` for none), in no particular order. */
  jsonPairs(first: Expression<unknown>, second: Expression<unknown>): RawBuilder<string>;
  /** Case folding identical to JavaScript's `toLowerCase()`. */
  fold(expression: Expression<unknown>): RawBuilder<string | null>;
  /** Case-sensitive LIKE with `\` as the escape character; `pattern` comes from `escapeLike`. */
  like(expression: Expression<unknown>, pattern: string): RawBuilder<SqlBool>;
  escapeLike(text: string): string;
  /** Normalises an xsd:dateTime text expression to `toISOString()` form exactly as values.ts `parseDateTime` reads it; NULL when unparsable. */
  normalizeDateTime(expression: Expression<unknown>): RawBuilder<string | null>;
  /** Locks the selected rows until the transaction ends (`FOR UPDATE`); a no-op where transactions already serialise writers. */
  lockForUpdate<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /**
   * Locks the selected rows until the transaction ends, leaving out rows another transaction
   * holds instead of waiting for them (`FOR UPDATE SKIP LOCKED`): several processes claim
   * disjoint work. A no-op where transactions already serialise writers.
   */
  lockSkippingLocked<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O>;
  /**
   * Whether a write failed for racing another transaction rather than for what it wrote: a
   * foreign key refused (its tenant deleted meanwhile) or a deadlock (PostgreSQL).
   */
  isContention(error: unknown): boolean;
  isUniqueViolation(error: unknown, index: UniqueIndex): boolean;
  /** The database is unreachable, locked past its timeout, or shutting down. */
  isUnavailable(error: unknown): boolean;
  /** A statement was cancelled by the statement timeout (PostgreSQL's 57014); never on SQLite, which has none (ADR 0024). */
  isStatementTimeout(error: unknown): boolean;
  /** The database refused a statement as too large or too deep to compile (SQLite's expression depth, PostgreSQL's stack depth). */
  isTooComplex(error: unknown): boolean;
  /** An auto-incrementing 64-bit integer primary key column. */
  identityColumn(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  readonly identityColumnType: "integer" | "bigint";
  /** The column type of every text column: it must compare and sort by code point. */
  readonly textType: ColumnDataType | Expression<unknown>;
  /** The column type of a double-precision number (SQLite's REAL; PostgreSQL's REAL is only 4 bytes). */
  readonly doubleType: ColumnDataType | Expression<unknown>;
  /** The schema Roster's tables live in, where the migrator must keep its own tables too; undefined where there are no schemas. */
  currentSchema(db: Kysely<Database>): Promise<string | undefined>;
  /** Creates the SQL functions the dialect's expressions call, inside the initial migration; a no-op where they are registered per connection. */
  installFunctions(db: Kysely<any>): Promise<void>;
  /**
   * Serialises, until the transaction ends, the transactions that write events of one tenant,
   * so that event sequence numbers of a tenant grow in commit order; a no-op where writers
   * already serialise.
   */
  lockTenantEvents(db: Kysely<Database>, tenantId: string): Promise<void>;
  /** Runs `fn` for reads only: no BEGIN, no write lock (`Store.read`). */
  read<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /** Runs `fn` in one read-write transaction that serialises with other writers where the database needs it. */
  transaction<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /** Runs `fn` in one read-only transaction whose statements all see the same snapshot. */
  snapshot<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /** Waits for the transactions in progress on `db` to end (before it is closed). */
  settle(db: Kysely<Database>): Promise<void>;
  /**
   * A value that changes with every commit that changes the tenant's users, groups, emails or
   * memberships (and may change with others), read on `db` (a read session's): a list answer
   * computed after reading it may be reused while it stays the same (ListMemo,
   * query-resources.ts). SQLite's is `PRAGMA data_version`, valid only on a connection that
   * never writes; PostgreSQL's the tenant's directory version (migration 0010, ADR 0015).
   */
  dataVersion(db: Kysely<Database>, tenantId: string): Promise<string>;
}
