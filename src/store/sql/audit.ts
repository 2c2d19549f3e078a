import type { Kysely, Selectable } from "kysely";
import type { AuditEntry, NewAuditEntry } from "../store.js";
import type { AuditLogTable, Database } from "./schema.js";

export async function insertAuditEntry(db: Kysely<Database>, entry: NewAuditEntry): Promise<void> {
  await db
    .insertInto("audit_log")
    .values({
      id: entry.id,
      tenant_id: entry.tenantId,
      tenant_slug: entry.tenantSlug,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      details: entry.details,
    })
    .execute();
}

/** Newest first, keyset-paged on `seq` (audit_log_tenant_seq serves one tenant's; the primary key all). */
export async function listAuditEntries(
  db: Kysely<Database>,
  query: { readonly tenantId?: string; readonly before?: number; readonly limit: number },
): Promise<readonly AuditEntry[]> {
  let select = db.selectFrom("audit_log").selectAll();
  if (query.tenantId !== undefined) select = select.where("tenant_id", "=", query.tenantId);
  if (query.before !== undefined) select = select.where("seq", "<", query.before);
  const rows = await select.orderBy("seq", "desc").limit(Math.max(0, Math.trunc(query.limit))).execute();
  return rows.map(toAuditEntry);
}

function toAuditEntry(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    seq: Number(row.seq),
    id: row.id,
    tenantId: row.tenant_id,
    tenantSlug: row.tenant_slug,
    at: row.at,
    actor: row.actor,
    action: row.action,
    target: row.target,
    details: row.details,
  };
}
