import { Kysely, sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_DIALECT, createPostgresDialects } from "../../src/store/sql/dialect-postgres.js";
import type { Database } from "../../src/store/sql/schema.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const TIMEOUT_MS = 300;

// PostgreSQL only (POSTGRES_ONLY in vitest.config.ts): SQLite has no statement timeout
// (better-sqlite3 offers no way to interrupt a statement; ADR 0024 says what bounds SQLite instead).
describe("the statement timeout of SCIM reads (PostgreSQL)", () => {
  let roster: TestRoster;
  let t: TestTenant;
  let locker: pg.Client;
  const before = process.env["ROSTER_STATEMENT_TIMEOUT_MS"];

  beforeAll(async () => {
    process.env["ROSTER_STATEMENT_TIMEOUT_MS"] = String(TIMEOUT_MS);
    roster = await startTestRoster();
    if (before === undefined) delete process.env["ROSTER_STATEMENT_TIMEOUT_MS"];
    else process.env["ROSTER_STATEMENT_TIMEOUT_MS"] = before;
    t = await roster.addTenant("timeout");
    expect((await t.scim("/Users", { body: { userName: "first@example.com", title: "x" } })).status).toBe(201);
    locker = new pg.Client({ connectionString: roster.databaseUrl });
    await locker.connect();
  });
  afterAll(async () => {
    await locker?.end();
    await roster?.close();
  });

  it("answers a read cancelled by it with 503, Retry-After and a SCIM body saying so", async () => {
    // Every statement on `resources` waits for this lock until ROLLBACK; the read gives up at the timeout.
    await locker.query("begin");
    await locker.query("lock table resources in access exclusive mode");
    try {
      const read = await t.scim(`/Users?filter=${encodeURIComponent('title eq "x"')}`);
      expect(read.status).toBe(503);
      expect(read.headers.get("retry-after")).toBe("5");
      expect(read.body).toEqual({
        schemas: [ERROR],
        status: "503",
        detail: `the query ran longer than the statement timeout (${TIMEOUT_MS} ms) and was cancelled: narrow the filter (docs/filters.md, "Complexity budget") or retry later`,
      });
    } finally {
      await locker.query("rollback");
    }
    const after = await t.scim(`/Users?filter=${encodeURIComponent('title eq "x"')}`);
    expect(after.status).toBe(200);
    expect(after.body.totalResults).toBe(1);
  });

  it("puts only reads under it: on one pooled connection, a read past it is cancelled and a write as long is not", async () => {
    const { reads, writes } = createPostgresDialects({ connectionString: roster.databaseUrl, poolSize: 1, connectTimeoutMs: 5000, statementTimeoutMs: TIMEOUT_MS });
    const writeDb = new Kysely<Database>({ dialect: writes });
    const readDb = new Kysely<Database>({ dialect: reads! });
    const sleep = (db: Kysely<Database>) =>
      sql`select pg_sleep(${(TIMEOUT_MS * 3) / 1000})`.execute(db).then(
        () => "finished",
        (error: { code?: string }) => `failed ${error.code}`,
      );
    try {
      expect(await sleep(readDb)).toBe("failed 57014");
      expect(await sleep(writeDb)).toBe("finished");
      expect(await sleep(readDb)).toBe("failed 57014");
      expect(POSTGRES_DIALECT.isStatementTimeout({ code: "57014" })).toBe(true);
    } finally {
      await readDb.destroy();
      await writeDb.destroy();
    }
  });
});
