import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Kysely, Migrator } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { createPostgresDialect, POSTGRES_DIALECT } from "../../src/store/sql/dialect-postgres.js";
import type { Database } from "../../src/store/sql/schema.js";
import { migrationProvider } from "../../src/store/sql/migrations/index.js";
import { SqlStore } from "../../src/store/sql/sql-store.js";
import { StoreUnavailableError } from "../../src/store/store.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";
import { describeStoreConformance } from "./conformance.js";
import { describeManagedConformance } from "./conformance-managed.js";
import { describeProfileConformance } from "./conformance-profiles.js";
import { describeEventConformance } from "./conformance-events.js";
import { describeWebhookConformance } from "./conformance-webhooks.js";
import { describeTenantConformance } from "./conformance-tenants.js";
import { filterOf, GROUP, USER } from "./fixtures.js";

// Runs when PostgreSQL answers; with CI set and no PostgreSQL, postgresAvailable() throws and the file fails.
const available = await postgresAvailable();

describe.skipIf(!available)("PostgreSQL", () => {
  let database: TestDatabase;
  let n = 0;
  beforeAll(async () => {
    database = await createTestDatabase("store");
  });
  afterAll(async () => {
    await database?.drop();
  });

  // A schema per test, dropped when the suite closes the store: later tests' migrations
  // do not have to look through earlier tests' tables.
  describeStoreConformance("PostgreSQL (schema per test)", async () => {
    const schema = `s${++n}`;
    const store = await openStore(await database.schemaUrl(schema));
    return {
      dialect: store.dialect,
      migrate: () => store.migrate(),
      ping: () => store.ping(),
      changeVersion: () => store.changeVersion(),
      openRequestLogSink: () => store.openRequestLogSink(),
      purgeRequestLog: (tenantId) => store.purgeRequestLog(tenantId),
      transaction: (fn) => store.transaction(fn),
      read: (fn) => store.read(fn),
      snapshot: (fn, options) => store.snapshot(fn, options),
      async close() {
        await store.close();
        await database.query(`drop schema "${schema}" cascade`);
      },
    };
  });
  describeManagedConformance("PostgreSQL (schema per test)", async () => openStore(await database.schemaUrl(`s${++n}`)));
  describeProfileConformance("PostgreSQL (schema per test)", async () => openStore(await database.schemaUrl(`s${++n}`)));
  describeEventConformance("PostgreSQL (schema per test)", async () => openStore(await database.schemaUrl(`s${++n}`)));
  describeWebhookConformance("PostgreSQL (schema per test)", async () => openStore(await database.schemaUrl(`s${++n}`)));
  describeTenantConformance("PostgreSQL (schema per test)", async () => openStore(await database.schemaUrl(`s${++n}`)));

  describe("openStore (PostgreSQL)", () => {
    it("upgrades a request log kept before migration 0012: a 401 kept so far counts as unauthenticated (ADR 0029)", async () => {
      const url = await database.schemaUrl("before0012");
      const db = new Kysely<unknown>({ dialect: createPostgresDialect({ connectionString: url, poolSize: 1, connectTimeoutMs: 5000 }) });
      const migrated = await new Migrator({ db, provider: migrationProvider(POSTGRES_DIALECT), migrationTableSchema: "before0012" }).migrateTo("0010-directory-versions");
      expect(migrated.error).toBeUndefined();
      await db.destroy();
      const at = "2026-01-01T00:00:00.000Z";
      await database.query(`insert into before0012.tenants (id, slug, created) values ('t1', 'acme', $1);
        insert into before0012.request_log (tenant_id, request_id, at, method, path, status, duration_ms)
          values ('t1', 'ok1', $1, 'GET', '/x', 200, 1), ('t1', 'anon1', $1, 'GET', '/x', 401, 1), ('t1', 'ok2', $1, 'GET', '/x', 400, 1), ('t1', 'anon2', $1, 'GET', '/x', 401, 1)`.replace(/\$1/g, `'${at}'`));
      const store = await openStore(url, { migrate: true });
      try {
        const listed = await store.read((s) => s.listRequestLog("t1", 10));
        expect(listed.map((e) => [e.requestId, e.unauthenticated ?? false])).toEqual([["anon2", true], ["ok2", false], ["anon1", true], ["ok1", false]]);
        const sink = store.openRequestLogSink();
        await sink.write([], ["t1"], { authenticated: 1, unauthenticated: 0 });
        await sink.close();
        expect((await store.read((s) => s.listRequestLog("t1", 10))).map((e) => e.requestId)).toEqual(["ok2"]);
        expect(await store.read((s) => s.countUnauthenticatedDropped("t1"))).toBe(2);
      } finally {
        await store.close();
      }
    });

    it("migrates once when several processes start at the same moment, and lets exactly one create a userName", async () => {
      const url = await database.schemaUrl("processes");
      const writer = new URL("./postgres-writer.ts", import.meta.url).pathname;
      const run = (id: string, userName: string) =>
        promisify(execFile)(process.execPath, ["--import", "tsx", writer, url, id, userName]).then((r) => r.stdout);
      const outcomes = await Promise.all([run("u-1", "dana"), run("u-2", "DANA"), run("u-3", "Dana"), run("u-4", "dAna")]);
      expect(outcomes.sort()).toEqual(["StoreConflictError", "StoreConflictError", "StoreConflictError", "won"]);
      const migrations = await database.query(`select name from processes.kysely_migration order by name`);
      const expected = Object.keys(await migrationProvider(POSTGRES_DIALECT).getMigrations()).sort();
      expect(migrations.rows).toEqual(expected.map((name) => ({ name })));
      const users = await database.query(`select name_ci from processes.resources where kind = 'User'`);
      expect(users.rows).toEqual([{ name_ci: "dana" }]);
    }, 60_000);

    it("migrates again as a no-op", async () => {
      const url = await database.schemaUrl("twice");
      const first = await openStore(url, { migrate: true });
      await first.close();
      const second = await openStore(url, { migrate: true });
      await second.ping();
      await second.close();
    });

    it.each([
      ["true", "fails"],
      ["1", "fails"],
      ["", "skips"],
      ["false", "skips"],
    ] as const)("with CI=%s and PostgreSQL unreachable, the PostgreSQL suites %s", async (ci, outcome) => {
      const unreachable = "postgres://postgres@127.0.0.1:1/postgres";
      if (outcome === "fails") await expect(postgresAvailable(unreachable, ci)).rejects.toThrow(/unreachable .* CI is set/);
      else await expect(postgresAvailable(unreachable, ci)).resolves.toBe(false);
    });

    it("raises StoreUnavailableError when the server cannot be reached", async () => {
      const store = await openStore("postgres://postgres@127.0.0.1:1/nowhere", { connectTimeoutMs: 1000 });
      await expect(store.transaction((session) => session.listTenants())).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await store.close();
    });
  });

  // The plans at volume are in docs/postgres-explain.md (test/store/postgres-explain.ts);
  // here, with sequential scans priced out, each lookup must be answerable from an index.
  describe("index use", () => {
    const captured: { sql: string; parameters: readonly unknown[] }[] = [];
    let store: SqlStore;
    let url: string;
    beforeAll(async () => {
      url = await database.schemaUrl("explain");
      const db = new Kysely<Database>({
        dialect: createPostgresDialect({ connectionString: url, poolSize: 1, connectTimeoutMs: 5000 }),
        log: (event) => {
          if (event.level === "query") captured.push({ sql: event.query.sql, parameters: event.query.parameters });
        },
      });
      store = new SqlStore(db, POSTGRES_DIALECT);
      await store.migrate();
      await store.transaction((session) => session.createTenant({ id: "t1", slug: "acme", created: "2024-01-01T00:00:00.000Z" }));
      // Enough rows that the planner's choice between indexes means something.
      await database.query(`set search_path = explain;
        insert into resources select 't1', 'u-' || i, 'User', 'user' || i || '@example.com', 'ext-' || i, 'user ' || i, 'User ' || i, 1, '2024', '2024', 1, '{}'
          from generate_series(1, 5000) as i;
        insert into resources select 't1', 'g-' || i, 'Group', 'group ' || i, null, 'group ' || i, 'Group ' || i, null, '2024', '2024', 1, '{}'
          from generate_series(1, 200) as i;
        insert into resource_emails select 't1', 'u-' || i, 0, 'user' || i || '@example.com', 'work', 1 from generate_series(1, 5000) as i;
        insert into group_members select 't1', 'g-' || (1 + i % 200), 'u-' || i, 'User' from generate_series(1, 5000) as i;
        analyze;`);
    });
    afterAll(async () => {
      await store?.close();
    });

    /** PostgreSQL's plan of a captured query, its values written in, with sequential scans priced out. */
    async function planWithoutSeqScans(query: { readonly sql: string; readonly parameters: readonly unknown[] }): Promise<string> {
      const plan = await database.query(
        `begin; set local search_path = explain; set local enable_seqscan = off; explain (costs off) ${query.sql}`.replace(/\$(\d+)/g, (_, n: string) => literal(query.parameters[Number(n) - 1])),
      );
      return [plan].flat().flatMap((result) => result.rows ?? []).map((row: Record<string, string>) => row["QUERY PLAN"]).join("\n");
    }

    it.each([
      ["User", 'userName eq "Bjensen@Example.com"', "name_ci"],
      ["User", 'externalId eq "ext-1"', "external_id"],
      ["User", 'emails.value eq "bjensen@example.com"', "value_ci"],
      ["Group", 'displayName eq "Sales"', "name_ci"],
      ["Group", 'members.value eq "u-1"', "member_id"],
      ["Group", 'id eq "g-1" and members[value eq "u-1"]', "member_id"],
    ] as const)("answers a %s lookup by %s from an index on %s", async (kind, text, column) => {
      captured.length = 0;
      await store.transaction((session) => session.queryResources("t1", kind, { filter: filterOf(text, kind === "User" ? USER : GROUP), count: 10 }));
      const selects = captured.filter((query) => /^select/i.test(query.sql));
      expect(selects.length).toBeGreaterThan(0);
      for (const query of selects) {
        const text = await planWithoutSeqScans(query);
        expect(text).toMatch(new RegExp(`Index Cond: .*\\b${column} = `));
        expect(text).not.toMatch(/Seq Scan/);
      }
    });

    it("reads a user with its groups, by id and by an Okta lookup, from indexes only", async () => {
      captured.length = 0;
      const withGroups = { managed: true };
      await store.read(async (session) => {
        expect((await session.findResource("t1", "User", "u-7", { withGroups }))?.groups).toEqual([{ value: "g-8", display: "Group 8" }]);
        const page = await session.queryResources("t1", "User", { filter: filterOf('userName eq "user7@example.com"', USER), count: 10, managed: true, withGroups });
        expect(page.resources.map((r) => r.groups)).toEqual([[{ value: "g-8", display: "Group 8" }]]);
      });
      const selects = captured.filter((query) => /^select/i.test(query.sql));
      expect(selects).toHaveLength(2);
      for (const query of selects) {
        const text = await planWithoutSeqScans(query);
        expect(text).toMatch(/SubPlan/);
        expect(text).toMatch(/Index Cond: .*\bmember_id = /);
        expect(text).not.toMatch(/Seq Scan/);
      }
    });
  });
});

function literal(value: unknown): string {
  return typeof value === "number" ? String(value) : `'${String(value).replaceAll("'", "''")}'`;
}
