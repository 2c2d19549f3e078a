import { type Kysely, type Migration, sql } from "kysely";
import type { SqlDialect } from "../dialect.js";

// Deliveries as `roster webhooks deliveries` lists them (docs/webhooks.md): the event type is
// kept on the delivery so that the listing still says what was sent after retention removed
// the event, and a per-status index serves "failed deliveries, newest first" without reading
// the succeeded ones. Idempotent like 0002.
export function deliveryListingMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const schema = await dialect.currentSchema(db);
      const tables = await db.introspection.getTables();
      const columns = new Set(tables.find((t) => t.name === "deliveries" && (schema === undefined || t.schema === schema))?.columns.map((c) => c.name) ?? []);
      if (!columns.has("event_type")) {
        await db.schema.alterTable("deliveries").addColumn("event_type", dialect.textType, (c) => c.notNull().defaultTo(sql.lit(""))).execute();
      }
      await db.schema.createIndex("deliveries_webhook_status").ifNotExists().on("deliveries").columns(["webhook_id", "status", "seq"]).execute();
    },
  };
}
