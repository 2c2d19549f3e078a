import { type Kysely, Migrator, sql } from "kysely";
import { type ReadSession, type RequestLogEntry, type RequestLogSink, type Store, type StoreSession, StoreContentionError, StoreTimeoutError, StoreUnavailableError } from "../store.js";
import type { SqlDialect } from "./dialect.js";
import { migrationProvider } from "./migrations/index.js";
import type { Database } from "./schema.js";
import { ListMemo } from "./query-resources.js";
import { SqlSession } from "./sql-session.js";
import type { ChangeVersion } from "./wal-index.js";
import { SharedReader } from "./direct-sqlite.js";

/** What a SQLite file's store has beyond its write connection (`openStore`). */
export interface SqliteFileParts {
  /** Where `read` runs: a second, read-only connection, so reads neither wait for nor see a write transaction in progress. */
  readonly readDb: Kysely<Database>;
  /** Opens a connection for one `snapshot` (closed after it). */
  readonly openSnapshotDb: () => Kysely<Database>;
  /** `changeVersion`: the WAL-index header (wal-index.ts), closed with the store. */
  readonly changes: ChangeVersion;
  /** `openRequestLogSink`: the request-log thread (request-log-thread.ts). */
  readonly openRequestLogSink: () => RequestLogSink;
  /** Attach and detach the log's file on the write connection, which holds it only while migrating (ADR 0017). */
  readonly attachRequestLog: () => void;
  readonly detachRequestLog: () => void;
  /** Deletes a tenant's entries from the log's file, on a connection of its own (Store.purgeRequestLog). */
  readonly purgeRequestLog: (tenantId: string) => void;
}

/** The one Store implementation: Kysely over whichever dialect `openStore` chose. */
export class SqlStore implements Store {
  readonly dialect: "sqlite" | "postgres";
  private readonly memo: ListMemo | undefined;

  private readonly readDb: Kysely<Database>;
  /** A SQLite file's read connection, shared by concurrent reads (direct-sqlite.ts). */
  private readonly reader: SharedReader | undefined;
  /** migrate() calls under way (a SQLite file's write connection has the log attached while any is). */
  private migrating = 0;

  /** PostgreSQL's statement timeout of `read`, in ms (none on SQLite). */
  private readonly statementTimeoutMs: number | undefined;

  /**
   * @param file what a SQLite file has beyond its write connection (`openStore`); none for PostgreSQL and `:memory:`.
   * @param timedReads PostgreSQL: where `read` runs, connections of the same pool under a statement timeout (ADR 0024).
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlDialect: SqlDialect,
    private readonly file?: SqliteFileParts,
    timedReads?: { readonly db: Kysely<Database>; readonly timeoutMs: number },
  ) {
    this.dialect = sqlDialect.name;
    this.readDb = file?.readDb ?? timedReads?.db ?? db;
    this.statementTimeoutMs = timedReads?.timeoutMs;
    this.reader = file === undefined ? undefined : new SharedReader(file.readDb);
    // SQLite's data version tells other connections' commits only, so a file's read
    // connection (which never writes) can use it, and a single `:memory:` connection cannot.
    this.memo = sqlDialect.name === "postgres" || file !== undefined ? new ListMemo(sqlDialect) : undefined;
  }

  async migrate(): Promise<void> {
    const file = this.file;
    if (file === undefined) return this.runMigrations();
    // Migration 0009 moves old entries into the log's file: attached only while migrations
    // may run (once for calls that overlap), between transactions of the write connection.
    if (this.migrating++ === 0) await this.db.connection().execute(async () => file.attachRequestLog());
    try {
      await this.runMigrations();
    } finally {
      if (--this.migrating === 0) await this.db.connection().execute(async () => file.detachRequestLog());
    }
  }

  private async runMigrations(): Promise<void> {
    const schema = await this.sqlDialect.currentSchema(this.db);
    const migrator = new Migrator({
      db: this.db,
      provider: migrationProvider(this.sqlDialect),
      ...(schema === undefined ? {} : { migrationTableSchema: schema }),
    });
    const { error, results } = await migrator.migrateToLatest();
    if (error !== undefined) {
      const failed = results?.find((result) => result.status === "Error")?.migrationName ?? "unknown";
      throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  async ping(): Promise<void> {
    try {
      await sql`select 1`.execute(this.db);
    } catch (error) {
      throw new StoreUnavailableError(`database did not answer: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  changeVersion(): string | undefined {
    return this.file?.changes.read();
  }

  openRequestLogSink(): RequestLogSink {
    if (this.file !== undefined) return this.file.openRequestLogSink();
    let closed = false;
    let last: Promise<unknown> = Promise.resolve();
    return {
      write: (entries, prune, keep) => {
        if (closed) return Promise.reject(new Error("the request log sink is closed"));
        // One after the other, so that they commit in the order they were made.
        const append = (batch: readonly RequestLogEntry[], tenants: readonly string[]) =>
          this.sqlDialect.transaction(this.db, async (db) => {
            const session = new SqlSession(db, this.sqlDialect);
            await session.appendRequestLog(batch);
            for (const tenantId of tenants) await session.pruneRequestLog(tenantId, keep);
          });
        // An entry of a tenant deleted since it was answered fails the batch's foreign key: the
        // batch is written again without the entries of tenants that no longer exist.
        const done = last.then(() =>
          append(entries, prune).catch(async (error: unknown) => {
            if (!this.sqlDialect.isContention(error)) throw error;
            const ids = [...new Set(entries.map((entry) => entry.tenantId))];
            const existing = new Set((await this.db.selectFrom("tenants").select("id").where("id", "in", ids).execute()).map((row) => row.id));
            await append(
              entries.filter((entry) => existing.has(entry.tenantId)),
              prune.filter((tenantId) => existing.has(tenantId)),
            );
          }),
        );
        last = done.catch(() => undefined);
        return done;
      },
      close: async () => {
        closed = true;
        await last;
      },
    };
  }

  async purgeRequestLog(tenantId: string): Promise<void> {
    // PostgreSQL's log went with the tenant's row (its foreign key); a `:memory:` database has
    // the log attached on its only connection.
    if (this.file !== undefined) return this.file.purgeRequestLog(tenantId);
    const schema = this.sqlDialect.requestLogSchema;
    if (schema === undefined) return;
    await this.transaction(async () => {
      await sql`delete from ${sql.table(`${schema}.request_log`)} where tenant_id = ${tenantId}`.execute(this.db);
      await sql`delete from ${sql.table(`${schema}.request_log_dropped`)} where tenant_id = ${tenantId}`.execute(this.db);
    });
  }

  async close(): Promise<void> {
    await this.sqlDialect.settle(this.db);
    this.file?.changes.close();
    if (this.readDb !== this.db) await this.readDb.destroy();
    await this.db.destroy();
  }

  transaction<T>(fn: (session: StoreSession) => Promise<T>): Promise<T> {
    return this.unavailableAsStoreError(() => this.sqlDialect.transaction(this.db, (db) => fn(new SqlSession(db, this.sqlDialect))));
  }

  read<T>(fn: (session: ReadSession) => Promise<T>): Promise<T> {
    const reader = this.reader;
    const session = (db: Kysely<Database>) => fn(new SqlSession(db, this.sqlDialect, this.memo));
    return this.unavailableAsStoreError(() => (reader === undefined ? this.sqlDialect.read(this.readDb, session) : reader.shared(session)));
  }

  snapshot<T>(fn: (session: ReadSession) => Promise<T>, options: { readonly long?: boolean } = {}): Promise<T> {
    return this.unavailableAsStoreError(async () => {
      // PostgreSQL's snapshots (a large group streamed) run without the statement timeout of `read`.
      const own = options.long === true ? this.file?.openSnapshotDb() : undefined;
      const db = own ?? (this.file === undefined ? this.db : this.readDb);
      try {
        const run = () => this.sqlDialect.snapshot(db, (connection) => fn(new SqlSession(connection, this.sqlDialect)));
        // On the shared read connection a snapshot runs alone (SharedReader).
        return await (db === this.readDb && this.reader !== undefined ? this.reader.exclusive(run) : run());
      } finally {
        if (own !== undefined) await own.destroy();
      }
    });
  }

  private async unavailableAsStoreError<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (this.sqlDialect.isStatementTimeout(error)) throw new StoreTimeoutError(this.statementTimeoutMs, { cause: error });
      if (this.sqlDialect.isContention(error)) {
        throw new StoreContentionError(`the write raced a concurrent change (its tenant deleted?): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      if (this.sqlDialect.isUnavailable(error)) {
        throw new StoreUnavailableError(`database unavailable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      throw error;
    }
  }
}
