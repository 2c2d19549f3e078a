import type { Kysely, Migration } from "kysely";

// A member's groups (`groups` of every User read) were found through the primary key
// (tenant_id, group_id, member_id) by scanning every membership row of the tenant: SQLite
// prefers a covering index on tenant_id alone over the non-covering (tenant_id, member_id).
// Adding group_id makes the member index covering, so the lookup is one index range
// (docs/benchmarks.md: GET /Users/{id} on a tenant with a 100 k-member group).
export function memberGroupsIndexMigration(): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createIndex("group_members_member_group").ifNotExists().on("group_members").columns(["tenant_id", "member_id", "group_id"]).execute();
      await db.schema.dropIndex("group_members_member").ifExists().execute();
    },
  };
}
