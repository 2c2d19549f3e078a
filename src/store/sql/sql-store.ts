import { type Kysely, Migrator, sql } from "kysely";
import { type ReadSession, type Store, type StoreSession, StoreUnavailableError } from "../store.js";
import type { SqlDialect } from "./dialect.js";
import { migrationProvider } from "./migrations/index.js";
import type { Database } from "./schema.js";
import { ListMemo } from "./query-resources.js";
import { SqlSession } from "./sql-session.js";
import type { ChangeVersion } from "./wal-index.js";

/** The one Store implementation: Kysely over whichever dialect `openStore` chose. */
export class SqlStore implements Store {
  readonly dialect: "sqlite" | "postgres";
  private readonly memo: ListMemo | undefined;

  /**
   * @param readDb where `read` runs when it is not `db`: a SQLite file's second, read-only
   *   connection, so reads neither wait for nor see a write transaction in progress.
   * @param openSnapshotDb opens a connection for one `snapshot` (closed after it): a SQLite
   *   file's; without it a snapshot runs on `readDb` (PostgreSQL's pool, or SQLite's `:memory:`).
   * @param changes `changeVersion`: a SQLite file's WAL-index header (wal-index.ts), closed with the store.
   */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly sqlDialect: SqlDialect,
    private readonly readDb: Kysely<Database> = db,
    private readonly openSnapshotDb?: () => Kysely<Database>,
    private readonly changes?: ChangeVersion,
  ) {
    this.dialect = sqlDialect.name;
    // SQLite's data version tells other connections' commits only, so a file's read
    // connection (which never writes) can use it, and a single `:memory:` connection cannot.
    this.memo = sqlDialect.name === "postgres" || readDb !== db ? new ListMemo(sqlDialect) : undefined;
  }

  async migrate(): Promise<void> {
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
    return this.changes?.read();
  }

  async close(): Promise<void> {
    await this.sqlDialect.settle(this.db);
    this.changes?.close();
    if (this.readDb !== this.db) await this.readDb.destroy();
    await this.db.destroy();
  }

  transaction<T>(fn: (session: StoreSession) => Promise<T>): Promise<T> {
    return this.unavailableAsStoreError(() => this.sqlDialect.transaction(this.db, (db) => fn(new SqlSession(db, this.sqlDialect))));
  }

  read<T>(fn: (session: ReadSession) => Promise<T>): Promise<T> {
    return this.unavailableAsStoreError(() => this.sqlDialect.read(this.readDb, (db) => fn(new SqlSession(db, this.sqlDialect, this.memo))));
  }

  snapshot<T>(fn: (session: ReadSession) => Promise<T>, options: { readonly long?: boolean } = {}): Promise<T> {
    return this.unavailableAsStoreError(async () => {
      const db = (options.long === true ? this.openSnapshotDb?.() : undefined) ?? this.readDb;
      try {
        return await this.sqlDialect.snapshot(db, (connection) => fn(new SqlSession(connection, this.sqlDialect)));
      } finally {
        if (db !== this.readDb) await db.destroy();
      }
    });
  }

  private async unavailableAsStoreError<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (this.sqlDialect.isUnavailable(error)) {
        throw new StoreUnavailableError(`database unavailable: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      throw error;
    }
  }
}
