import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { walChangeVersion } from "../../src/store/sql/wal-index.js";

// The SQLite change version behind the token memo (Store.changeVersion) is read from the
// WAL-index header in the -shm file: one pread instead of a read transaction. It must change
// on every commit by any connection of any process, and stay while nothing is committed.

const directory = mkdtempSync(join(tmpdir(), "roster-wal-index-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let n = 0;

function database(journal: "wal" | "delete" = "wal"): { path: string; writer: Database.Database; reader: Database.Database } {
  const path = join(directory, `db-${++n}.db`);
  const writer = new Database(path);
  writer.pragma(`journal_mode = ${journal}`);
  writer.exec("create table t (x integer)");
  const reader = new Database(path, { readonly: true });
  return { path, writer, reader };
}

describe("walChangeVersion", () => {
  it("stays while nothing is committed and changes with each commit of this process's writer", () => {
    const { path, writer, reader } = database();
    const version = walChangeVersion(path, reader);
    try {
      const first = version.read();
      expect(first).toMatch(/^w\d+$/);
      reader.prepare("select count(*) from t").get();
      expect(version.read()).toBe(first);
      const seen = new Set([first]);
      for (let i = 0; i < 5; i++) {
        writer.prepare("insert into t values (?)").run(i);
        const next = version.read();
        expect(seen.has(next), `commit ${i}`).toBe(false);
        seen.add(next);
        expect(version.read()).toBe(next);
      }
    } finally {
      version.close();
      reader.close();
      writer.close();
    }
  });

  it("changes when another process commits, and when the WAL is checkpointed and restarted", () => {
    const { path, writer, reader } = database();
    const version = walChangeVersion(path, reader);
    try {
      const before = version.read();
      const script = `const D = require("better-sqlite3"); const d = new D(${JSON.stringify(path)}); d.prepare("insert into t values (1)").run(); d.close();`;
      execFileSync(process.execPath, ["-e", script], { cwd: process.cwd() });
      const afterOther = version.read();
      expect(afterOther).not.toBe(before);
      writer.pragma("wal_checkpoint(TRUNCATE)");
      writer.prepare("insert into t values (2)").run();
      const afterRestart = version.read();
      expect(afterRestart).not.toBe(afterOther);
      expect(reader.prepare("select count(*) as n from t").get()).toEqual({ n: 2 });
    } finally {
      version.close();
      reader.close();
      writer.close();
    }
  });

  it("cannot tell while the read connection is inside a transaction", () => {
    const { path, writer, reader } = database();
    const version = walChangeVersion(path, reader);
    try {
      reader.exec("begin");
      reader.prepare("select count(*) from t").get();
      expect(version.read()).toBeUndefined();
      reader.exec("commit");
      expect(version.read()).toEqual(expect.any(String));
    } finally {
      version.close();
      reader.close();
      writer.close();
    }
  });

  it("falls back to PRAGMA data_version where there is no WAL index", () => {
    const { path, writer, reader } = database("delete");
    const version = walChangeVersion(path, reader);
    try {
      const before = version.read();
      expect(before).toMatch(/^d\d+$/);
      expect(version.read()).toBe(before);
      writer.prepare("insert into t values (1)").run();
      expect(version.read()).not.toBe(before);
    } finally {
      version.close();
      reader.close();
      writer.close();
    }
  });
});
