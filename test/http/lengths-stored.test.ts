import { readFileSync } from "node:fs";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, testDatabaseKind, type TestRoster } from "../helpers/roster.js";

// Issue 20, item 8: values longer than today's limits, stored by earlier versions, keep
// working, and docs/operations.md gives the query that lists them; this runs that very
// query (read from the doc) on values planted as an earlier version stored them.

const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const kind = testDatabaseKind();

function documentedQuery(): string {
  const doc = readFileSync(new URL("../../docs/operations.md", import.meta.url), "utf8");
  const marker = "-- values longer than the limits: PostgreSQL and SQLite\n";
  const start = doc.indexOf(marker);
  expect(start, `docs/operations.md has a block starting "${marker.trim()}"`).toBeGreaterThan(0);
  const end = doc.indexOf("```", start);
  return doc.slice(start + marker.length, end).trim().replace(/;$/, "");
}

/** Runs SQL straight on the server's database, as an operator's client would. */
async function onDatabase<T>(roster: TestRoster, text: string): Promise<T[]> {
  if (kind === "sqlite") {
    const db = new Database(roster.databaseUrl, { readonly: true });
    try {
      db.pragma("busy_timeout = 5000");
      return db.prepare(text).raw().all() as T[];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: roster.databaseUrl, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return (await client.query({ text, rowMode: "array" })).rows as T[];
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

describe("values longer than the limits, stored by earlier versions", () => {
  it("are listed by the query in docs/operations.md, survive deactivation, and a PATCH that fits clears them", async () => {
    const t = await roster.addTenant("stored-lengths");
    const userName = `${"\u00e9".repeat(600)}@example.com`;
    const created = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "legacy@example.com", emails: [{ value: "legacy@example.com" }] } });
    expect(created.status).toBe(201);
    const untouched = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: `${"\u{1F600}".repeat(500)}@example.com` } });
    expect(untouched.status, "512 four-byte characters are within the limit").toBe(201);
    const query = documentedQuery();
    expect(await onDatabase(roster, query)).toEqual([]);

    // As an earlier version stored it: written to the store directly, past today's checks.
    await roster.store.transaction(async (session) => {
      const stored = await session.findResource(t.tenant.id, "User", created.body.id);
      const document = { ...stored!.document, userName, emails: [{ value: userName }] };
      await session.updateResource({ ...stored!, document, version: stored!.version + 1 });
    });
    expect(await onDatabase(roster, query)).toEqual([["stored-lengths", "User", created.body.id]]);

    const deactivated = await t.scim(`/Users/${created.body.id}`, {
      method: "PATCH",
      body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] },
    });
    expect(deactivated.status, JSON.stringify(deactivated.body)?.slice(0, 300)).toBe(200);
    expect(deactivated.body.userName).toBe(userName);

    const fixed = await t.scim(`/Users/${created.body.id}`, {
      method: "PATCH",
      body: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { userName: "legacy@example.com", emails: [{ value: "legacy@example.com" }] } }] },
    });
    expect(fixed.status, JSON.stringify(fixed.body)?.slice(0, 300)).toBe(200);
    expect(await onDatabase(roster, query)).toEqual([]);
  });
});
