import type BetterSqlite3 from "better-sqlite3";
import {
  type ColumnDefinitionBuilder,
  CompiledQuery,
  type Expression,
  type MigrationLockOptions,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
  SqliteAdapter,
  SqliteDialect,
  type DialectAdapter,
  type SqliteDatabase,
  Kysely,
  sql,
} from "kysely";
import { foldCase, parseDateTime } from "../../scim/filter/values.js";
import type { JsonReadAs, JsonSource, SqlDialect, UniqueIndex } from "./dialect.js";
import { executeRows, registerStatements, whileHeld } from "./direct-sqlite.js";
import { CommitGroup } from "./group-commit.js";
import { REQUEST_LOG_SCHEMA } from "./request-log-file.js";
import { enableWal } from "./wal-mode.js";
import type { Database } from "./schema.js";

const FOLD_FUNCTION = "roster_fold";
const INSTANT_FUNCTION = "roster_instant";

/** SQLite JSON path syntax: `$."name"."givenName"` (keys quoted so extension URNs with dots and colons stay one key). */
function jsonPath(path: readonly string[]): string {
  return "$" + path.map((key) => `."${key.replaceAll('"', '""')}"`).join("");
}

function typeAndValue(source: JsonSource, path: readonly string[]): { type: RawBuilder<string | null>; value: RawBuilder<unknown>; json: RawBuilder<unknown>; arrow: RawBuilder<unknown> } {
  if (source.kind === "element" && path.length === 0) {
    return {
      type: sql<string | null>`${sql.ref(`${source.alias}.type`)}`,
      value: sql`${sql.ref(`${source.alias}.atom`)}`,
      json: sql`${sql.ref(`${source.alias}.value`)}`,
      arrow: sql`json_quote(${sql.ref(`${source.alias}.value`)})`,
    };
  }
  // An element's `value` is JSON text only for objects and arrays; primitives are never descended into.
  const document =
    source.kind === "column"
      ? sql`${sql.ref(source.column)}`
      : sql`(case when ${sql.ref(`${source.alias}.type`)} = 'object' then ${sql.ref(`${source.alias}.value`)} end)`;
  const p = jsonPath(path);
  return {
    type: sql<string | null>`json_type(${document}, ${p})`,
    value: sql`json_extract(${document}, ${p})`,
    json: sql`json_extract(${document}, ${p})`,
    arrow: sql`(${document} -> ${p})`,
  };
}

export const SQLITE_DIALECT: SqlDialect = {
  name: "sqlite",
  requestLogSchema: REQUEST_LOG_SCHEMA,

  jsonValue(source: JsonSource, path: readonly string[], as: JsonReadAs): RawBuilder<unknown> {
    const { type, value } = typeAndValue(source, path);
    switch (as) {
      case "text":
        return sql`(case when ${type} = 'text' then ${value} end)`;
      case "number":
        return sql`(case when ${type} in ('integer', 'real') then ${value} end)`;
      case "boolean":
        return sql`(case ${type} when 'true' then 1 when 'false' then 0 end)`;
      case "dateTime":
        return SQLITE_DIALECT.normalizeDateTime(sql`(case when ${type} = 'text' then ${value} end)`);
    }
  },

  // A value is present when it holds some leaf that is neither null nor "" (evaluate.ts `isPresent`).
  jsonPresent(source: JsonSource, path: readonly string[]): RawBuilder<SqlBool> {
    const { type, value, json } = typeAndValue(source, path);
    return sql<SqlBool>`(case
      when ${type} in ('object', 'array') then exists (select 1 from json_tree(${json}) as leaf
        where leaf.type not in ('object', 'array', 'null') and not (leaf.type = 'text' and leaf.atom = ''))
      else coalesce(${type}, 'null') <> 'null' and not (${type} = 'text' and ${value} = '')
    end)`;
  },

  jsonArrayElements(source: JsonSource, path: readonly string[], alias: string): RawBuilder<unknown> {
    // A single value where an array belongs is read as a one-element array (evaluate.ts `asList`).
    const { type, json, arrow } = typeAndValue(source, path);
    return sql`json_each(case when ${type} = 'array' then ${json} when ${type} is null then '[]' else json_array(${arrow}) end) as ${sql.id(alias)}`;
  },

  jsonElementIndex(alias: string): RawBuilder<number> {
    return sql<number>`${sql.ref(`${alias}.key`)}`;
  },

  fold(expression: Expression<unknown>): RawBuilder<string | null> {
    return sql<string | null>`${sql.raw(FOLD_FUNCTION)}(${expression})`;
  },

  jsonPairs(first: Expression<unknown>, second: Expression<unknown>): RawBuilder<string> {
    return sql<string>`json_group_array(json_array(${first}, ${second}))`;
  },

  // Relies on `PRAGMA case_sensitive_like = ON`, set for every connection in prepareSqliteDatabase.
  like(expression: Expression<unknown>, pattern: string): RawBuilder<SqlBool> {
    return sql<SqlBool>`(${expression} like ${pattern} escape '\\')`;
  },

  escapeLike(text: string): string {
    return text.replace(/[\\%_]/g, (c) => `\\${c}`);
  },

  normalizeDateTime(expression: Expression<unknown>): RawBuilder<string | null> {
    return sql<string | null>`${sql.raw(INSTANT_FUNCTION)}(${expression})`;
  },

  lockForUpdate<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
    // BEGIN IMMEDIATE already holds the database's write lock for the whole transaction.
    return query;
  },

  lockSkippingLocked<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
    // Nothing to skip: BEGIN IMMEDIATE lets one writer at a time in, and it sees every row free.
    return query;
  },

  isUniqueViolation(error: unknown, index: UniqueIndex): boolean {
    if (!(error instanceof Error) || (error as { code?: unknown }).code !== "SQLITE_CONSTRAINT_UNIQUE") return false;
    const columns = index.columns.map((column) => `${index.table}.${column}`).join(", ");
    return error.message === `UNIQUE constraint failed: ${columns}` || error.message.includes(`index '${index.name}'`);
  },

  isContention(error: unknown): boolean {
    // BEGIN IMMEDIATE serialises writers (no deadlock): only a foreign key refused, its parent deleted by an earlier commit.
    return (error as { code?: unknown } | null)?.code === "SQLITE_CONSTRAINT_FOREIGNKEY";
  },

  isUnavailable(error: unknown): boolean {
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === "string" && /^SQLITE_(BUSY|LOCKED|CANTOPEN|IOERR|FULL|READONLY)/.test(code);
  },

  isStatementTimeout(): boolean {
    return false;
  },

  isTooComplex(error: unknown): boolean {
    // sqlite3.c's compile-time limits (https://www.sqlite.org/limits.html), raised as SQLITE_ERROR.
    const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
    return (
      code === "SQLITE_ERROR" &&
      typeof message === "string" &&
      /Expression tree is too large|too many SQL variables|LIKE or GLOB pattern too complex|parser stack overflow|at most \d+ tables in a join|too many FROM clause terms|too many columns|string or blob too big/.test(message)
    );
  },

  identityColumn(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder {
    return column.primaryKey().autoIncrement();
  },
  identityColumnType: "integer",
  textType: "text",
  doubleType: "real",

  async currentSchema(): Promise<undefined> {
    return undefined;
  },

  async installFunctions(): Promise<void> {
    // roster_fold and roster_instant are registered on every connection (prepareSqliteDatabase).
  },

  async lockTenantEvents(): Promise<void> {
    // BEGIN IMMEDIATE already serialises every writer.
  },

  async read<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    // The connection is held (Kysely's mutex) but no transaction is opened: in WAL mode each
    // statement reads the last committed state without taking the write lock.
    return db.connection().execute((connection) => whileHeld(connection, db, fn));
  },

  async transaction<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    // One connection per Kysely instance, one write lock per file: the transactions of this
    // process share a BEGIN IMMEDIATE … COMMIT when they arrive together (group-commit.ts);
    // BEGIN IMMEDIATE takes the write lock up front so read-modify-write transactions of
    // several processes serialise instead of failing on lock upgrade.
    let group = COMMIT_GROUPS.get(db);
    if (group === undefined) {
      group = new CommitGroup(db);
      COMMIT_GROUPS.set(db, group);
    }
    return group.transaction(fn);
  },

  async snapshot<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    // A deferred BEGIN: the first SELECT fixes the snapshot (WAL), and no write lock is taken.
    return db.connection().execute((held) =>
      whileHeld(held, db, async (connection) => {
        await sql`begin`.execute(connection);
        try {
          return await fn(connection);
        } finally {
          await sql`commit`.execute(connection).catch(() => undefined);
        }
      }),
    );
  },

  async settle(db: Kysely<Database>): Promise<void> {
    await COMMIT_GROUPS.get(db)?.settled();
  },

  async dataVersion(db: Kysely<Database>): Promise<string> {
    // Changes whenever another connection (this process's writer or any other process)
    // commits, whatever the tenant; never for the connection's own commits, hence read
    // connections only. The request log is another file (ADR 0014): its flushes do not count.
    const [row] = await executeRows(db, DATA_VERSION);
    return String(row?.data_version);
  },
};

const DATA_VERSION = CompiledQuery.raw("pragma data_version") as CompiledQuery<{ data_version: number }>;

const COMMIT_GROUPS = new WeakMap<Kysely<Database>, CommitGroup>();

export interface SqliteSettings {
  /** How long a writer waits for another process's write lock before failing. */
  readonly busyTimeoutMs: number;
}

/** Per-connection settings (docs/decisions/0002-sqlite-settings.md) and the functions the dialect relies on. */
export function prepareSqliteDatabase(database: BetterSqlite3.Database, settings: SqliteSettings): void {
  database.pragma(`busy_timeout = ${Math.trunc(settings.busyTimeoutMs)}`);
  if (!database.readonly) {
    if (!database.memory) enableWal(database);
    database.pragma("synchronous = FULL");
  }
  // Statement journals (a statement inside a savepoint that may fail midway: every write of
  // the group commit, a request-log flush) and temporary b-trees stay in memory instead of
  // files created and unlinked in /var/tmp per statement (docs/benchmarks.md).
  database.pragma("temp_store = MEMORY");
  database.pragma("foreign_keys = ON");
  database.pragma("case_sensitive_like = ON");
  database.function(FOLD_FUNCTION, { deterministic: true }, (value: unknown) =>
    typeof value === "string" ? foldCase(value) : value,
  );
  database.function(INSTANT_FUNCTION, { deterministic: true }, (value: unknown) => {
    const instant = typeof value === "string" ? parseDateTime(value) : undefined;
    return instant === undefined ? null : new Date(instant).toISOString();
  });
}

/**
 * Kysely's SQLite adapter takes no migration lock. Ours takes the database's write lock
 * (BEGIN IMMEDIATE) around the migrator's run, so processes migrating at once serialise.
 */
class RosterSqliteAdapter extends SqliteAdapter {
  override async acquireMigrationLock(db: Kysely<unknown>, _options: MigrationLockOptions): Promise<void> {
    await sql`begin immediate`.execute(db);
  }

  override async releaseMigrationLock(db: Kysely<unknown>, _options: MigrationLockOptions): Promise<void> {
    await sql`commit`.execute(db).catch(() => undefined);
  }
}

/** Prepared statements kept per connection; Kysely's driver would otherwise prepare every query anew. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Reuses prepared statements by SQL text (least recently used out past STATEMENT_CACHE_SIZE).
 * A statement still iterating (`busy`, a streamed query) is never handed out twice.
 */
export function withStatementCache(database: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => database.close(),
    prepare(text: string): BetterSqlite3.Statement {
      const cached = cache.get(text);
      if (cached !== undefined && !cached.busy) {
        cache.delete(text);
        cache.set(text, cached);
        return cached;
      }
      const statement = database.prepare(text);
      cache.set(text, statement);
      if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value ?? "");
      return statement;
    },
  };
}

export class RosterSqliteDialect extends SqliteDialect {
  /** The connection's statement cache, shared with direct execution (direct-sqlite.ts). */
  readonly statements: SqliteDatabase;

  constructor(config: { readonly database: BetterSqlite3.Database }) {
    const statements = withStatementCache(config.database);
    super({ database: statements });
    this.statements = statements;
  }

  override createAdapter(): DialectAdapter {
    return new RosterSqliteAdapter();
  }
}

/** A Kysely instance on one SQLite connection, whose held connections run compiled queries directly (direct-sqlite.ts). */
export function openSqliteKysely(database: BetterSqlite3.Database): Kysely<Database> {
  const dialect = new RosterSqliteDialect({ database });
  const db = new Kysely<Database>({ dialect });
  registerStatements(db, dialect.statements);
  return db;
}
