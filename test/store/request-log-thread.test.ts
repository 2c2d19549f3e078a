import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { requestLogPath } from "../../src/store/sql/request-log-file.js";
import { openRequestLogThread } from "../../src/store/sql/request-log-thread.js";
import type { RequestLogEntry, Store } from "../../src/store/store.js";

// On a SQLite file the request log is written from a thread of its own, on a connection of
// its own to the log's file (ADR 0017): neither the directory's writes nor the log's wait for
// each other's locks, and the event loop never holds a flush.

const directory = mkdtempSync(join(tmpdir(), "roster-log-thread-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const at = "2026-01-01T00:00:00.000Z";
let files = 0;

function entry(n: number): RequestLogEntry {
  return { tenantId: "t1", requestId: `r${n}`, at, method: "GET", path: `/scim/v2/acme/Users/${n}`, status: 200, durationMs: 1, scimType: null, errorDetail: null, userAgent: null, requestBody: null };
}

async function withStore(fn: (store: Store, path: string) => Promise<void>, path = join(directory, `db-${++files}`, "roster.db")): Promise<void> {
  const store = await openStore(path, { migrate: true, busyTimeoutMs: 2_000 });
  try {
    await store.transaction((s) => s.createTenant({ id: "t1", slug: "acme", created: at }));
    await fn(store, path);
  } finally {
    await store.close();
  }
}

const logged = async (store: Store): Promise<string[]> => (await store.read((s) => s.listRequestLog("t1", 100))).map((e) => e.requestId).reverse();

describe("the request log's thread (SQLite file)", () => {
  it("commits a batch while a directory write transaction is open", async () => {
    await withStore(async (store) => {
      const sink = store.openRequestLogSink();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let opened!: () => void;
      const open = new Promise<void>((resolve) => (opened = resolve));
      const writing = store.transaction(async (s) => {
        await s.insertResource({ tenantId: "t1", id: "u1", kind: "User", document: { userName: "a" }, created: at, lastModified: at, version: 1 });
        opened();
        await held;
      });
      await open;
      try {
        // With the log's file attached to the write connection, BEGIN IMMEDIATE held its lock
        // too, and this write waited out the busy timeout and failed.
        await sink.write([entry(1)], [], { authenticated: 10, unauthenticated: 10 });
        expect(await logged(store)).toEqual(["r1"]);
      } finally {
        release();
        await writing;
      }
      await sink.close();
    });
  });

  it.each([
    ["after opening", async () => undefined],
    ["after two migrations at once", async (store: Store) => void (await Promise.all([store.migrate(), store.migrate()]))],
  ])("lets a directory write commit while another connection holds the log's write lock, %s", async (_, before) => {
    await withStore(async (store, path) => {
      await before(store);
      const other = new Database(requestLogPath(path));
      try {
        other.exec("begin immediate");
        await store.transaction((s) => s.insertResource({ tenantId: "t1", id: "u1", kind: "User", document: { userName: "a" }, created: at, lastModified: at, version: 1 }));
        other.exec("commit");
      } finally {
        other.close();
      }
      expect(await store.read((s) => s.findResource("t1", "User", "u1"))).toMatchObject({ id: "u1" });
    });
  });

  it("carries on without its thread when the thread fails, in order and losing nothing", async () => {
    await withStore(async (store, path) => {
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(warning.message);
      process.on("warning", onWarning);
      try {
        const sink = openRequestLogThread(requestLogPath(path), {
          busyTimeoutMs: 1_000,
          startThread: () => new Worker("throw new Error('no thread here')", { eval: true }),
        });
        await Promise.all([sink.write([entry(1)], [], { authenticated: 10, unauthenticated: 10 }), sink.write([entry(2), entry(3)], [], { authenticated: 10, unauthenticated: 10 })]);
        await sink.write([entry(4)], ["t1"], { authenticated: 3, unauthenticated: 3 });
        await sink.close();
        expect(await logged(store)).toEqual(["r2", "r3", "r4"]);
        await new Promise((resolve) => setImmediate(resolve));
        // One warning for the thread, though it both failed and exited.
        expect(warnings.filter((warning) => warning.includes("request log"))).toEqual([
          "roster: the request log thread failed: no thread here; the request log is written on the event loop from now on",
        ]);
      } finally {
        process.off("warning", onWarning);
      }
    });
  });

  it("answers a write whose batch failed with the database's error, and writes the next", async () => {
    await withStore(async (store) => {
      const sink = store.openRequestLogSink();
      const broken = { ...entry(1), method: null } as unknown as RequestLogEntry;
      await expect(sink.write([broken], [], { authenticated: 10, unauthenticated: 10 })).rejects.toThrow(/NOT NULL constraint failed: request_log.method/);
      await sink.write([entry(2)], [], { authenticated: 10, unauthenticated: 10 });
      await sink.close();
      expect(await logged(store)).toEqual(["r2"]);
    });
  });

  it("keeps a process alive until its writes are committed, and not after", async () => {
    const path = join(directory, "process", "roster.db");
    await withStore(async () => undefined, path);
    // The child writes without awaiting and never closes the sink or the store. A child the
    // thread kept alive would be killed at the timeout, and the call reject.
    const child = join(import.meta.dirname, "request-log-thread-writer.ts");
    await promisify(execFile)(process.execPath, ["--import", "tsx", child, path], { timeout: 20_000 });
    const store = await openStore(path);
    try {
      expect(await logged(store)).toEqual(["child1", "child2"]);
    } finally {
      await store.close();
    }
  });
});

describe("the request log of an in-memory SQLite database", () => {
  it("is written in the store's own transactions", async () => {
    const store = await openStore(":memory:", { migrate: true });
    try {
      await store.transaction((s) => s.createTenant({ id: "t1", slug: "acme", created: at }));
      const sink = store.openRequestLogSink();
      await sink.write([entry(1), entry(2), entry(3)], ["t1"], { authenticated: 2, unauthenticated: 2 });
      await sink.close();
      expect(await logged(store)).toEqual(["r2", "r3"]);
    } finally {
      await store.close();
    }
  });
});
