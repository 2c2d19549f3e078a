import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { SQLITE_DIALECT, openSqliteKysely } from "../../src/store/sql/dialect-sqlite.js";
import { SqlSession } from "../../src/store/sql/sql-session.js";
import type { ReadSession } from "../../src/store/store.js";
import { filterOf } from "./fixtures.js";

// SQLite plans a prepared statement once, without its bound values, except where a bound
// value could change the plan (a partial index's WHERE, a LIMIT): then it plans again each
// time that value is bound, and better-sqlite3 binds every value on every call. The hot
// reads (docs/benchmarks.md) must therefore have a good plan without any bound value, and
// bind only what varies per call. Each statement is planned here as SQLite plans it at
// prepare time: EXPLAIN QUERY PLAN with every parameter NULL.

const directory = mkdtempSync(join(tmpdir(), "roster-plans-"));
const path = join(directory, "roster.db");
const at = "2026-01-01T00:00:00.000Z";
afterAll(() => rmSync(directory, { recursive: true, force: true }));

beforeAll(async () => {
  const store = await openStore(path, { migrate: true });
  try {
    await store.transaction(async (s) => {
      await s.createTenant({ id: "t1", slug: "acme", created: at });
      await s.insertToken({ id: "k1", tenantId: "t1", name: "okta", hash: "h1" }, at);
      for (let i = 0; i < 50; i++) {
        await s.insertResource({ tenantId: "t1", id: `u${i}`, kind: "User", document: { userName: `user${i}@example.com` }, created: at, lastModified: at, version: 1 });
      }
    });
  } finally {
    await store.close();
  }
});

/** The SQL of every statement `run` prepares on a read connection, with the plan SQLite makes for it unbound. */
async function statementsOf(run: (session: ReadSession) => Promise<unknown>): Promise<{ sql: string; parameters: number; plan: string[] }[]> {
  const connection = new Database(path, { readonly: true });
  const prepared: string[] = [];
  const prepare = connection.prepare.bind(connection);
  connection.prepare = ((source: string) => {
    prepared.push(source);
    return prepare(source);
  }) as typeof connection.prepare;
  const db = openSqliteKysely(connection);
  try {
    await SQLITE_DIALECT.read(db, (held) => run(new SqlSession(held, SQLITE_DIALECT)));
    return prepared.map((sql) => {
      const parameters = (sql.match(/\?/g) ?? []).length;
      const plan = prepare(`explain query plan ${sql}`)
        .all(...Array.from({ length: parameters }, () => null))
        .map((row) => (row as { detail: string }).detail);
      return { sql, parameters, plan };
    });
  } finally {
    await db.destroy();
  }
}

describe("plans of the hot reads (SQLite)", () => {
  it("finds an Okta lookup by userName on a userName index, binding only the tenant, the name and the offset", async () => {
    let found: string[] = [];
    const statements = await statementsOf(async (s) => {
      const page = await s.queryResources("t1", "User", { count: 100, startIndex: 1, managed: true, filter: filterOf('userName eq "User7@example.com"') });
      found = page.resources.map((r) => r.id);
    });
    expect(found).toEqual(["u7"]);
    expect(statements).toHaveLength(1);
    const [lookup] = statements;
    expect(lookup?.plan.join(" | ")).toMatch(/^SEARCH r USING INDEX resources_(managed_user_name_unique|user_name_unique|name_ci) \(tenant_id=\? AND [a-z_=?]+ AND name_ci=\?\)/);
    expect(lookup?.parameters).toBe(3);
  });

  it("probes a user's managed namesake by index when unmanaged users are visible (hideShadowed), never scanning for it", async () => {
    let found: string[] = [];
    const statements = await statementsOf(async (s) => {
      const page = await s.queryResources("t1", "User", { count: 100, startIndex: 1, hideShadowed: true, filter: filterOf('userName eq "User7@example.com"') });
      found = page.resources.map((r) => r.id);
    });
    expect(found).toEqual(["u7"]);
    expect(statements).toHaveLength(1);
    const plan = (statements[0]?.plan ?? []).join(" | ");
    expect(plan).toMatch(/SEARCH twin USING (COVERING )?INDEX resources_managed_user_name_unique \(tenant_id=\? AND managed=\? AND name_ci=\?\)/);
    expect(plan).not.toMatch(/SCAN/);
  });

  it("finds a resource by id, the groups of a user, a bearer token and a tenant's profile version by index, without a scan, binding only what the call brings", async () => {
    const statements = await statementsOf(async (s) => {
      expect(await s.findResource("t1", "User", "u3")).toMatchObject({ id: "u3" });
      expect([...(await s.listGroupsOf("t1", ["u3"], { managed: true })).keys()]).toEqual(["u3"]);
      expect(await s.findActiveToken("h1")).toMatchObject({ tenant: { slug: "acme" } });
      expect(await s.findTenantProfileVersion("t1")).toBe(0);
    });
    // The tenant, kind and id; the tenant and the one member id; the token's hash; the tenant (every recorded write reads it).
    expect(statements.map((statement) => statement.parameters)).toEqual([3, 2, 1, 1]);
    for (const { sql, plan } of statements) {
      expect(plan.length, sql).toBeGreaterThan(0);
      for (const step of plan) expect(step, sql).toMatch(/^SEARCH /);
    }
  });

  it("numbers appended events from the end of the tenant's (tenant_id, seq) key and the tenant's row, in the INSERT itself, without a scan", async () => {
    const connection = new Database(path);
    const prepared: string[] = [];
    const prepare = connection.prepare.bind(connection);
    connection.prepare = ((source: string) => {
      prepared.push(source);
      return prepare(source);
    }) as typeof connection.prepare;
    const db = openSqliteKysely(connection);
    try {
      const event = (id: string) => ({ id, type: "user.updated", resourceType: "User" as const, resourceId: "u1", occurredAt: at, data: "{}" });
      await SQLITE_DIALECT.transaction(db, (held) => new SqlSession(held, SQLITE_DIALECT).appendEvents("t1", [event("p1"), event("p2")]));
      const inserts = prepared.filter((sql) => /^\s*insert into events/i.test(sql));
      // One statement (ADR 0026): the tenant (three times: its events' column, its last event, its row), then six values per event.
      expect(inserts.map((sql) => (sql.match(/\?/g) ?? []).length)).toEqual([15]);
      const plan = prepare(`explain query plan ${inserts[0]}`)
        .all(...Array.from({ length: 15 }, () => null))
        .map((row) => (row as { detail: string }).detail);
      expect(plan.join("\n")).not.toMatch(/SCAN (events|tenants)\b/);
      expect(plan.some((step) => /SEARCH events USING (COVERING )?INDEX sqlite_autoindex_events_\d+ \(tenant_id=\?\)/.test(step)), plan.join("\n")).toBe(true);
      expect(plan.some((step) => /SEARCH tenants USING INDEX sqlite_autoindex_tenants_\d+ \(id=\?\)/.test(step)), plan.join("\n")).toBe(true);
    } finally {
      await db.destroy();
    }
  });

  it("reads a user with its groups, by id or by an Okta lookup, in one statement whose every step is an index search", async () => {
    const statements = await statementsOf(async (s) => {
      expect(await s.findResource("t1", "User", "u3", { withGroups: { managed: true } })).toMatchObject({ id: "u3", groups: [] });
      const page = await s.queryResources("t1", "User", { count: 100, startIndex: 1, managed: true, filter: filterOf('userName eq "user3@example.com"'), withGroups: { managed: true } });
      expect(page.resources.map((r) => [r.id, r.groups])).toEqual([["u3", []]]);
    });
    // By id: the tenant, kind and id. The lookup: the tenant, the name and the offset.
    expect(statements.map((statement) => statement.parameters)).toEqual([3, 3]);
    for (const { sql, plan } of statements) {
      expect(plan.join(" | "), sql).toMatch(/CORRELATED SCALAR SUBQUERY/);
      for (const step of plan) expect(step, sql).toMatch(/^(SEARCH |CORRELATED SCALAR SUBQUERY)/);
    }
  });

  it("walks an import page in id order without sorting, the page size written into the SQL", async () => {
    const statements = await statementsOf((s) => s.queryResources("t1", "User", { count: 20, startIndex: 21, managed: true }));
    const page = statements.find((statement) => /limit 20 offset \?/.test(statement.sql));
    expect(page?.plan.join(" | ")).toMatch(/^SEARCH r USING INDEX resources_kind_id \(tenant_id=\? AND kind=\?\)$/);
  });
});
