import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openStore, sqlitePath } from "../../src/store/open-store.js";
import { describeStoreConformance } from "./conformance.js";
import { describeManagedConformance } from "./conformance-managed.js";
import { describeProfileConformance } from "./conformance-profiles.js";
import { describeEventConformance } from "./conformance-events.js";
import { describeWebhookConformance } from "./conformance-webhooks.js";
import { describeTenantConformance } from "./conformance-tenants.js";

const directory = mkdtempSync(join(tmpdir(), "roster-store-"));
let n = 0;
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describeStoreConformance("SQLite (temp file)", () => openStore(join(directory, `db-${++n}`, "roster.db")));
describeManagedConformance("SQLite (temp file)", () => openStore(join(directory, `db-${++n}`, "roster.db")));
describeProfileConformance("SQLite (temp file)", () => openStore(join(directory, `db-${++n}`, "roster.db")));
describeEventConformance("SQLite (temp file)", () => openStore(join(directory, `db-${++n}`, "roster.db")));
describeWebhookConformance("SQLite (temp file)", () => openStore(join(directory, `db-${++n}`, "roster.db")));
describeTenantConformance("SQLite (temp file)", () => openStore(join(directory, `db-${++n}`, "roster.db")));

describe("openStore (SQLite)", () => {
  it.each([
    ["/var/lib/roster/roster.db", "/var/lib/roster/roster.db"],
    ["file:/var/lib/roster/roster.db", "/var/lib/roster/roster.db"],
    ["file:///var/lib/roster/roster.db", "/var/lib/roster/roster.db"],
    ["data/roster.db", "data/roster.db"],
    [":memory:", ":memory:"],
    ["postgres://localhost/roster", undefined],
  ])("reads %s as the SQLite file %s", (url, path) => {
    expect(sqlitePath(url)).toBe(path);
  });

  it("lets exactly one of two processes create the same userName, both migrating at once", async () => {
    const file = join(directory, "processes", "roster.db");
    const writer = join(import.meta.dirname, "sqlite-writer.ts");
    const run = (id: string, userName: string) =>
      promisify(execFile)(process.execPath, ["--import", "tsx", writer, file, id, userName]).then((r) => r.stdout);
    const outcomes = await Promise.all([run("u-1", "dana"), run("u-2", "DANA")]);
    expect(outcomes.sort()).toEqual(["StoreConflictError", "won"]);
  }, 30_000);

  it("opens a file another process is writing in rollback mode, waiting for its lock instead of failing at once", async () => {
    // Turning a file's journal to WAL needs an exclusive lock, which SQLite does not wait for
    // while another connection holds the write lock: a process opening a new file while another
    // set it up (two processes starting at once) failed with SQLITE_BUSY.
    const file = join(directory, "wal-race", "roster.db");
    mkdirSync(dirname(file), { recursive: true });
    const sqlite = createRequire(import.meta.url).resolve("better-sqlite3");
    const holder = spawn(process.execPath, [
      "-e",
      `const db = new (require(${JSON.stringify(sqlite)}))(${JSON.stringify(file)});
       db.exec("create table app (a)"); db.exec("begin immediate"); db.exec("insert into app values (1)");
       process.stdout.write("locked\\n");
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 400);
       db.exec("commit"); db.close();`,
    ]);
    const exited = new Promise<number | null>((resolve) => holder.on("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on("data", (chunk: Buffer) => (chunk.toString().includes("locked") ? resolve() : undefined));
      holder.on("exit", () => reject(new Error("the lock holder exited before taking its lock")));
    });
    const store = await openStore(file, { migrate: true });
    try {
      await store.transaction((s) => s.createTenant({ id: "t1", slug: "acme", created: "2026-01-01T00:00:00.000Z" }));
      expect((await store.read((s) => s.listTenants())).map((t) => t.slug)).toEqual(["acme"]);
    } finally {
      await store.close();
    }
    expect(await exited).toBe(0);
    const check = new Database(file, { readonly: true });
    try {
      expect(check.pragma("journal_mode", { simple: true })).toBe("wal");
    } finally {
      check.close();
    }
  });

  it("reads (Store.read) while another connection holds the write lock, from the last commit", async () => {
    // A transaction here would wait on BEGIN IMMEDIATE (better-sqlite3 waits synchronously,
    // up to the busy timeout) and then fail with SQLITE_BUSY.
    const file = join(directory, "read-lock", "roster.db");
    const writer = await openStore(file, { migrate: true });
    const reader = await openStore(file);
    try {
      await writer.transaction((s) => s.createTenant({ id: "t1", slug: "acme", created: "2026-01-01T00:00:00.000Z" }));
      // Connections open (and set their pragmas) on first use, as a server's do at start.
      await reader.read((s) => s.listTenants());
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const holding = writer.transaction(async (s) => {
        await s.createTenant({ id: "t2", slug: "globex", created: "2026-01-01T00:00:00.000Z" });
        locked();
        await held;
      });
      await isLocked;
      expect((await reader.read((s) => s.listTenants())).map((t) => t.slug)).toEqual(["acme"]);
      release();
      await holding;
      expect((await reader.read((s) => s.listTenants())).map((t) => t.slug)).toEqual(["acme", "globex"]);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it("opens an in-memory database", async () => {
    const store = await openStore(":memory:", { migrate: true });
    await store.ping();
    await store.close();
  });
});
