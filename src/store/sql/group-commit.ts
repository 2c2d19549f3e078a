import { type Kysely, sql } from "kysely";
import { whileHeld } from "./direct-sqlite.js";
import type { Database } from "./schema.js";

/**
 * Group commit for SQLite (docs/decisions/0011-sqlite-group-commit.md).
 *
 * With `synchronous = FULL` every COMMIT waits for an fsync of the WAL, and better-sqlite3
 * waits for it on the event loop: one write transaction per request made that wait the
 * price of every write. Here the transactions that arrive while one is open join it,
 * each inside a SAVEPOINT of its own, and one COMMIT makes the whole group durable.
 *
 * - A transaction's promise settles only after the COMMIT that made it durable has
 *   returned: nobody is told "written" before it is.
 * - A transaction that throws is rolled back to its savepoint and rejected at once; the
 *   others in the group are untouched.
 * - When SQLite ends the whole transaction itself (an I/O error, a full disk), or the
 *   COMMIT fails, every member not yet settled is rejected with that error: all or
 *   nothing, never half.
 * - A group stays open while members keep arriving: after the queue runs dry it waits one
 *   turn of the event loop (`setImmediate`, after the poll phase has handed over the
 *   requests that were ready) and commits when that turn brought nothing. It is capped
 *   by MAX_MEMBERS and MAX_OPEN_MS so the first member is never kept waiting for long.
 *
 * Reads do not go through here: on a file database they have a connection of their own
 * (open-store.ts), which sees only committed data.
 */

const MAX_MEMBERS = 64;
const MAX_OPEN_MS = 20;

interface Member {
  readonly run: (db: Kysely<Database>) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface Done {
  readonly member: Member;
  readonly value: unknown;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class CommitGroup {
  private readonly queue: Member[] = [];
  /** Settles when the queue has run dry and the last group has committed; undefined while idle. */
  private draining: Promise<void> | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  /** Runs `run` in a write transaction shared with whoever else is writing now. */
  transaction<T>(run: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
      if (this.draining === undefined) this.draining = this.drain();
    });
  }

  /** Waits until every transaction submitted so far has committed or failed (before the connection is closed). */
  async settled(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        try {
          await this.db.connection().execute((connection) => whileHeld(connection, this.db, (held) => this.group(held)));
        } catch (error) {
          // No connection (the store is closing): nobody queued can be served.
          for (const member of this.queue.splice(0)) member.reject(error);
        }
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async group(connection: Kysely<Database>): Promise<void> {
    try {
      await sql`begin immediate`.execute(connection);
    } catch (error) {
      // The write lock was not had within busy_timeout (another process holds it): every
      // member waiting now would wait for the same lock.
      for (const member of this.queue.splice(0)) member.reject(error);
      return;
    }
    const done: Done[] = [];
    const opened = performance.now();
    let members = 0;
    while (members < MAX_MEMBERS && performance.now() - opened < MAX_OPEN_MS) {
      let member = this.queue.shift();
      if (member === undefined) {
        await nextTurn();
        member = this.queue.shift();
        if (member === undefined) break;
      }
      members++;
      const ended = await this.runMember(connection, member, done);
      if (ended !== undefined) {
        for (const { member: other } of done) other.reject(ended);
        await sql`rollback`.execute(connection).catch(() => undefined);
        return;
      }
    }
    try {
      await sql`commit`.execute(connection);
    } catch (error) {
      for (const { member } of done) member.reject(error);
      await sql`rollback`.execute(connection).catch(() => undefined);
      return;
    }
    for (const { member, value } of done) member.resolve(value);
  }

  /**
   * Runs one member inside its savepoint. Returns the error that ended the whole
   * transaction when SQLite rolled it back itself, else undefined (the member is then in
   * `done`, or rejected and rolled back to its savepoint).
   */
  private async runMember(connection: Kysely<Database>, member: Member, done: Done[]): Promise<unknown> {
    try {
      await sql`savepoint roster_member`.execute(connection);
    } catch (error) {
      member.reject(error);
      return error;
    }
    try {
      const value = await member.run(connection);
      await sql`release roster_member`.execute(connection);
      done.push({ member, value });
      return undefined;
    } catch (error) {
      member.reject(error);
      try {
        await sql`rollback to roster_member`.execute(connection);
        await sql`release roster_member`.execute(connection);
        return undefined;
      } catch {
        // No savepoint to return to: SQLite ended the transaction (I/O error, full disk).
        return error;
      }
    }
  }
}
