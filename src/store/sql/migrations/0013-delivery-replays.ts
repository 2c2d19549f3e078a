import type { Kysely, Migration } from "kysely";
import type { SqlDialect } from "../dialect.js";

// Deliveries made by a replay are marked, so that a webhook has at most one replay pending at a
// time (docs/webhooks.md#replay-bounds). Defaulted: existing deliveries count as not replayed.
// Idempotent like 0002.
export function deliveryReplaysMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const schema = await dialect.currentSchema(db);
      const tables = await db.introspection.getTables();
      const columns = new Set(tables.find((t) => t.name === "deliveries" && (schema === undefined || t.schema === schema))?.columns.map((c) => c.name) ?? []);
      if (!columns.has("replayed")) {
        await db.schema.alterTable("deliveries").addColumn("replayed", "integer", (c) => c.notNull().defaultTo(0)).execute();
      }
    },
  };
}
