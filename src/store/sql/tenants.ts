import { type Kysely, sql } from "kysely";
import type { Tenant, TenantChanges, TenantPageQuery } from "../store.js";
import type { SqlDialect } from "./dialect.js";
import { toTenant } from "./mappers.js";
import type { Database } from "./schema.js";

const COLUMNS = ["id", "slug", "created", "profile_version", "name", "scim_enabled"] as const;

/** `text` as a LIKE pattern matching itself anywhere: `\`, `%` and `_` escaped with `\`. */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Keyset-paged on the slug's unique index: a page reads the index from `after` on and stops
 * at `limit` matches, so the first pages cost the same at 10 k tenants as at 10. A search
 * (`q`) filters the rows read in that order (lower-cased slug and name, LIKE with `\` as
 * escape on both databases).
 */
export async function listTenantsPage(db: Kysely<Database>, query: TenantPageQuery): Promise<readonly Tenant[]> {
  let select = db.selectFrom("tenants").select(COLUMNS);
  if (query.after !== undefined) select = select.where("slug", ">", query.after);
  if (query.q !== undefined && query.q.length > 0) {
    const pattern = containsPattern(query.q);
    select = select.where((eb) =>
      eb.or([sql<boolean>`lower(slug) like ${pattern} escape '\\'`, sql<boolean>`lower(coalesce(name, '')) like ${pattern} escape '\\'`]),
    );
  }
  const rows = await select.orderBy("slug").limit(Math.max(0, Math.trunc(query.limit))).execute();
  return rows.map(toTenant);
}

export async function findTenantById(db: Kysely<Database>, tenantId: string): Promise<Tenant | undefined> {
  const row = await db.selectFrom("tenants").select(COLUMNS).where("id", "=", tenantId).executeTakeFirst();
  return row === undefined ? undefined : toTenant(row);
}

export async function updateTenant(db: Kysely<Database>, tenantId: string, changes: TenantChanges): Promise<Tenant | undefined> {
  const set: { name?: string | null; scim_enabled?: number } = {};
  if (changes.name !== undefined) set.name = changes.name;
  if (changes.scimEnabled !== undefined) set.scim_enabled = changes.scimEnabled ? 1 : 0;
  const row =
    Object.keys(set).length === 0
      ? await db.selectFrom("tenants").select(COLUMNS).where("id", "=", tenantId).executeTakeFirst()
      : await db.updateTable("tenants").set(set).where("id", "=", tenantId).returning(COLUMNS).executeTakeFirst();
  return row === undefined ? undefined : toTenant(row);
}

/**
 * The tenant's resources go first (their emails and memberships with them), then its row,
 * whose foreign keys take the rest (tokens, API keys, lists, events, webhooks, deliveries;
 * on PostgreSQL the request log). Resources first because a SCIM write in flight locks the
 * rows it changes before it takes anything of the tenant's: waiting for those rows before
 * holding the tenant's row keeps the two from waiting on each other (ADR 0031).
 * PostgreSQL's directory versions (migration 0010) have no foreign key: removed by hand,
 * after the triggers of the resource delete counted it.
 */
export async function deleteTenant(db: Kysely<Database>, dialect: SqlDialect, tenantId: string): Promise<boolean> {
  await db.deleteFrom("resources").where("tenant_id", "=", tenantId).execute();
  const result = await db.deleteFrom("tenants").where("id", "=", tenantId).executeTakeFirst();
  if (dialect.name === "postgres") await sql`delete from directory_versions where tenant_id = ${tenantId}`.execute(db);
  return result.numDeletedRows > 0n;
}
