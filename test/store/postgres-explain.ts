// Prints, as Markdown, PostgreSQL's plans for the lookups Okta and Entra ID send, over a
// directory of 100,000 users and 2,000 groups: the source of docs/postgres-explain.md.
//   npx tsx test/store/postgres-explain.ts > /tmp/explain.md
import { Kysely, sql } from "kysely";
import { createPostgresDialect, POSTGRES_DIALECT } from "../../src/store/sql/dialect-postgres.js";
import type { Database } from "../../src/store/sql/schema.js";
import { SqlStore } from "../../src/store/sql/sql-store.js";
import { createTestDatabase } from "../helpers/postgres.js";
import { filterOf, GROUP, USER } from "./fixtures.js";

const USERS = 100_000;
const GROUPS = 2_000;

const LOOKUPS = [
  { who: "Okta and Entra: does this user exist?", kind: "User", filter: 'userName eq "user4242@example.com"' },
  { who: "Entra: match by externalId", kind: "User", filter: 'externalId eq "ext-4242"' },
  { who: "Okta (matching on email)", kind: "User", filter: 'emails.value eq "USER4242@example.com"' },
  { who: "Okta and Entra: does this group exist?", kind: "Group", filter: 'displayName eq "Group 42"' },
  { who: "Entra: is this user a member of the group?", kind: "Group", filter: 'id eq "g243" and members[value eq "u4242"]' },
  { who: "Groups a user belongs to", kind: "Group", filter: 'members.value eq "u4242"' },
] as const;

const database = await createTestDatabase("explain");
const captured: { sql: string; parameters: readonly unknown[] }[] = [];
const db = new Kysely<Database>({
  dialect: createPostgresDialect({ connectionString: database.url, poolSize: 2, connectTimeoutMs: 5000 }),
  log: (event) => {
    if (event.level === "query") captured.push({ sql: event.query.sql, parameters: event.query.parameters });
  },
});
const store = new SqlStore(db, POSTGRES_DIALECT);
try {
  await store.migrate();
  await sql`insert into tenants values ('t1', 'acme', '2024-01-01T00:00:00.000Z'), ('t2', 'globex', '2024-01-01T00:00:00.000Z')`.execute(db);
  for (const tenant of ["t1", "t2"]) {
    await sql`insert into resources (tenant_id, id, kind, name_ci, external_id, display_name_ci, display, active, created, last_modified, version, data)
      select ${tenant}, 'u' || i, 'User', 'user' || i || '@example.com', 'ext-' || i, 'user ' || i, 'User ' || i, 1,
        '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', 1,
        json_build_object('userName', 'user' || i || '@example.com', 'externalId', 'ext-' || i, 'displayName', 'User ' || i, 'active', true,
          'emails', json_build_array(json_build_object('value', 'user' || i || '@example.com', 'type', 'work', 'primary', true)))::text
      from generate_series(1, ${USERS}) as i`.execute(db);
    await sql`insert into resource_emails select ${tenant}, 'u' || i, 0, 'user' || i || '@example.com', 'work', 1 from generate_series(1, ${USERS}) as i`.execute(db);
    await sql`insert into resources (tenant_id, id, kind, name_ci, external_id, display_name_ci, display, active, created, last_modified, version, data)
      select ${tenant}, 'g' || i, 'Group', 'group ' || i, null, 'group ' || i, 'Group ' || i, null,
        '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z', 1, json_build_object('displayName', 'Group ' || i)::text
      from generate_series(1, ${GROUPS}) as i`.execute(db);
    // Every user in three groups: 300,000 membership rows per tenant.
    await sql`insert into group_members select ${tenant}, 'g' || (1 + (i * k) % ${GROUPS}), 'u' || i, 'User'
      from generate_series(1, ${USERS}) as i, generate_series(1, 3) as k on conflict do nothing`.execute(db);
  }
  await sql`analyze`.execute(db);

  const out: string[] = [];
  for (const lookup of LOOKUPS) {
    captured.length = 0;
    const filter = filterOf(lookup.filter, lookup.kind === "User" ? USER : GROUP);
    await store.transaction((session) => session.queryResources("t1", lookup.kind, { filter, count: 100 }));
    out.push(`### \`${lookup.filter}\` (${lookup.kind}s) — ${lookup.who}`, "");
    for (const query of captured.filter((q) => /^select/i.test(q.sql))) {
      const label = /count\(\*\)/i.test(query.sql) ? "count" : "page";
      const plan = await database.query(`explain (analyze, costs off, timing off, summary off) ${query.sql}`, query.parameters);
      out.push(`${label}:`, "", "```", plan.rows.map((row: Record<string, string>) => row["QUERY PLAN"]).join("\n"), "```", "");
    }
  }
  process.stdout.write(`${out.join("\n")}\n`);
} finally {
  await store.close();
  await database.drop();
}
