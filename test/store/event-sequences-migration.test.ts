import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, Migrator, SqliteDialect } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { SQLITE_DIALECT } from "../../src/store/sql/dialect-sqlite.js";
import { migrationProvider } from "../../src/store/sql/migrations/index.js";

// SQLite rebuilds the events table in migration 0011 (ADR 0026). A migration that fails part
// way is committed as far as it got (the migrator's lock is the BEGIN IMMEDIATE around it), so
// the rebuild resumes from any point. test/events/sequence-upgrade.test.ts covers the upgrade
// itself on both databases.

const directory = mkdtempSync(join(tmpdir(), "roster-event-sequences-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
const at = "2026-01-01T00:00:00.000Z";

describe("migration 0011 on SQLite", () => {
  it("resumes a rebuild interrupted after the old events table was dropped, keeping every event", async () => {
    const path = join(directory, "interrupted.db");
    const raw = new Database(path);
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: raw }) });
    expect((await new Migrator({ db, provider: migrationProvider(SQLITE_DIALECT) }).migrateTo("0008-resources-kind-id-index")).error).toBeUndefined();
    raw.prepare("insert into tenants (id, slug, created) values ('t1', 'acme', ?), ('t2', 'globex', ?)").run(at, at);
    const insert = raw.prepare("insert into events (seq, id, tenant_id, type, resource_type, resource_id, occurred_at, data) values (?, ?, ?, 'user.updated', 'User', 'u', ?, '{}')");
    for (const [seq, tenant] of [[1, "t1"], [2, "t2"], [3, "t1"]] as const) insert.run(seq, `e${seq}`, tenant, at);
    // The state the rebuild leaves between `drop table events` and the rename.
    raw.exec(`
      create table events_rebuilt (seq integer not null, id text not null unique, tenant_id text not null references tenants (id) on delete cascade,
        type text not null, resource_type text not null, resource_id text not null, occurred_at text not null, data text not null, primary key (tenant_id, seq));
      insert into events_rebuilt select seq, id, tenant_id, type, resource_type, resource_id, occurred_at, data from events;
      drop table events;`);
    await db.destroy();

    const store = await openStore(path, { migrate: true });
    try {
      const listed = await store.transaction(async (s) => (await s.listEvents("t1", 0, 10)).map((e) => [e.id, e.seq]));
      expect(listed).toEqual([["e1", 1], ["e3", 3]]);
      await store.transaction((s) => s.appendEvents("t1", [{ id: "e4", type: "user.updated", resourceType: "User", resourceId: "u", occurredAt: at, data: "{}" }]));
      await store.transaction((s) => s.appendEvents("t2", [{ id: "g3", type: "user.updated", resourceType: "User", resourceId: "u", occurredAt: at, data: "{}" }]));
      expect(await store.transaction(async (s) => (await s.listEvents("t1", 3, 10)).map((e) => e.seq))).toEqual([4]);
      expect(await store.transaction(async (s) => (await s.listEvents("t2", 2, 10)).map((e) => e.seq))).toEqual([3]);
    } finally {
      await store.close();
    }
    const check = new Database(path, { readonly: true });
    try {
      expect(check.prepare("select name from pragma_table_info('events') where pk > 0 order by pk").pluck().all()).toEqual(["tenant_id", "seq"]);
      expect(check.prepare("select count(*) from sqlite_master where name = 'events_rebuilt'").pluck().get()).toBe(0);
      expect(check.prepare("select count(*) from sqlite_master where type = 'index' and name = 'events_tenant_occurred'").pluck().get()).toBe(1);
    } finally {
      check.close();
    }
  });
});
