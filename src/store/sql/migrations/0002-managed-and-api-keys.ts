import { type Kysely, type Migration, sql } from "kysely";
import type { SqlDialect } from "../dialect.js";

// Managed and unmanaged entities, token principals, API keys and the application's named
// lists (docs/decisions/0009-managed-and-unmanaged.md). Idempotent like 0001: columns are
// added only when missing, so a run interrupted before the migrator recorded it runs again.
export function managedAndApiKeysMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const schema = await dialect.currentSchema(db);
      const tables = await db.introspection.getTables();
      const columnsOf = (table: string) =>
        new Set(tables.find((t) => t.name === table && (schema === undefined || t.schema === schema))?.columns.map((c) => c.name) ?? []);

      // 1 for resources created over SCIM (every existing one), 0 for the application's own.
      if (!columnsOf("resources").has("managed")) {
        await db.schema.alterTable("resources").addColumn("managed", "integer", (c) => c.notNull().defaultTo(1)).execute();
      }
      // userName is unique per tenant among managed users and among unmanaged users, ignoring case:
      // the identity provider's ecosystem and the application's own may share a userName.
      await db.schema.dropIndex("resources_user_name_unique").ifExists().execute();
      await db.schema
        .createIndex("resources_managed_user_name_unique")
        .ifNotExists()
        .unique()
        .on("resources")
        .columns(["tenant_id", "managed", "name_ci"])
        .where(sql.ref("kind"), "=", sql.lit("User"))
        .execute();

      // The unmanaged user a token belongs to; null for a token of the tenant alone.
      if (!columnsOf("tokens").has("principal_id")) {
        await db.schema.alterTable("tokens").addColumn("principal_id", dialect.textType).execute();
      }

      await db.schema
        .createTable("api_keys")
        .ifNotExists()
        .addColumn("id", dialect.textType, (c) => c.primaryKey())
        // null: an administrator key, valid on every tenant.
        .addColumn("tenant_id", dialect.textType, (c) => c.references("tenants.id").onDelete("cascade"))
        .addColumn("name", dialect.textType, (c) => c.notNull())
        .addColumn("hash", dialect.textType, (c) => c.notNull())
        .addColumn("created", dialect.textType, (c) => c.notNull())
        .addColumn("revoked", dialect.textType)
        .execute();
      await db.schema.createIndex("api_keys_hash").ifNotExists().on("api_keys").column("hash").execute();

      await db.schema
        .createTable("app_lists")
        .ifNotExists()
        .addColumn("tenant_id", dialect.textType, (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("name", dialect.textType, (c) => c.notNull())
        /** A JSON array of strings. */
        .addColumn("entries", dialect.textType, (c) => c.notNull())
        .addColumn("updated", dialect.textType, (c) => c.notNull())
        .addPrimaryKeyConstraint("app_lists_pk", ["tenant_id", "name"])
        .execute();
    },
  };
}
