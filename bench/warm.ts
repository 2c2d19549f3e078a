import { existsSync } from "node:fs";
import { open } from "node:fs/promises";
import pg from "pg";
import type { ContenderSpec } from "./contenders.js";

// Every contender's database is read into the OS page cache right before each measured run.
// The kernel of the machine the bench was written on pages out file pages that nobody has
// touched for about a minute (DAMON's `pageout` scheme, with 19 GB of memory free), and in a
// full run a contender waits longer than that between two of its runs. Without this a run
// started with part of its file on disk, by an amount that grew with the file and with the
// time since that contender last ran: a comparison of page caches, not of servers
// (docs/benchmarks.md, "Warm data").

const CHUNK_BYTES = 16 * 2 ** 20;

/** Reads a SQLite database file and its WAL through once, sequentially. Returns the bytes read. */
export async function warmSqliteFile(path: string): Promise<number> {
  let total = 0;
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  for (const file of [path, `${path}-wal`]) {
    if (!existsSync(file)) continue;
    const handle = await open(file, "r");
    try {
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, null);
        if (bytesRead === 0) break;
        total += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }
  return total;
}

// Tables and indexes of the public schema, with their TOAST tables and TOAST indexes.
const RELATIONS = `
  select c.oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.relkind in ('r', 'i')
  union
  select c.reltoastrelid from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = 'public' and c.reltoastrelid <> 0
  union
  select i.indexrelid from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_index i on i.indrelid = c.reltoastrelid
   where n.nspname = 'public'`;

/**
 * Reads every table and index of a PostgreSQL database into the OS page cache with
 * `pg_prewarm(…, 'read')` (contrib, installed with PostgreSQL's server packages); the
 * extension is created in the bench database if it is missing. Returns the blocks read.
 */
export async function warmPostgres(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("create extension if not exists pg_prewarm");
    const result = await client.query<{ blocks: string }>(`select coalesce(sum(pg_prewarm(oid::regclass, 'read')), 0) as blocks from (${RELATIONS}) r`);
    return Number(result.rows[0]?.blocks ?? 0);
  } finally {
    await client.end();
  }
}

/** Reads the contender's database (a SQLite file or a PostgreSQL database) into the page cache; nothing for in-memory peers. */
export async function warmDatabase(spec: ContenderSpec, database: string): Promise<void> {
  switch (spec.database) {
    case "ceiling-sqlite":
    case "roster-sqlite":
    case "polis-sqlite":
      await warmSqliteFile(database);
      return;
    case "roster-pg":
      await warmPostgres(database);
      return;
    case "none":
      return;
  }
}
