import type { Kysely, Migration } from "kysely";

// Unsorted list pages (the Okta import, `startIndex` paging) order by id within a tenant and
// a resource type. With only the primary key (tenant_id, id) to walk, the database read each
// row to check its type, including every row an OFFSET skips: page 500 of an import read
// 50,000 rows to answer 100. On (tenant_id, kind, id) the skipped rows are index entries
// only (docs/benchmarks.md, "Okta import").
export function resourcesKindIdIndexMigration(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createIndex("resources_kind_id").ifNotExists().on("resources").columns(["tenant_id", "kind", "id"]).execute();
    },
  };
}
