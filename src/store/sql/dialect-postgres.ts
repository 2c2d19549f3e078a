import pg from "pg";
import {
  type ColumnDefinitionBuilder,
  CompiledQuery,
  type Expression,
  type Kysely,
  PostgresDialect,
  type PostgresPool,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from "kysely";
import type { JsonReadAs, JsonSource, SqlDialect, UniqueIndex } from "./dialect.js";
import type { Database } from "./schema.js";

// Decisions in docs/decisions/0008-postgresql.md: documents stay JSON text (read as jsonb
// when a filter needs them), text columns are COLLATE "C" (code-point order, as
// evaluate.ts), indexed lookups use columns folded in JS, and the few SQL-side folds use
// ICU's root-locale lower(), which matches JS toLowerCase().

const INSTANT_FUNCTION = "roster_instant";
const CODE_POINT = sql.raw(`collate "C"`);
const UNICODE_LOWER = sql.raw(`collate "und-x-icu"`);

/** Failed to open a connection: the database is down, unreachable or refusing connections. */
export class PostgresConnectError extends Error {
  override readonly name = "PostgresConnectError";
}

function keys(path: readonly string[]): RawBuilder<unknown> {
  return sql`array[${sql.join(path.map((key) => sql`${key}::text`))}]::text[]`;
}

/** The jsonb value at `path`: SQL NULL when absent. Elements are only descended into when they are objects (SQLite's reading). */
function jsonbAt(source: JsonSource, path: readonly string[]): RawBuilder<unknown> {
  if (source.kind === "column") {
    const document = sql`(${sql.ref(source.column)})::jsonb`;
    return path.length === 0 ? document : sql`(${document} #> ${keys(path)})`;
  }
  const element = sql.ref(`${source.alias}.value`);
  if (path.length === 0) return sql`${element}`;
  return sql`(case when jsonb_typeof(${element}) = 'object' then ${element} #> ${keys(path)} end)`;
}

export const POSTGRES_DIALECT: SqlDialect = {
  name: "postgres",
  requestLogSchema: undefined,

  jsonValue(source: JsonSource, path: readonly string[], as: JsonReadAs): RawBuilder<unknown> {
    const value = jsonbAt(source, path);
    switch (as) {
      case "text":
        return sql`((case when jsonb_typeof(${value}) = 'string' then ${value} #>> '{}' end) ${CODE_POINT})`;
      case "number":
        return sql`(case when jsonb_typeof(${value}) = 'number' then (${value} #>> '{}')::double precision end)`;
      case "boolean":
        return sql`(case jsonb_typeof(${value}) when 'boolean' then (case when ${value} = 'true'::jsonb then 1 else 0 end) end)`;
      case "dateTime":
        return POSTGRES_DIALECT.normalizeDateTime(sql`(case when jsonb_typeof(${value}) = 'string' then ${value} #>> '{}' end)`);
    }
  },

  // A value is present when it holds some leaf that is neither null nor "" (evaluate.ts `isPresent`).
  jsonPresent(source: JsonSource, path: readonly string[]): RawBuilder<SqlBool> {
    const value = jsonbAt(source, path);
    return sql<SqlBool>`(case
      when jsonb_typeof(${value}) in ('object', 'array') then exists (select 1 from jsonb_path_query(${value}, 'strict $.**') as leaf(value)
        where jsonb_typeof(leaf.value) not in ('object', 'array', 'null') and leaf.value <> '""'::jsonb)
      else coalesce(jsonb_typeof(${value}), 'null') <> 'null' and ${value} <> '""'::jsonb
    end)`;
  },

  jsonArrayElements(source: JsonSource, path: readonly string[], alias: string): RawBuilder<unknown> {
    // A single value where an array belongs is read as a one-element array (evaluate.ts `asList`).
    const value = jsonbAt(source, path);
    return sql`jsonb_array_elements(case when jsonb_typeof(${value}) = 'array' then ${value} when ${value} is null then '[]'::jsonb else jsonb_build_array(${value}) end) with ordinality as ${sql.id(alias)}(value, ordinal)`;
  },

  jsonElementIndex(alias: string): RawBuilder<number> {
    return sql<number>`(${sql.ref(`${alias}.ordinal`)} - 1)`;
  },

  // ICU's root locale lower-cases like JS toLowerCase() (final sigma, İ → i̇); the result is compared in code-point order.
  fold(expression: Expression<unknown>): RawBuilder<string | null> {
    return sql<string | null>`(lower((${expression})::text ${UNICODE_LOWER}) ${CODE_POINT})`;
  },

  jsonPairs(first: Expression<unknown>, second: Expression<unknown>): RawBuilder<string> {
    // Text, not json: the driver would parse json, and both dialects hand the store the same text.
    return sql<string>`coalesce(json_agg(json_build_array(${first}, ${second}))::text, '[]')`;
  },

  like(expression: Expression<unknown>, pattern: string): RawBuilder<SqlBool> {
    return sql<SqlBool>`((${expression}) ${CODE_POINT} like ${pattern} escape '\\')`;
  },

  escapeLike(text: string): string {
    return text.replace(/[\\%_]/g, (c) => `\\${c}`);
  },

  normalizeDateTime(expression: Expression<unknown>): RawBuilder<string | null> {
    return sql<string | null>`(${sql.raw(INSTANT_FUNCTION)}(${expression}) ${CODE_POINT})`;
  },

  lockForUpdate<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
    return query.forUpdate();
  },

  lockSkippingLocked<DB, TB extends keyof DB, O>(query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
    return query.forUpdate().skipLocked();
  },

  isUniqueViolation(error: unknown, index: UniqueIndex): boolean {
    const { code, constraint } = (error ?? {}) as { code?: unknown; constraint?: unknown };
    return code === "23505" && constraint === index.name;
  },

  isContention(error: unknown): boolean {
    // 23503 foreign_key_violation, 40P01 deadlock_detected.
    const code = (error as { code?: unknown } | null)?.code;
    return code === "23503" || code === "40P01";
  },

  isUnavailable(error: unknown): boolean {
    if (error instanceof PostgresConnectError) return true;
    if (!(error instanceof Error)) return false;
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") {
      // Class 08 connection exception, 57P01-03 shutdown/crash, 53300 too many connections.
      if (code.startsWith("08") || /^57P0[1-3]$/.test(code) || code === "53300") return true;
      if (/^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND)$/.test(code)) return true;
    }
    return /Connection terminated|connection error and is not queryable|Client was closed and is not queryable/.test(error.message);
  },

  isStatementTimeout(error: unknown): boolean {
    // 57014 query_canceled: statement_timeout (or pg_cancel_backend) stopped the statement.
    return (error as { code?: unknown } | null)?.code === "57014";
  },

  isTooComplex(error: unknown): boolean {
    // 54001 statement_too_complex (stack depth limit exceeded), 54000 program_limit_exceeded, 54023 too_many_arguments.
    const code = (error as { code?: unknown } | null)?.code;
    return code === "54001" || code === "54000" || code === "54023";
  },

  identityColumn(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder {
    return column.generatedAlwaysAsIdentity().primaryKey();
  },
  identityColumnType: "bigint",
  textType: sql`text collate "C"`,
  doubleType: "double precision",

  // Kysely looks for its migration tables in every schema unless told which one (a second
  // Roster schema in the same database would otherwise see the first one's tables).
  async currentSchema(db: Kysely<Database>): Promise<string | undefined> {
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    return rows[0]?.schema ?? undefined;
  },

  async installFunctions(db: Kysely<any>): Promise<void> {
    const icu = await sql<{ found: number }>`select 1 as found from pg_collation where collname = 'und-x-icu'`.execute(db);
    if (icu.rows.length === 0) {
      throw new Error(`PostgreSQL has no "und-x-icu" collation: Roster needs a server built with ICU (PostgreSQL's packages and images are) to fold case like JavaScript`);
    }
    // values.ts parseDateTime in SQL: the same pattern and range checks, fraction truncated to ms, toISOString() form.
    await sql`
      create or replace function roster_instant(value text) returns text
      language plpgsql immutable strict parallel safe as $fn$
      declare
        m text[];
        zone_minutes integer := 0;
        instant timestamp;
      begin
        m := regexp_match(value, '^(-?\\d{4,})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2})?$', 'i');
        if m is null then return null; end if;
        if m[4]::int > 23 or m[5]::int > 59 or m[6]::int > 59 then return null; end if;
        if m[8] is not null and upper(m[8]) <> 'Z' then
          if substr(m[8], 2, 2)::int > 14 or substr(m[8], 5, 2)::int > 59 then return null; end if;
          zone_minutes := (case when left(m[8], 1) = '-' then -1 else 1 end) * (substr(m[8], 2, 2)::int * 60 + substr(m[8], 5, 2)::int);
        end if;
        begin
          instant := make_timestamp(m[1]::int, m[2]::int, m[3]::int, m[4]::int, m[5]::int,
            m[6]::int + coalesce(trunc(('0' || m[7])::numeric * 1000) / 1000, 0)::double precision);
        exception when others then
          return null;
        end;
        instant := instant - make_interval(mins => zone_minutes);
        return to_char(instant, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
      end
      $fn$`.execute(db);
  },

  async lockTenantEvents(db: Kysely<Database>, tenantId: string): Promise<void> {
    // Taken just before the event insert, the last statement of a writing transaction, and
    // held until commit: a sequence number drawn under it is never overtaken by an earlier
    // one committing later (a feed reader never skips an event).
    await sql`select pg_advisory_xact_lock(hashtext('roster.events'), hashtext(${tenantId}))`.execute(db);
  },

  async read<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    // Each statement takes a pooled connection for itself: no BEGIN/COMMIT round trips.
    return fn(db);
  },

  async transaction<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    // READ COMMITTED; writers that read-modify-write a resource lock its row first (lockForUpdate).
    return db.transaction().execute(fn);
  },

  async snapshot<T>(db: Kysely<Database>, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return db
      .transaction()
      .setIsolationLevel("repeatable read")
      .execute(async (transaction) => {
        await sql`set transaction read only`.execute(transaction);
        return fn(transaction);
      });
  },

  async settle(): Promise<void> {
    // Nothing to wait for here: pg's Pool.end lets a checked-out client finish and ends it when released.
  },

  async dataVersion(db: Kysely<Database>, tenantId: string): Promise<string> {
    // The tenant's directory version (migration 0010): the triggers that advance it run in
    // the writing transaction, so it changes exactly when a write to the tenant's directory
    // commits, and not when the request log or a token's last use does (the current snapshot,
    // which the memo keyed on before, changed with every commit, ADR 0015). Read before the
    // answers it guards.
    const { rows } = await executeDirectoryVersion(db, tenantId);
    return rows[0]?.version ?? "";
  },
};

/** Slots a tenant's directory version is counted in (migration 0010): a backend counts in its pid modulo this. */
export const DIRECTORY_VERSION_SLOTS = 16;

/**
 * The tenant's directory version: the sum of its slots, after the table's file node, which a
 * restore, TRUNCATE or VACUUM FULL changes (the sum could otherwise come back to a value
 * answers were remembered under).
 */
function executeDirectoryVersion(db: Kysely<Database>, tenantId: string) {
  return db.executeQuery(CompiledQuery.raw(DIRECTORY_VERSION_SQL, [tenantId]) as CompiledQuery<{ version: string }>);
}

const DIRECTORY_VERSION_SQL =
  "select pg_relation_filenode('directory_versions')::text || ':' || coalesce(sum(changes), 0)::text as version from directory_versions where tenant_id = $1";

export interface PostgresSettings {
  readonly connectionString: string;
  /** Connections this process may hold (docs/operations.md, pool sizing). */
  readonly poolSize: number;
  /** How long to wait for a free connection or a new one before answering 503. */
  readonly connectTimeoutMs: number;
  /** PostgreSQL's `statement_timeout` for `Store.read`'s statements, in ms; 0 or absent: none. */
  readonly statementTimeoutMs?: number;
}

// int8 (count(*), identity columns) as JS numbers: Roster's counters stay far below 2^53.
const TYPES = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A Kysely dialect over a pg pool of its own, without a statement timeout (tools, tests, the bench's seeding). */
export function createPostgresDialect(settings: PostgresSettings): PostgresDialect {
  return createPostgresDialects({ ...settings, statementTimeoutMs: 0 }).writes;
}

/** The two Kysely dialects over one pg pool: `reads` puts its connections under the statement timeout, `writes` back at the server's default. */
export interface PostgresDialects {
  readonly writes: PostgresDialect;
  /** Undefined when the statement timeout is off (0): reads use `writes`. */
  readonly reads: PostgresDialect | undefined;
}

/**
 * Kysely dialects over one pg pool that survives dropped connections and tells connect
 * failures apart. A connection taken for a read gets `SET statement_timeout` and one taken
 * for anything else `RESET statement_timeout`, each only when the connection's setting is
 * not already the one wanted (a round trip only when a connection changes role): reads of
 * a hostile filter are cancelled, migrations and writes are not (ADR 0024).
 */
export function createPostgresDialects(settings: PostgresSettings): PostgresDialects {
  const pool = new pg.Pool({
    connectionString: settings.connectionString,
    max: settings.poolSize,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    // TCP keepalive notices a peer that vanished without closing the connection (failover, network loss).
    keepAlive: true,
    types: TYPES,
  });
  // A connection that breaks while idle or between statements must not crash the process:
  // the pool drops it, the statement in flight fails (503), the next request reconnects.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  // The statement timeout each connection was last set to; absent: the server's default.
  const timeouts = new WeakMap<pg.PoolClient, number>();
  const checkout = async (timeoutMs: number | undefined): Promise<pg.PoolClient> => {
    const client = await pool.connect().catch((error: unknown) => {
      throw new PostgresConnectError(`cannot connect to PostgreSQL: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    });
    if (timeouts.get(client) === timeoutMs) return client;
    try {
      await client.query(timeoutMs === undefined ? "reset statement_timeout" : `set statement_timeout = ${Math.trunc(timeoutMs)}`);
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    if (timeoutMs === undefined) timeouts.delete(client);
    else timeouts.set(client, timeoutMs);
    return client;
  };
  const timeoutMs = settings.statementTimeoutMs ?? 0;
  const writes: PostgresPool = { connect: () => checkout(undefined), end: () => pool.end() };
  // The pool is ended once, by `writes` (SqlStore.close destroys both).
  const reads: PostgresPool = { connect: () => checkout(timeoutMs), end: async () => undefined };
  return {
    writes: new PostgresDialect({ pool: writes }),
    reads: timeoutMs > 0 ? new PostgresDialect({ pool: reads }) : undefined,
  };
}
