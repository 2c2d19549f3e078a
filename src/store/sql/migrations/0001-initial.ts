import { type Kysely, type Migration, sql } from "kysely";
import type { SqlDialect } from "../dialect.js";

// Every statement is idempotent (IF NOT EXISTS) so that a run interrupted before the
// migrator recorded it can simply run again.
export function initialMigration(dialect: SqlDialect): Migration {
  return {
    // Migrations are untyped by nature: they describe the schema the row types are checked against.
    async up(db: Kysely<any>): Promise<void> {
      await dialect.installFunctions(db);
      await db.schema
        .createTable("tenants")
        .ifNotExists()
        .addColumn("id", dialect.textType, (c) => c.primaryKey())
        .addColumn("slug", dialect.textType, (c) => c.notNull())
        .addColumn("created", dialect.textType, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("tenants_slug_unique").ifNotExists().unique().on("tenants").column("slug").execute();

      await db.schema
        .createTable("tokens")
        .ifNotExists()
        .addColumn("id", dialect.textType, (c) => c.primaryKey())
        .addColumn("tenant_id", dialect.textType, (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("name", dialect.textType, (c) => c.notNull())
        .addColumn("hash", dialect.textType, (c) => c.notNull())
        .addColumn("created", dialect.textType, (c) => c.notNull())
        .addColumn("last_used", dialect.textType)
        .addColumn("revoked", dialect.textType)
        .execute();
      await db.schema.createIndex("tokens_hash").ifNotExists().on("tokens").column("hash").execute();
      await db.schema.createIndex("tokens_tenant").ifNotExists().on("tokens").column("tenant_id").execute();

      await db.schema
        .createTable("request_log")
        .ifNotExists()
        .addColumn("seq", dialect.identityColumnType, (c) => dialect.identityColumn(c))
        .addColumn("tenant_id", dialect.textType, (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("request_id", dialect.textType, (c) => c.notNull())
        .addColumn("at", dialect.textType, (c) => c.notNull())
        .addColumn("method", dialect.textType, (c) => c.notNull())
        .addColumn("path", dialect.textType, (c) => c.notNull())
        .addColumn("status", "integer", (c) => c.notNull())
        .addColumn("duration_ms", dialect.doubleType, (c) => c.notNull())
        .addColumn("scim_type", dialect.textType)
        .addColumn("error_detail", dialect.textType)
        .addColumn("user_agent", dialect.textType)
        .addColumn("request_body", dialect.textType)
        .execute();
      await db.schema.createIndex("request_log_tenant_seq").ifNotExists().on("request_log").columns(["tenant_id", "seq"]).execute();

      await db.schema
        .createTable("resources")
        .ifNotExists()
        .addColumn("tenant_id", dialect.textType, (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("id", dialect.textType, (c) => c.notNull())
        .addColumn("kind", dialect.textType, (c) => c.notNull())
        .addColumn("name_ci", dialect.textType, (c) => c.notNull())
        .addColumn("external_id", dialect.textType)
        .addColumn("display_name_ci", dialect.textType)
        .addColumn("display", dialect.textType)
        .addColumn("active", "integer")
        .addColumn("created", dialect.textType, (c) => c.notNull())
        .addColumn("last_modified", dialect.textType, (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("data", dialect.textType, (c) => c.notNull())
        .addPrimaryKeyConstraint("resources_pk", ["tenant_id", "id"])
        .execute();
      // userName is unique per tenant ignoring case: concurrent creates lose here, not in a read-then-write check.
      await db.schema
        .createIndex("resources_user_name_unique")
        .ifNotExists()
        .unique()
        .on("resources")
        .columns(["tenant_id", "name_ci"])
        .where(sql.ref("kind"), "=", sql.lit("User"))
        .execute();
      for (const column of ["name_ci", "external_id", "display_name_ci", "created", "last_modified"]) {
        await db.schema
          .createIndex(`resources_${column}`)
          .ifNotExists()
          .on("resources")
          .columns(["tenant_id", "kind", column])
          .execute();
      }

      await db.schema
        .createTable("resource_emails")
        .ifNotExists()
        .addColumn("tenant_id", dialect.textType, (c) => c.notNull())
        .addColumn("resource_id", dialect.textType, (c) => c.notNull())
        .addColumn("position", "integer", (c) => c.notNull())
        .addColumn("value_ci", dialect.textType)
        .addColumn("type", dialect.textType)
        .addColumn("is_primary", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("resource_emails_pk", ["tenant_id", "resource_id", "position"])
        .addForeignKeyConstraint("resource_emails_resource", ["tenant_id", "resource_id"], "resources", ["tenant_id", "id"], (c) =>
          c.onDelete("cascade"),
        )
        .execute();
      await db.schema.createIndex("resource_emails_value").ifNotExists().on("resource_emails").columns(["tenant_id", "value_ci"]).execute();

      await db.schema
        .createTable("group_members")
        .ifNotExists()
        .addColumn("tenant_id", dialect.textType, (c) => c.notNull())
        .addColumn("group_id", dialect.textType, (c) => c.notNull())
        .addColumn("member_id", dialect.textType, (c) => c.notNull())
        .addColumn("member_kind", dialect.textType, (c) => c.notNull())
        .addPrimaryKeyConstraint("group_members_pk", ["tenant_id", "group_id", "member_id"])
        .addForeignKeyConstraint("group_members_group", ["tenant_id", "group_id"], "resources", ["tenant_id", "id"], (c) =>
          c.onDelete("cascade"),
        )
        .addForeignKeyConstraint("group_members_member", ["tenant_id", "member_id"], "resources", ["tenant_id", "id"], (c) =>
          c.onDelete("cascade"),
        )
        .execute();
      await db.schema.createIndex("group_members_member").ifNotExists().on("group_members").columns(["tenant_id", "member_id"]).execute();
    },
  };
}
