import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { SQLITE_DIALECT } from "../../src/store/sql/dialect-sqlite.js";
import { migrationProvider } from "../../src/store/sql/migrations/index.js";
import { requestLogPath } from "../../src/store/sql/request-log-file.js";
import type { RequestLogEntry, Store } from "../../src/store/store.js";
import { appendLog } from "../helpers/request-log.js";

// SQLite keeps the request log in a file of its own (ADR 0014), so that its flushes, several
// a second under load, never change the database's data version: that version is what
// readers' page caches, the token memo and the list memo are valid under.

const directory = mkdtempSync(join(tmpdir(), "roster-request-log-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const at = "2026-01-01T00:00:00.000Z";

function entry(n: number): RequestLogEntry {
  return { tenantId: "t1", requestId: `r${n}`, at, method: "GET", path: `/scim/v2/acme/Users?n=${n}`, status: 200, durationMs: 1.5, scimType: null, errorDetail: null, userAgent: "Okta SCIM Client", requestBody: null };
}

async function withStore<T>(path: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(path, { migrate: true });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe("the request log's own file (SQLite)", () => {
  it("names the file beside the database", () => {
    expect(requestLogPath("data/roster.db")).toBe("data/roster.requests.db");
    expect(requestLogPath("/var/lib/roster/directory.sqlite3")).toBe("/var/lib/roster/directory.requests.db");
    expect(requestLogPath("roster")).toBe("roster.requests.db");
    expect(requestLogPath(":memory:")).toBe(":memory:");
  });

  it("writes the log without changing the database's data version; a resource write changes it", async () => {
    const path = join(directory, "version.db");
    await withStore(path, async (store) => {
      await store.transaction((s) => s.createTenant({ id: "t1", slug: "acme", created: at }));
      const before = store.changeVersion();
      expect(before).toBeDefined();
      await appendLog(store, entry(1), entry(2));
      expect(store.changeVersion()).toBe(before);
      expect((await store.read((s) => s.listRequestLog("t1", 10))).map((e) => e.requestId)).toEqual(["r2", "r1"]);
      await store.transaction((s) => s.insertResource({ tenantId: "t1", id: "u1", kind: "User", document: { userName: "a" }, created: at, lastModified: at, version: 1 }));
      expect(store.changeVersion()).not.toBe(before);
    });
    expect(existsSync(join(directory, "version.requests.db"))).toBe(true);
  });

  it("moves the entries a database kept before migration 0009 into the file, in order", async () => {
    const path = join(directory, "old.db");
    const raw = new Database(path);
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
    const migrated = await new Migrator({ db, provider: migrationProvider(SQLITE_DIALECT) }).migrateTo("0008-resources-kind-id-index");
    expect(migrated.error).toBeUndefined();
    raw.prepare("insert into tenants (id, slug, created) values ('t1', 'acme', ?)").run(at);
    const insert = raw.prepare("insert into request_log (tenant_id, request_id, at, method, path, status, duration_ms, user_agent, notes) values ('t1', ?, ?, 'GET', '/x', 200, 1.5, 'Okta', ?)");
    for (let n = 1; n <= 5; n++) insert.run(`old${n}`, at, n === 3 ? JSON.stringify(["ignored an update"]) : null);
    await db.destroy();

    await withStore(path, async (store) => {
      const listed = await store.read((s) => s.listRequestLog("t1", 10));
      expect(listed.map((e) => e.requestId)).toEqual(["old5", "old4", "old3", "old2", "old1"]);
      expect(listed[2]?.notes).toEqual(["ignored an update"]);
      // New entries follow the moved ones.
      await appendLog(store, entry(6));
      expect((await store.read((s) => s.listRequestLog("t1", 1)))[0]?.requestId).toBe("r6");
    });
    const main = new Database(path, { readonly: true });
    try {
      expect(main.prepare("select name from sqlite_master where name like 'request_log%'").all()).toEqual([]);
    } finally {
      main.close();
    }
  });

  it("starts an empty log when a database is copied without its log file", async () => {
    const path = join(directory, "source.db");
    await withStore(path, async (store) => {
      await store.transaction((s) => s.createTenant({ id: "t1", slug: "acme", created: at }));
      await appendLog(store, entry(1));
    });
    const copy = join(directory, "copy.db");
    for (const suffix of ["", "-wal"]) if (existsSync(path + suffix)) copyFileSync(path + suffix, copy + suffix);
    await withStore(copy, async (store) => {
      expect(await store.read((s) => s.listRequestLog("t1", 10))).toEqual([]);
      await appendLog(store, entry(2));
      expect((await store.read((s) => s.listRequestLog("t1", 10))).map((e) => e.requestId)).toEqual(["r2"]);
      expect(await store.read((s) => s.findTenantBySlug("acme"))).toMatchObject({ id: "t1" });
    });
  });

  it("keeps an in-memory database's log in memory", async () => {
    await withStore(":memory:", async (store) => {
      await store.transaction((s) => s.createTenant({ id: "t1", slug: "acme", created: at }));
      await appendLog(store, entry(1));
      expect((await store.read((s) => s.listRequestLog("t1", 10))).map((e) => e.requestId)).toEqual(["r1"]);
    });
    expect(existsSync(":memory:.requests.db")).toBe(false);
  });

  it("prunes an in-memory database's unauthenticated entries apart, and counts them", async () => {
    await withStore(":memory:", async (store) => {
      await store.transaction((s) => s.createTenant({ id: "t1", slug: "acme", created: at }));
      const sink = store.openRequestLogSink();
      const anonymous = [3, 4, 5].map((n): RequestLogEntry => ({ ...entry(n), status: 401, unauthenticated: true }));
      await sink.write([entry(1), entry(2), ...anonymous], ["t1"], { authenticated: 5, unauthenticated: 1 });
      await sink.write([], ["t1"], { authenticated: 5, unauthenticated: 0 });
      await sink.close();
      expect((await store.read((s) => s.listRequestLog("t1", 10))).map((e) => e.requestId)).toEqual(["r2", "r1"]);
      expect(await store.read((s) => s.countUnauthenticatedDropped("t1"))).toBe(3);
    });
  });

  it("upgrades a log file made before migration 0012: a 401 kept so far counts as unauthenticated", async () => {
    const path = join(directory, "before-0012.db");
    const raw = new Database(path);
    // The log file as versions before 0012 made it.
    raw.prepare("attach database ? as log").run(requestLogPath(path));
    raw.exec(`create table log.request_log (seq integer primary key autoincrement, tenant_id text not null, request_id text not null, at text not null,
      method text not null, path text not null, status integer not null, duration_ms real not null, scim_type text,
      error_detail text, user_agent text, request_body text, notes text);
      create index log.request_log_tenant_seq on request_log (tenant_id, seq);`);
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
    const migrated = await new Migrator({ db, provider: migrationProvider(SQLITE_DIALECT) }).migrateTo("0010-directory-versions");
    expect(migrated.error).toBeUndefined();
    raw.prepare("insert into tenants (id, slug, created) values ('t1', 'acme', ?)").run(at);
    const insert = raw.prepare("insert into log.request_log (tenant_id, request_id, at, method, path, status, duration_ms) values ('t1', ?, ?, 'GET', '/x', ?, 1.5)");
    for (const [id, status] of [["ok1", 200], ["anon1", 401], ["ok2", 400], ["anon2", 401]] as const) insert.run(id, at, status);
    await db.destroy();

    await withStore(path, async (store) => {
      const listed = await store.read((s) => s.listRequestLog("t1", 10));
      expect(listed.map((e) => [e.requestId, e.unauthenticated ?? false])).toEqual([["anon2", true], ["ok2", false], ["anon1", true], ["ok1", false]]);
      const sink = store.openRequestLogSink();
      await sink.write([entry(5)], ["t1"], { authenticated: 2, unauthenticated: 0 });
      await sink.close();
      expect((await store.read((s) => s.listRequestLog("t1", 10))).map((e) => e.requestId)).toEqual(["r5", "ok2"]);
      expect(await store.read((s) => s.countUnauthenticatedDropped("t1"))).toBe(2);
    });
  });
});
