import type { Kysely, Migration } from "kysely";
import type { SqlDialect } from "../dialect.js";

// The control plane (issue 21, docs/management-api.md): a tenant's display name and its SCIM
// sync switch, an optional expiry for SCIM tokens, and the audit log of control-plane
// changes. Audit entries outlive their tenant (a deletion is itself audited), so they name it
// by id and slug without a foreign key. Idempotent like 0002.
export function controlPlaneMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const schema = await dialect.currentSchema(db);
      const tables = await db.introspection.getTables();
      const columnsOf = (table: string) =>
        new Set(tables.find((t) => t.name === table && (schema === undefined || t.schema === schema))?.columns.map((c) => c.name) ?? []);

      const tenantColumns = columnsOf("tenants");
      if (!tenantColumns.has("name")) await db.schema.alterTable("tenants").addColumn("name", dialect.textType).execute();
      if (!tenantColumns.has("scim_enabled")) {
        await db.schema.alterTable("tenants").addColumn("scim_enabled", "integer", (c) => c.notNull().defaultTo(1)).execute();
      }
      if (!columnsOf("tokens").has("expires_at")) await db.schema.alterTable("tokens").addColumn("expires_at", dialect.textType).execute();

      await db.schema
        .createTable("audit_log")
        .ifNotExists()
        .addColumn("seq", dialect.identityColumnType, (c) => dialect.identityColumn(c))
        .addColumn("id", dialect.textType, (c) => c.notNull().unique())
        /** Null for a change outside any tenant (an administrator key). */
        .addColumn("tenant_id", dialect.textType)
        .addColumn("tenant_slug", dialect.textType)
        .addColumn("at", dialect.textType, (c) => c.notNull())
        /** `apikey:<id>` or `cli`. */
        .addColumn("actor", dialect.textType, (c) => c.notNull())
        /** `tenant.created`, `token.revoked`, … (src/directory/audit.ts). */
        .addColumn("action", dialect.textType, (c) => c.notNull())
        /** What was changed: a tenant slug, a token or key id, a webhook id. */
        .addColumn("target", dialect.textType, (c) => c.notNull())
        /** JSON text `{"before"?, "after"?}` of the settings changed; never a secret. */
        .addColumn("details", dialect.textType)
        .execute();
      await db.schema.createIndex("audit_log_tenant_seq").ifNotExists().on("audit_log").columns(["tenant_id", "seq"]).execute();
    },
  };
}
