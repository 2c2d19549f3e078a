import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { warmPostgres, warmSqliteFile } from "../../bench/warm.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";

// The bench reads each contender's database into the page cache before a measured run
// (bench/warm.ts). These check that it reads all of it: every byte of a SQLite file and its
// WAL, every block of a PostgreSQL database's tables, indexes and TOAST.

describe("bench warm-up", () => {
  const dir = mkdtempSync(join(tmpdir(), "roster-warm-"));
  let database: TestDatabase | undefined;

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await database?.drop();
  });

  it("reads a SQLite file and its write-ahead log through", async () => {
    const path = join(dir, "warm.db");
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma("wal_autocheckpoint = 0");
    db.exec("create table t (id integer primary key, text text not null)");
    const insert = db.prepare("insert into t (text) values (?)");
    for (let i = 0; i < 2_000; i++) insert.run(`row ${i} ${"x".repeat(200)}`);
    try {
      const expected = statSync(path).size + statSync(`${path}-wal`).size;
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
      expect(await warmSqliteFile(path)).toBe(expected);
    } finally {
      db.close();
    }
  });

  it("reads every table, index and TOAST relation of a PostgreSQL database", async () => {
    if (!(await postgresAvailable())) return;
    database = await createTestDatabase("warm");
    await database.query("create table t (id serial primary key, big text not null)");
    // Uncompressed values above TOAST's threshold (about 2 kB) go to the table's TOAST relation.
    await database.query("alter table t alter column big set storage external");
    await database.query("insert into t (big) select repeat(md5(i::text), 200) from generate_series(1, 300) i");
    const sizes = await database.query(
      `select (pg_relation_size('t') + pg_relation_size('t_pkey') + pg_relation_size(reltoastrelid)
               + (select pg_relation_size(indexrelid) from pg_index where indrelid = c.reltoastrelid)) / current_setting('block_size')::int as blocks,
              pg_relation_size(reltoastrelid) as toast
         from pg_class c where relname = 't'`,
    );
    const row = sizes.rows[0] as { blocks: string; toast: string };
    expect(Number(row.toast)).toBeGreaterThan(0);
    expect(await warmPostgres(database.url)).toBe(Number(row.blocks));
  });
});
