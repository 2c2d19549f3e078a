import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import type { ResourceQuery, Store } from "../../src/store/store.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";
import { filterOf } from "./fixtures.js";

// Index pages reuse totals and "where the last page ended" while nothing is committed
// (ListMemo in src/store/sql/query-resources.ts; SQLite's data version, PostgreSQL's
// snapshot). What a reader sees must be exactly what OFFSET paging over the current data
// answers, whoever committed in between.

const directory = mkdtempSync(join(tmpdir(), "roster-list-memo-"));
let n = 0;
let database: TestDatabase | undefined;
afterAll(async () => {
  rmSync(directory, { recursive: true, force: true });
  await database?.drop();
});

// With CI set and no PostgreSQL, postgresAvailable() throws: the file fails rather than skip.
const BACKENDS: readonly (readonly [string, () => Promise<string>])[] = [
  ["SQLite", async () => join(directory, `db-${++n}`, "roster.db")],
  ...((await postgresAvailable())
    ? [
        [
          "PostgreSQL",
          async () => {
            database ??= await createTestDatabase("list_memo");
            return database.schemaUrl(`s${++n}`);
          },
        ] as const,
      ]
    : []),
];

const at = "2026-01-01T00:00:00.000Z";
const id = (i: number) => `u-${String(i).padStart(4, "0")}`;

async function addUsers(store: Store, ids: readonly string[]): Promise<void> {
  await store.transaction(async (s) => {
    for (const userId of ids) {
      await s.insertResource({ tenantId: "t1", id: userId, kind: "User", document: { userName: `${userId}@example.com` }, created: at, lastModified: at, version: 1 });
    }
  });
}

async function page(store: Store, startIndex: number, count = 100, extra: Partial<ResourceQuery> = {}): Promise<{ total: number; ids: string[] }> {
  const result = await store.read((s) => s.queryResources("t1", "User", { count, startIndex, ...extra }));
  return { total: result.totalResults, ids: result.resources.map((r) => r.id) };
}

describe.each(BACKENDS)("index pages while the directory changes (%s)", (_name, location) => {
  async function seeded(): Promise<{ path: string; store: Store }> {
    const path = await location();
    const store = await openStore(path, { migrate: true });
    await store.transaction((s) => s.createTenant({ id: "t1", slug: "acme", created: at }));
    await addUsers(store, Array.from({ length: 250 }, (_, i) => id(i + 10)));
    return { path, store };
  }

  it("pages through in id order with exact totals", async () => {
    const { store } = await seeded();
    try {
      const all = Array.from({ length: 250 }, (_, i) => id(i + 10));
      for (const round of [1, 2]) {
        const pages = [await page(store, 1), await page(store, 101), await page(store, 201)];
        expect(pages.map((p) => p.total), `round ${round}`).toEqual([250, 250, 250]);
        expect(pages.flatMap((p) => p.ids), `round ${round}`).toEqual(all);
      }
      // Another count from a remembered position, and a position never reached by a page.
      expect((await page(store, 101, 7)).ids).toEqual(all.slice(100, 107));
      expect((await page(store, 150, 3)).ids).toEqual(all.slice(149, 152));
    } finally {
      await store.close();
    }
  });

  it("answers the next page as OFFSET would after this process committed a user that sorts first", async () => {
    const { store } = await seeded();
    try {
      const first = await page(store, 1);
      expect(first.ids.at(-1)).toBe(id(109));
      await addUsers(store, [id(0)]);
      const second = await page(store, 101);
      // Everything moved one place down: position 101 now holds what was at 100.
      expect(second.ids[0]).toBe(id(109));
      expect(second.total).toBe(251);
    } finally {
      await store.close();
    }
  });

  it("sees what another process's connection committed between two pages", async () => {
    const { path, store } = await seeded();
    const other = await openStore(path);
    try {
      expect(await page(store, 1)).toMatchObject({ total: 250 });
      await other.transaction((s) => s.deleteResource("t1", "User", id(10)));
      const second = await page(store, 101);
      expect(second.ids[0]).toBe(id(111));
      expect(second.total).toBe(249);
    } finally {
      await other.close();
      await store.close();
    }
  });

  it("keeps filtered and unfiltered totals apart", async () => {
    const { store } = await seeded();
    try {
      expect((await page(store, 1, 100)).total).toBe(250);
      expect((await page(store, 1, 100, { managed: false })).total).toBe(0);
      expect((await page(store, 1, 100, { managed: true })).total).toBe(250);
    } finally {
      await store.close();
    }
  });

  it("pages a filtered listing as OFFSET would, before and after a commit between pages", async () => {
    const { store } = await seeded();
    try {
      // userName sw "u-01": u-0100 … u-0199 (100 users) and u-0010 … u-0019 (10).
      const filter = filterOf('userName sw "u-01"');
      const matching = Array.from({ length: 250 }, (_, i) => id(i + 10)).filter((userId) => userId.startsWith("u-01"));
      const first = await page(store, 1, 40, { filter });
      const second = await page(store, 41, 40, { filter });
      expect(first).toEqual({ total: matching.length, ids: matching.slice(0, 40) });
      expect(second).toEqual({ total: matching.length, ids: matching.slice(40, 80) });
      // Sorts between u-0100 and u-0101: every later match moves one place down.
      await addUsers(store, ["u-0100a"]);
      const again = await page(store, 81, 40, { filter });
      const now = [...matching, "u-0100a"].sort();
      expect(again).toEqual({ total: now.length, ids: now.slice(80, 120) });
    } finally {
      await store.close();
    }
  });
});
