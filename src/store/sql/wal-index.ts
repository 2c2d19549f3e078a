import { closeSync, openSync, readSync } from "node:fs";
import type BetterSqlite3 from "better-sqlite3";

/** A value that changes whenever anything is committed to the database (Store.changeVersion). */
export interface ChangeVersion {
  /** Undefined when it cannot be told now (the read connection is inside a snapshot's transaction). */
  read(): string | undefined;
  close(): void;
}

/** The WAL-index header: two copies of these 48 bytes open the `-shm` file (sqlite.org/walformat.html, §2.2). */
const HEADER_BYTES = 48;
/** `iVersion`, the header's first field (native byte order): the only WAL-index version there is. */
const WAL_INDEX_VERSION = 3007000;
/** `isInit`: 1 once a connection has built the index. */
const IS_INIT_OFFSET = 12;

/**
 * The change version of a SQLite database in WAL mode, read from its WAL-index header in the
 * `-shm` file: every commit, by any connection of any process, rewrites that header (the
 * transaction counter `iChange`, `mxFrame`, the checksums), and so does a reset of the WAL.
 * It is what SQLite itself compares to tell that another connection committed, and what
 * `PRAGMA data_version` reports; the pragma, though, begins and ends a read transaction on the
 * connection, two fcntl lock calls on the `-shm` file besides running a statement, where this
 * is one pread of 96 bytes (docs/benchmarks.md). The token memo asks on every request.
 *
 * The version is a counter of the distinct headers this process has seen, so it never repeats.
 * A header read while a commit rewrites it (the two copies differ, or a field is half written)
 * only counts as one more change. Where the file holds no valid header (never the case for a
 * database a read-write connection of this process has open in WAL mode), the answer is the
 * pragma on `reader`, in a namespace of its own.
 */
export function walChangeVersion(path: string, reader: BetterSqlite3.Database): ChangeVersion {
  const pragma = reader.prepare("pragma data_version").pluck();
  const fromPragma = (): string | undefined => {
    try {
      return `d${String(pragma.get())}`;
    } catch {
      return undefined;
    }
  };
  let fd: number | undefined;
  try {
    fd = openSync(`${path}-shm`, "r");
  } catch {
    fd = undefined;
  }
  const scratch = Buffer.alloc(HEADER_BYTES * 2);
  const seen = Buffer.alloc(HEADER_BYTES * 2);
  let changes = 0;
  return {
    read() {
      if (reader.inTransaction || !reader.open) return undefined;
      if (fd === undefined) return fromPragma();
      let read: number;
      try {
        read = readSync(fd, scratch, 0, scratch.length, 0);
      } catch {
        return fromPragma();
      }
      if (read < scratch.length || !initialised(scratch)) return fromPragma();
      if (!scratch.equals(seen)) {
        scratch.copy(seen);
        changes++;
      }
      return `w${changes}`;
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

function initialised(header: Buffer): boolean {
  const version = header.readUInt32LE(0) === WAL_INDEX_VERSION || header.readUInt32BE(0) === WAL_INDEX_VERSION;
  return version && header[IS_INIT_OFFSET] === 1;
}
