import { Kysely } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { createPostgresDialect, POSTGRES_DIALECT } from "../../src/store/sql/dialect-postgres.js";
import type { Database } from "../../src/store/sql/schema.js";
import type { RequestLogEntry, ResourceQuery, Store, StoredResource } from "../../src/store/store.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";
import { appendLog } from "../helpers/request-log.js";

// PostgreSQL's list memo keys on the tenant's directory version (migration 0010, ADR 0015):
// triggers advance it in every transaction that writes the tenant's users, groups, emails or
// memberships, and nothing else changes it: not the request log's flushes, not a token's last
// use, not another tenant's writes. SQLite's version is PRAGMA data_version
// (request-log-file.test.ts).

let database: TestDatabase | undefined;
let n = 0;
afterAll(async () => {
  await database?.drop();
});

const at = "2026-01-01T00:00:00.000Z";
const user = (tenantId: string, id: string, document: Record<string, unknown> = { userName: `${id}@example.com` }): StoredResource => ({
  tenantId,
  id,
  kind: "User",
  document,
  created: at,
  lastModified: at,
  version: 1,
});

const LOG_ENTRY: RequestLogEntry = { tenantId: "t1", requestId: "r1", at, method: "GET", path: "/scim/v2/acme/Users", status: 200, durationMs: 1, scimType: null, errorDetail: null, userAgent: "Okta SCIM Client", requestBody: null };

// With CI set and no PostgreSQL, postgresAvailable() throws: the file fails rather than skip.
describe.runIf(await postgresAvailable())("the tenant's directory version (PostgreSQL)", () => {
  async function fresh(): Promise<{ schema: string; store: Store; version: (tenantId: string) => Promise<string>; close: () => Promise<void> }> {
    database ??= await createTestDatabase("directory_version");
    const schema = `s${++n}`;
    const url = await database.schemaUrl(schema);
    const store = await openStore(url, { migrate: true });
    await store.transaction(async (s) => {
      await s.createTenant({ id: "t1", slug: "acme", created: at });
      await s.createTenant({ id: "t2", slug: "other", created: at });
    });
    const db = new Kysely<Database>({ dialect: createPostgresDialect({ connectionString: url, poolSize: 2, connectTimeoutMs: 3000 }) });
    return {
      schema,
      store,
      version: (tenantId) => POSTGRES_DIALECT.dataVersion(db, tenantId),
      close: async () => {
        await db.destroy();
        await store.close();
      },
    };
  }

  it("advances on each write of the tenant's users, emails, groups and memberships, and on nothing else", async () => {
    const { store, version, close } = await fresh();
    try {
      const versions: string[] = [await version("t1")];
      const expectChanged = async (label: string) => {
        const now = await version("t1");
        expect(versions, label).not.toContain(now);
        versions.push(now);
      };
      const expectSame = async (label: string) => expect(await version("t1"), label).toBe(versions.at(-1));

      await store.transaction((s) => s.insertResource(user("t1", "u1")));
      await expectChanged("user inserted");
      await store.transaction((s) => s.updateResource({ ...user("t1", "u1", { userName: "u1@example.com", emails: [{ value: "u1@example.com", primary: true }] }), version: 2 }));
      await expectChanged("user updated with an email");
      await store.transaction((s) => s.insertResource({ ...user("t1", "g1", { displayName: "Engineering" }), kind: "Group" }));
      await expectChanged("group inserted");
      await store.transaction((s) => s.addMembers("t1", "g1", [{ id: "u1", kind: "User" }]));
      await expectChanged("member added");
      await store.transaction((s) => s.removeMembers("t1", "g1", ["u1"]));
      await expectChanged("member removed");

      await appendLog(store, LOG_ENTRY);
      await expectSame("request log appended");
      const token = await store.transaction((s) => s.insertToken({ id: "k1", tenantId: "t1", name: "okta", hash: "a".repeat(64) }, at));
      await store.transaction((s) => s.touchToken(token.id, at));
      await expectSame("token issued and used");
      await store.transaction((s) => s.insertResource(user("t2", "v1")));
      await expectSame("another tenant's user");
      const otherBefore = await version("t2");
      await store.transaction((s) => s.deleteResource("t1", "User", "u1"));
      await expectChanged("user deleted");
      expect(await version("t2"), "t1's delete leaves t2's version").toBe(otherBefore);
    } finally {
      await close();
    }
  });

  it("counts a write made in a session whose search path does not name Roster's schema", async () => {
    const { schema, store, version, close } = await fresh();
    try {
      await store.transaction((s) => s.insertResource(user("t1", "u1")));
      const before = await version("t1");
      // The admin connection's search path is the default one: the table is named with its schema.
      await database!.query(`update "${schema}".resources set version = 2 where tenant_id = 't1' and id = 'u1'`);
      expect(await version("t1")).not.toBe(before);
    } finally {
      await close();
    }
  });

  it("counts a bulk insert once per statement, and a statement that changes nothing not at all", async () => {
    const { store, version, close } = await fresh();
    try {
      const changes = async () => Number((await version("t1")).split(":")[1]);
      const before = await changes();
      await store.transaction((s) => s.insertResource({ ...user("t1", "g1", { displayName: "All" }), kind: "Group" }));
      await store.transaction(async (s) => {
        for (let i = 0; i < 20; i++) await s.insertResource(user("t1", `u${i}`));
      });
      const afterUsers = await changes();
      expect(afterUsers).toBeGreaterThan(before);
      await store.transaction((s) => s.addMembers("t1", "g1", Array.from({ length: 20 }, (_, i) => ({ id: `u${i}`, kind: "User" as const }))));
      const afterMembers = await changes();
      // One INSERT of 20 rows: at most a handful of statements, not one count per row.
      expect(afterMembers - afterUsers).toBeGreaterThanOrEqual(1);
      expect(afterMembers - afterUsers).toBeLessThan(20);
      await store.transaction((s) => s.removeMembers("t1", "g1", ["nobody"]));
      expect(await changes(), "a delete of no rows").toBe(afterMembers);
    } finally {
      await close();
    }
  });

  it("changes when the counts are reset (a restore, TRUNCATE), even once they have grown back", async () => {
    const { schema, store, version, close } = await fresh();
    try {
      await store.transaction((s) => s.insertResource(user("t1", "u1")));
      const before = await version("t1");
      await database!.query(`set search_path to "${schema}"; truncate directory_versions`);
      await store.transaction((s) => s.insertResource(user("t1", "u2")));
      // One write after the reset: the same count as before it, and still another version.
      expect((await version("t1")).split(":")[1]).toBe(before.split(":")[1]);
      expect(await version("t1")).not.toBe(before);
    } finally {
      await close();
    }
  });

  it("keeps the list memo across request-log flushes and other tenants' writes", async () => {
    const { schema, store, close } = await fresh();
    const page = async (): Promise<number> =>
      (await store.read((s) => s.queryResources("t1", "User", { count: 100, startIndex: 1 } satisfies ResourceQuery))).totalResults;
    try {
      await store.transaction(async (s) => {
        for (let i = 0; i < 150; i++) await s.insertResource(user("t1", `u${String(i).padStart(3, "0")}`));
      });
      expect(await page()).toBe(150);
      await appendLog(store, LOG_ENTRY);
      await store.transaction((s) => s.insertResource(user("t2", "v1")));
      // A row removed behind the triggers' back (replication role) leaves the version as it
      // was: the remembered total answers, which shows the memo survived the commits above.
      await database!.query(`set search_path to "${schema}"; set session_replication_role = replica; delete from resources where tenant_id = 't1' and id = 'u000'`);
      expect(await page(), "remembered total").toBe(150);
      // A write through the store advances the version: the total is counted again.
      await store.transaction(async (s) => {
        await s.insertResource(user("t1", "u900"));
        await s.insertResource(user("t1", "u901"));
      });
      expect(await page(), "counted again").toBe(151);
    } finally {
      await close();
    }
  });

  it("starts a page from the nearest remembered position before it (a page another process served)", async () => {
    const { schema, store, close } = await fresh();
    const ids = async (startIndex: number): Promise<string[]> =>
      (await store.read((s) => s.queryResources("t1", "User", { count: 100, startIndex }))).resources.map((r) => r.id);
    const all = Array.from({ length: 400 }, (_, i) => `u${String(i).padStart(3, "0")}`);
    try {
      await store.transaction(async (s) => {
        for (const id of all) await s.insertResource(user("t1", id));
      });
      expect(await ids(1)).toEqual(all.slice(0, 100));
      // Removed behind the triggers' back: a page read by OFFSET would now start one row later.
      await database!.query(`set search_path to "${schema}"; set session_replication_role = replica; delete from resources where tenant_id = 't1' and id = 'u000'`);
      // Position 100 is remembered (u099); page 201 skips one page from there instead of 200 rows.
      expect(await ids(201)).toEqual(all.slice(200, 300));
      expect(await ids(301)).toEqual(all.slice(300, 400));
    } finally {
      await close();
    }
  });
});
