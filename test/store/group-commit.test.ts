import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { Kysely, sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { RosterSqliteDialect, prepareSqliteDatabase } from "../../src/store/sql/dialect-sqlite.js";
import { CommitGroup } from "../../src/store/sql/group-commit.js";
import type { Database as Tables } from "../../src/store/sql/schema.js";

// Group commit on SQLite (src/store/sql/group-commit.ts, docs/decisions/0011-sqlite-group-commit.md).

const directory = mkdtempSync(join(tmpdir(), "roster-group-commit-"));
let n = 0;
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const created = "2026-01-01T00:00:00.000Z";
const file = () => join(directory, `db-${++n}`, "roster.db");

/** The slugs another connection sees: only what has been committed. */
function committedSlugs(path: string): string[] {
  const outside = new Database(path, { readonly: true });
  try {
    return (outside.prepare("select slug from tenants order by slug").all() as { slug: string }[]).map((row) => row.slug);
  } finally {
    outside.close();
  }
}

describe("group commit (SQLite)", () => {
  it("commits transactions that arrive together once, and tells each only after that commit", async () => {
    const path = file();
    const store = await openStore(path, { migrate: true });
    try {
      const settled: string[] = [];
      let seenInside: { committed: string[]; read: string[]; settled: string[] } | undefined;
      const first = store.transaction((s) => s.createTenant({ id: "t1", slug: "acme", created })).then(() => settled.push("acme"));
      const second = store
        .transaction(async (s) => {
          await s.createTenant({ id: "t2", slug: "globex", created });
          // Same transaction as the first: its tenant is here, uncommitted, and nobody has been answered.
          const inside = (await s.listTenants()).map((t) => t.slug);
          seenInside = { committed: committedSlugs(path), read: (await store.read((r) => r.listTenants())).map((t) => t.slug), settled: [...settled] };
          return inside;
        })
        .then((inside) => {
          settled.push("globex");
          return inside;
        });
      const [, inside] = await Promise.all([first, second]);
      expect(inside).toEqual(["acme", "globex"]);
      expect(seenInside).toEqual({ committed: [], read: [], settled: [] });
      expect(committedSlugs(path)).toEqual(["acme", "globex"]);
    } finally {
      await store.close();
    }
  });

  it("rolls back a transaction that throws and commits the others of its group", async () => {
    const path = file();
    const store = await openStore(path, { migrate: true });
    try {
      const outcomes = await Promise.allSettled([
        store.transaction((s) => s.createTenant({ id: "t1", slug: "acme", created })),
        store.transaction(async (s) => {
          await s.createTenant({ id: "t2", slug: "globex", created });
          throw new Error("changed its mind");
        }),
        store.transaction((s) => s.createTenant({ id: "t3", slug: "initech", created })),
        // A uniqueness failure inside the group: the statement fails, the group goes on.
        store.transaction((s) => s.createTenant({ id: "t4", slug: "acme", created })),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled", "rejected"]);
      expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(new Error("changed its mind"));
      expect((outcomes[3] as PromiseRejectedResult).reason).toMatchObject({ name: "StoreConflictError" });
      expect(committedSlugs(path)).toEqual(["acme", "initech"]);
    } finally {
      await store.close();
    }
  });

  it("waits for an open group before closing", async () => {
    const path = file();
    const store = await openStore(path, { migrate: true });
    const writes = [1, 2, 3].map((i) => store.transaction((s) => s.createTenant({ id: `t${i}`, slug: `tenant-${i}`, created })));
    await store.close();
    await Promise.all(writes);
    expect(committedSlugs(path)).toEqual(["tenant-1", "tenant-2", "tenant-3"]);
  });

  it("tells no member of a group it was written when the database ended the group's transaction", async () => {
    // SQLite rolls a transaction back by itself on some errors (an I/O error, a full disk);
    // a member issuing ROLLBACK is that, made to happen on purpose.
    const database = new Database(join(directory, `notes-${++n}.db`));
    prepareSqliteDatabase(database, { busyTimeoutMs: 1000 });
    database.exec("create table notes (text text not null)");
    const db = new Kysely<Tables>({ dialect: new RosterSqliteDialect({ database }) });
    const group = new CommitGroup(db);
    const note = (text: string) => (connection: Kysely<Tables>) => sql`insert into notes (text) values (${text})`.execute(connection);
    try {
      const outcomes = await Promise.allSettled([
        group.transaction(note("before")),
        group.transaction(async (connection) => {
          await note("ending")(connection);
          await sql`rollback`.execute(connection);
        }),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
      // The next transaction starts a group of its own and commits.
      await group.transaction(note("after"));
      expect(database.prepare("select text from notes").pluck().all()).toEqual(["after"]);
    } finally {
      await db.destroy();
    }
  });

  it("rejects every waiting transaction, and opens no transaction, when the write lock cannot be had", async () => {
    const path = file();
    const store = await openStore(path, { migrate: true, busyTimeoutMs: 50 });
    const holder = new Database(path);
    try {
      holder.exec("begin immediate");
      const outcomes = await Promise.allSettled([1, 2].map((i) => store.transaction((s) => s.createTenant({ id: `t${i}`, slug: `tenant-${i}`, created }))));
      expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
      expect((outcomes[0] as PromiseRejectedResult).reason).toMatchObject({ name: "StoreUnavailableError" });
      holder.exec("rollback");
      await store.transaction((s) => s.createTenant({ id: "t3", slug: "tenant-3", created }));
      expect(committedSlugs(path)).toEqual(["tenant-3"]);
    } finally {
      holder.close();
      await store.close();
    }
  });
});
