import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect } from "kysely";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { eventTypeMatches } from "../../src/events/patterns.js";
import { openStore } from "../../src/store/open-store.js";
import { POSTGRES_DIALECT } from "../../src/store/sql/dialect-postgres.js";
import { SQLITE_DIALECT } from "../../src/store/sql/dialect-sqlite.js";
import { migrationProvider } from "../../src/store/sql/migrations/index.js";
import type { NewEvent, Store } from "../../src/store/store.js";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.js";
import { testDatabaseKind } from "../helpers/roster.js";

// Migration 0011 (ADR 0026) on a database that recorded events with the old, global numbers:
// stored events keep their numbers, so cursors handed out before the upgrade, webhooks'
// fan-out positions and deliveries still name the same events; each tenant continues from
// its own highest number (or its retention mark). SQLite or PostgreSQL (ROSTER_TEST_DATABASE).

const AT = "2026-01-01T00:00:00.000Z";
const kind = testDatabaseKind();
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

/** A database migrated to the last migration before 0011 (SQLite: before 0009, which needs openStore's log file), plus its URL. */
async function oldDatabase(): Promise<{ db: Kysely<any>; url: string }> {
  if (kind === "sqlite") {
    const directory = mkdtempSync(join(tmpdir(), "roster-sequence-upgrade-"));
    cleanups.push(async () => rmSync(directory, { recursive: true, force: true }));
    const url = join(directory, "old.db");
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(url) }) });
    const migrated = await new Migrator({ db, provider: migrationProvider(SQLITE_DIALECT) }).migrateTo("0008-resources-kind-id-index");
    expect(migrated.error).toBeUndefined();
    return { db, url };
  }
  const database: TestDatabase = await createTestDatabase("sequpgrade");
  cleanups.push(() => database.drop());
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url }) }) });
  const migrated = await new Migrator({ db, provider: migrationProvider(POSTGRES_DIALECT) }).migrateTo("0010-directory-versions");
  expect(migrated.error).toBeUndefined();
  return { db, url: database.url };
}

function event(id: string): NewEvent {
  return { id, type: "user.updated", resourceType: "User", resourceId: `u-${id}`, occurredAt: AT, data: JSON.stringify({ id }) };
}

describe("migration 0011 on events numbered across tenants", () => {
  it("keeps every stored number and cursor, and continues each tenant from its own highest number or retention mark", async () => {
    const { db, url } = await oldDatabase();
    for (const [id, slug, pruned] of [
      ["t1", "acme", 0],
      ["t2", "globex", 0],
      ["t3", "initech", 7],
      ["t4", "hooli", 0],
    ] as const) {
      await sql`insert into tenants (id, slug, created, events_pruned_seq) values (${id}, ${slug}, ${AT}, ${pruned})`.execute(db);
    }
    // Old numbers, drawn from one identity for every tenant: acme 1, 2, 4, 6; globex 3, 5.
    const overriding = kind === "postgres" ? sql`overriding system value` : sql``;
    for (const [seq, tenant] of [
      [1, "t1"],
      [2, "t1"],
      [3, "t2"],
      [4, "t1"],
      [5, "t2"],
      [6, "t1"],
    ] as const) {
      await sql`insert into events (seq, id, tenant_id, type, resource_type, resource_id, occurred_at, data) ${overriding}
        values (${seq}, ${`old${seq}`}, ${tenant}, 'user.updated', 'User', ${`u-old${seq}`}, ${AT}, ${JSON.stringify({ id: `old${seq}` })})`.execute(db);
    }
    // acme's webhook has fanned out up to 4; the delivery of 4 is pending.
    await sql`insert into webhooks (id, tenant_id, url, events, secret, enabled, cursor_seq, created, updated)
      values ('w1', 't1', 'https://receiver.example/hook', '["*"]', 'sealed', 1, 4, ${AT}, ${AT})`.execute(db);
    await sql`insert into deliveries (id, webhook_id, tenant_id, event_seq, event_id, event_type, resource_key, status, attempts, next_attempt_at, created)
      values ('d4', 'w1', 't1', 4, 'old4', 'user.updated', 'User:u-old4', 'pending', 0, ${AT}, ${AT})`.execute(db);
    await db.destroy();

    const store: Store = await openStore(url);
    cleanups.push(() => store.close());
    await store.migrate();

    const listed = (tenant: string, after: number) => store.transaction(async (s) => (await s.listEvents(tenant, after, 100)).map((e) => [e.id, e.seq]));
    // Stored numbers are kept: a cursor handed out before the upgrade continues where it did.
    expect(await listed("t1", 0)).toEqual([["old1", 1], ["old2", 2], ["old4", 4], ["old6", 6]]);
    expect(await listed("t1", 2)).toEqual([["old4", 4], ["old6", 6]]);
    expect(await listed("t2", 3)).toEqual([["old5", 5]]);
    expect(await store.transaction((s) => s.eventBounds("t1"))).toEqual({ last: 6, pruned: 0 });

    // From now on each tenant counts by one from its own last number.
    for (const [tenant, ids] of [
      ["t1", ["a7", "a8"]],
      ["t2", ["g6"]],
      ["t3", ["i8"]],
      ["t4", ["h1"]],
      ["t1", ["a9"]],
    ] as const) {
      await store.transaction((s) => s.appendEvents(tenant, ids.map(event)));
    }
    expect(await listed("t1", 6)).toEqual([["a7", 7], ["a8", 8], ["a9", 9]]);
    expect(await listed("t2", 5)).toEqual([["g6", 6]]);
    // initech's events had all been removed by retention up to 7: it continues after them.
    expect(await listed("t3", 0)).toEqual([["i8", 8]]);
    expect(await listed("t4", 0)).toEqual([["h1", 1]]);
    await store.transaction(async (s) => {
      await s.createTenant({ id: "t5", slug: "umbrella", created: AT });
      await s.appendEvents("t5", [event("u1")]);
    });
    expect(await listed("t5", 0)).toEqual([["u1", 1]]);

    // The webhook continues from its position: the pending delivery of 4 stays, 6 to 9 follow.
    await store.transaction((s) => s.fanOutDeliveries({ webhooks: 10, events: 100, at: AT, matches: eventTypeMatches }));
    const deliveries = await store.transaction((s) => s.listDeliveries("w1", { limit: 10 }));
    expect(deliveries.map((d) => [d.eventId, d.eventSeq]).reverse()).toEqual([["old4", 4], ["old6", 6], ["a7", 7], ["a8", 8], ["a9", 9]]);

    // Migrating again changes nothing.
    await store.migrate();
    expect(await listed("t1", 0)).toHaveLength(7);
    await store.transaction((s) => s.appendEvents("t1", [event("a10")]));
    expect(await listed("t1", 9)).toEqual([["a10", 10]]);
  });
});
