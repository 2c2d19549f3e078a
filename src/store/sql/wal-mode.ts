import type BetterSqlite3 from "better-sqlite3";

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

/**
 * Sets `schema` of `connection` to WAL mode. If another connection holds a lock, it waits up
 * to the connection's busy timeout. SQLite takes the exclusive lock this change needs without
 * calling the busy handler. So of two processes opening a new file at once (a server starting
 * while a `roster` command runs), one failed at once with SQLITE_BUSY: 18 of 40 such pairs on
 * the bench machine. It blocks the thread while it waits, as better-sqlite3 does on a busy
 * lock, and only while a connection opens.
 */
export function enableWal(connection: BetterSqlite3.Database, schema = "main"): void {
  const deadline = Date.now() + Number(connection.pragma("busy_timeout", { simple: true }));
  for (;;) {
    try {
      connection.pragma(`${schema}.journal_mode = WAL`);
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      Atomics.wait(PAUSE, 0, 0, 5);
    }
  }
}
