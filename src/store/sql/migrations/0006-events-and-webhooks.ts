import { type Kysely, type Migration, sql } from "kysely";
import type { SqlDialect } from "../dialect.js";

// Change events, webhooks and their deliveries (docs/decisions/0010-change-events.md).
// Idempotent like 0002: a run interrupted before the migrator recorded it runs again.
export function eventsAndWebhooksMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const schema = await dialect.currentSchema(db);
      const tables = await db.introspection.getTables();
      const columnsOf = (table: string) =>
        new Set(tables.find((t) => t.name === table && (schema === undefined || t.schema === schema))?.columns.map((c) => c.name) ?? []);

      // The highest event sequence number retention has removed from the tenant's feed (0: none):
      // a cursor below it has expired.
      if (!columnsOf("tenants").has("events_pruned_seq")) {
        await db.schema.alterTable("tenants").addColumn("events_pruned_seq", "bigint", (c) => c.notNull().defaultTo(0)).execute();
      }

      // One row per change event, written in the transaction of the change. Within a tenant,
      // `seq` grows in commit order (writers of one tenant serialise on the event insert).
      await db.schema
        .createTable("events")
        .ifNotExists()
        .addColumn("seq", dialect.identityColumnType, (c) => dialect.identityColumn(c))
        .addColumn("id", dialect.textType, (c) => c.notNull().unique())
        .addColumn("tenant_id", dialect.textType, (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("type", dialect.textType, (c) => c.notNull())
        .addColumn("resource_type", dialect.textType, (c) => c.notNull())
        .addColumn("resource_id", dialect.textType, (c) => c.notNull())
        .addColumn("occurred_at", dialect.textType, (c) => c.notNull())
        /** The whole event as delivered (JSON text), `sequence` excepted. */
        .addColumn("data", dialect.textType, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("events_tenant_seq").ifNotExists().on("events").columns(["tenant_id", "seq"]).execute();
      await db.schema.createIndex("events_tenant_occurred").ifNotExists().on("events").columns(["tenant_id", "occurred_at"]).execute();

      await db.schema
        .createTable("webhooks")
        .ifNotExists()
        .addColumn("id", dialect.textType, (c) => c.primaryKey())
        .addColumn("tenant_id", dialect.textType, (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("url", dialect.textType, (c) => c.notNull())
        /** A JSON array of event type patterns (`user.*`, `group.member_added`, `*`). */
        .addColumn("events", dialect.textType, (c) => c.notNull())
        /** The signing secret, encrypted with ROSTER_SECRET_KEY (src/events/secret-box.ts). */
        .addColumn("secret", dialect.textType, (c) => c.notNull())
        .addColumn("enabled", "integer", (c) => c.notNull().defaultTo(1))
        /** The last event sequence number of the tenant turned into deliveries for this webhook. */
        .addColumn("cursor_seq", "bigint", (c) => c.notNull().defaultTo(0))
        .addColumn("created", dialect.textType, (c) => c.notNull())
        .addColumn("updated", dialect.textType, (c) => c.notNull())
        .execute();
      await db.schema.createIndex("webhooks_tenant").ifNotExists().on("webhooks").column("tenant_id").execute();

      await db.schema
        .createTable("deliveries")
        .ifNotExists()
        .addColumn("seq", dialect.identityColumnType, (c) => dialect.identityColumn(c))
        .addColumn("id", dialect.textType, (c) => c.notNull().unique())
        .addColumn("webhook_id", dialect.textType, (c) => c.notNull().references("webhooks.id").onDelete("cascade"))
        .addColumn("tenant_id", dialect.textType, (c) => c.notNull().references("tenants.id").onDelete("cascade"))
        .addColumn("event_seq", "bigint", (c) => c.notNull())
        .addColumn("event_id", dialect.textType, (c) => c.notNull())
        /** Deliveries of one resource key go out in event order (the resource the event is about). */
        .addColumn("resource_key", dialect.textType, (c) => c.notNull())
        /** pending | succeeded | failed */
        .addColumn("status", dialect.textType, (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_attempt_at", dialect.textType, (c) => c.notNull())
        /** While a process is sending it: until when the claim holds (a dead process's claim expires). */
        .addColumn("lease_until", dialect.textType)
        .addColumn("last_attempt_at", dialect.textType)
        .addColumn("last_status", "integer")
        .addColumn("last_error", dialect.textType)
        .addColumn("created", dialect.textType, (c) => c.notNull())
        .addColumn("completed", dialect.textType)
        .execute();
      await db.schema
        .createIndex("deliveries_pending_order")
        .ifNotExists()
        .on("deliveries")
        .columns(["webhook_id", "resource_key", "event_seq"])
        .where(sql.ref("status"), "=", sql.lit("pending"))
        .execute();
      await db.schema
        .createIndex("deliveries_pending_due")
        .ifNotExists()
        .on("deliveries")
        .columns(["next_attempt_at"])
        .where(sql.ref("status"), "=", sql.lit("pending"))
        .execute();
      await db.schema.createIndex("deliveries_webhook").ifNotExists().on("deliveries").columns(["webhook_id", "seq"]).execute();
    },
  };
}
