import type { Kysely, Migration } from "kysely";
import type { SqlDialect } from "../dialect.js";

// What a request did other than asked, as a JSON array of sentences (a profile ignored an
// attribute update or a password: docs/profiles.md). Null when nothing. Idempotent like 0002.
export function requestLogNotesMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const schema = await dialect.currentSchema(db);
      const tables = await db.introspection.getTables();
      const columns = new Set(tables.find((t) => t.name === "request_log" && (schema === undefined || t.schema === schema))?.columns.map((c) => c.name) ?? []);
      if (!columns.has("notes")) await db.schema.alterTable("request_log").addColumn("notes", dialect.textType).execute();
    },
  };
}
