import type { Kysely, Migration } from "kysely";
import type { SqlDialect } from "../dialect.js";

// Tenant profiles (docs/profiles.md): the YAML source as given to `roster tenants create|update
// --profile`, and a version that grows on every change so that each process notices a new
// profile on its next request (the version travels with the token lookup). Idempotent like 0002.
export function tenantProfilesMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      const schema = await dialect.currentSchema(db);
      const tables = await db.introspection.getTables();
      const columns = new Set(tables.find((t) => t.name === "tenants" && (schema === undefined || t.schema === schema))?.columns.map((c) => c.name) ?? []);
      if (!columns.has("profile")) await db.schema.alterTable("tenants").addColumn("profile", dialect.textType).execute();
      if (!columns.has("profile_version")) {
        await db.schema.alterTable("tenants").addColumn("profile_version", "integer", (c) => c.notNull().defaultTo(0)).execute();
      }
    },
  };
}
