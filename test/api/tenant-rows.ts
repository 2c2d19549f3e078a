import Database from "better-sqlite3";
import pg from "pg";
import { requestLogPath } from "../../src/store/sql/request-log-file.js";
import type { TestRoster } from "../helpers/roster.js";

/** Every table that holds rows of a tenant (its own row aside), as the database names them. */
const TENANT_TABLES = [
  "tokens",
  "resources",
  "resource_emails",
  "group_members",
  "api_keys",
  "app_lists",
  "events",
  "webhooks",
  "deliveries",
] as const;

/**
 * How many rows each table holds for the tenant id, read straight from the database the
 * server uses (a connection of the test's own): the tenant's row, every table it owns, its
 * request log (SQLite: the log's own file) and, on PostgreSQL, its directory versions.
 */
export async function countTenantRows(roster: TestRoster, tenantId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  if (roster.store.dialect === "sqlite") {
    const db = new Database(roster.databaseUrl, { readonly: true });
    try {
      counts["tenants"] = Number((db.prepare("select count(*) as n from tenants where id = ?").get(tenantId) as { n: number }).n);
      for (const table of TENANT_TABLES) counts[table] = Number((db.prepare(`select count(*) as n from ${table} where tenant_id = ?`).get(tenantId) as { n: number }).n);
    } finally {
      db.close();
    }
    const log = new Database(requestLogPath(roster.databaseUrl), { readonly: true });
    try {
      for (const table of ["request_log", "request_log_dropped"]) counts[table] = Number((log.prepare(`select count(*) as n from ${table} where tenant_id = ?`).get(tenantId) as { n: number }).n);
    } finally {
      log.close();
    }
    return counts;
  }
  const client = new pg.Client({ connectionString: roster.databaseUrl });
  await client.connect();
  try {
    const count = async (table: string, column: string) =>
      Number((await client.query<{ n: string }>(`select count(*) as n from ${table} where ${column} = $1`, [tenantId])).rows[0]?.n ?? "0");
    counts["tenants"] = await count("tenants", "id");
    for (const table of [...TENANT_TABLES, "request_log", "request_log_dropped", "directory_versions"]) counts[table] = await count(table, "tenant_id");
  } finally {
    await client.end();
  }
  return counts;
}

/** The same tables, all zero: what a deleted tenant leaves. */
export function noRows(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(counts).map((table) => [table, 0]));
}
