import { readFileSync } from "node:fs";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, testDatabaseKind, type TestRoster } from "../helpers/roster.js";

// Issue 20, item 1: documents stored before Roster refused lone surrogates hold them as a
// "\ud800" escape in their JSON text. docs/operations.md gives the query that finds them;
// this runs that very query (read from the doc) on a document planted as an earlier
// version stored it, and checks that fixing the value through the SCIM API clears it.

const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const kind = testDatabaseKind();

function documentedQuery(): string {
  const doc = readFileSync(new URL("../../docs/operations.md", import.meta.url), "utf8");
  const marker = `-- lone surrogates: ${kind === "postgres" ? "PostgreSQL" : "SQLite"}\n`;
  const start = doc.indexOf(marker);
  expect(start, `docs/operations.md has a block starting "${marker.trim()}"`).toBeGreaterThan(0);
  const end = doc.indexOf("```", start);
  return doc.slice(start + marker.length, end).trim().replace(/;$/, "");
}

/** Runs SQL straight on the server's database, as an operator's client would. */
async function onDatabase<T>(roster: TestRoster, text: string, values: unknown[] = []): Promise<T[]> {
  if (kind === "sqlite") {
    const db = new Database(roster.databaseUrl);
    try {
      db.pragma("busy_timeout = 5000");
      const statement = db.prepare(text);
      if (statement.reader) return statement.raw().all(...values) as T[];
      statement.run(...values);
      return [];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: roster.databaseUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    const result = await client.query({ text, values, rowMode: "array" });
    return result.rows as T[];
  } finally {
    await client.end();
  }
}

let roster: TestRoster;

beforeAll(async () => {
  roster = await startTestRoster();
});
afterAll(async () => {
  await roster.close();
});

describe("lone surrogates stored by earlier versions", () => {
  it("are found by the query in docs/operations.md, and a PATCH through the SCIM API clears them and the tenant's filters", async () => {
    const t = await roster.addTenant("stored-unicode");
    const other = await roster.addTenant("stored-unicode-clean");
    const planted = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "legacy@example.com", nickName: "plain", title: "x" } });
    expect(planted.status).toBe(201);
    const clean = await other.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "clean@example.com", nickName: "smile \u{1F600}", title: "x" } });
    expect(clean.status).toBe(201);
    const query = documentedQuery();
    expect(await onDatabase(roster, query)).toEqual([]);

    // What an earlier version wrote for "nickName": "\ud800": JSON.stringify's escape.
    const placeholder = kind === "postgres" ? ["$1", "$2", "$3"] : ["?", "?", "?"];
    await onDatabase(roster, `update resources set data = replace(data, ${placeholder[0]}, ${placeholder[1]}) where id = ${placeholder[2]}`, [
      '"nickName":"plain"',
      '"nickName":"\\ud800"',
      planted.body.id,
    ]);
    expect(await onDatabase(roster, query)).toEqual([["stored-unicode", "User", planted.body.id]]);

    const fixed = await t.scim(`/Users/${planted.body.id}`, {
      method: "PATCH",
      body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "nickName", value: "fixed" }] },
    });
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(200);
    expect(fixed.body.nickName).toBe("fixed");
    expect(await onDatabase(roster, query)).toEqual([]);
    for (const filter of ['title eq "x"', "userName pr", "emails pr"]) {
      const response = await t.scim(`/Users?filter=${encodeURIComponent(filter)}`);
      expect(response.status, `${filter}: ${JSON.stringify(response.body)}`).toBe(200);
    }
  });
});
