import { type Kysely, sql } from "kysely";
import type { ResolvedFilter } from "../../scim/filter/ast.js";
import type { GroupRef, GroupsScope, Member, MemberRef, ResourceKind } from "../store.js";
import { chunks } from "./chunks.js";
import { memberRowElement } from "./collections.js";
import { FilterCompiler } from "./compile-filter.js";
import type { SqlDialect } from "./dialect.js";
import { byGroupId, toMember } from "./mappers.js";
import { PreparedQuery, powerOfTwoRuns } from "./prepared-query.js";
import type { Database } from "./schema.js";

// Membership is one row per (group, member): every operation touches only the rows it names.
// Adding and removing members are compiled once per run length (prepared-query.ts): an
// Okta push adds or removes one member per request, and Kysely building and compiling the
// statement anew cost more than SQLite's work for it.

/** Rows per prepared INSERT or DELETE of members: runs of powers of two up to this (powerOfTwoRuns). */
const MEMBER_RUN = 256;

const ADD_MEMBERS = new PreparedQuery((db, param, size) =>
  db
    .insertInto("group_members")
    .values(Array.from({ length: size }, (_, row) => ({ tenant_id: param(0), group_id: param(1), member_id: param(2 + 2 * row), member_kind: param(3 + 2 * row) as ResourceKind })))
    .onConflict((conflict) => conflict.doNothing())
    .returning("member_id"),
);

const REMOVE_MEMBERS = new PreparedQuery((db, param, size) =>
  db
    .deleteFrom("group_members")
    .where("tenant_id", "=", param(0))
    .where("group_id", "=", param(1))
    .where("member_id", "in", Array.from({ length: size }, (_, index) => param(2 + index)))
    .returning("member_id"),
);

export async function addMembers(db: Kysely<Database>, dialect: SqlDialect, tenantId: string, groupId: string, members: readonly MemberRef[]): Promise<readonly string[]> {
  const unique = [...new Map(members.map((member) => [member.id, member])).values()];
  const added: string[] = [];
  for (const run of powerOfTwoRuns(unique, MEMBER_RUN)) {
    const rows = await ADD_MEMBERS.execute(db, dialect, [tenantId, groupId, ...run.flatMap((member) => [member.id, member.kind])], run.length);
    added.push(...rows.map((row) => row.member_id));
  }
  return added;
}

export async function removeMembers(db: Kysely<Database>, dialect: SqlDialect, tenantId: string, groupId: string, memberIds: readonly string[]): Promise<readonly string[]> {
  const removed: string[] = [];
  for (const run of powerOfTwoRuns([...new Set(memberIds)], MEMBER_RUN)) {
    const rows = await REMOVE_MEMBERS.execute(db, dialect, [tenantId, groupId, ...run], run.length);
    removed.push(...rows.map((row) => row.member_id));
  }
  return removed;
}

export async function removeAllMembers(db: Kysely<Database>, tenantId: string, groupId: string): Promise<number> {
  const result = await db.deleteFrom("group_members").where("tenant_id", "=", tenantId).where("group_id", "=", groupId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

function membersQuery(db: Kysely<Database>, tenantId: string) {
  return db
    .selectFrom("group_members as gm")
    .innerJoin("resources as mr", (join) => join.onRef("mr.tenant_id", "=", "gm.tenant_id").onRef("mr.id", "=", "gm.member_id"))
    .select(["gm.group_id", "gm.member_id", "gm.member_kind", "mr.display"])
    .where("gm.tenant_id", "=", tenantId)
    .orderBy("gm.member_id");
}

/** `display` is the member's displayName, falling back to its userName (users) — see docs/storage.md. */
export async function listMembers(
  db: Kysely<Database>,
  dialect: SqlDialect,
  tenantId: string,
  groupId: string,
  filter?: ResolvedFilter,
): Promise<readonly Member[]> {
  let query = membersQuery(db, tenantId).where("gm.group_id", "=", groupId);
  if (filter !== undefined) {
    const compiler = new FilterCompiler(dialect, { kind: "Group", alias: "mr" });
    query = query.where(compiler.compileElement(filter, memberRowElement("gm", "mr")));
  }
  const rows = await query.execute();
  return rows.map(toMember);
}

export async function listMembersOfGroups(db: Kysely<Database>, tenantId: string, groupIds: readonly string[]): Promise<ReadonlyMap<string, readonly Member[]>> {
  const result = new Map<string, Member[]>(groupIds.map((id) => [id, []]));
  for (const chunk of chunks([...new Set(groupIds)])) {
    const rows = await membersQuery(db, tenantId).where("gm.group_id", "in", chunk).execute();
    for (const row of rows) result.get(row.group_id)?.push(toMember(row));
  }
  return result;
}

function groupsOf(managed: boolean | undefined) {
  return new PreparedQuery((db, param, size) => {
    let query = db
      .selectFrom("group_members as gm")
      .innerJoin("resources as g", (join) => join.onRef("g.tenant_id", "=", "gm.tenant_id").onRef("g.id", "=", "gm.group_id"))
      .select(["gm.member_id", "gm.group_id", "g.display", "g.managed"])
      .where("gm.tenant_id", "=", param(0))
      .where("gm.member_id", "in", Array.from({ length: size }, (_, index) => param(index + 1)));
    // A literal, not a bound value: bound, it made SQLite re-plan the statement on every call (prepared-query.ts).
    if (managed !== undefined) query = query.where("g.managed", "=", sql.lit(managed ? 1 : 0));
    // No ORDER BY: to skip a sort SQLite would scan the primary key over every membership
    // row of the tenant instead of the (tenant_id, member_id, group_id) index (migration 0003).
    return query;
  });
}

/**
 * A column for a read of users: the groups of the user in row `alias`, as `jsonPairs` text
 * (`[[group id, display], …]`, `[]` for none), restricted to managed or unmanaged groups as
 * listGroupsOf is. A correlated subquery on the (tenant_id, member_id, group_id) index, so
 * that a user and its groups come back in one statement (one round trip on PostgreSQL).
 */
export function groupsJson(db: Kysely<Database>, dialect: SqlDialect, alias: string, scope: GroupsScope) {
  let query = db
    .selectFrom("group_members as gm")
    .innerJoin("resources as g", (join) => join.onRef("g.tenant_id", "=", "gm.tenant_id").onRef("g.id", "=", "gm.group_id"))
    .select(dialect.jsonPairs(sql.ref("gm.group_id"), sql.ref("g.display")).as("pairs"))
    .where(sql<boolean>`${sql.ref("gm.tenant_id")} = ${sql.ref(`${alias}.tenant_id`)}`)
    .where(sql<boolean>`${sql.ref("gm.member_id")} = ${sql.ref(`${alias}.id`)}`);
  // A literal, as in groupsOf.
  if (scope.managed !== undefined) query = query.where("g.managed", "=", sql.lit(scope.managed ? 1 : 0));
  return query.as("groups_json");
}

/** A short name of a GroupsScope, for the keys of compiled shapes. */
export function scopeKey(scope: GroupsScope | undefined): string {
  return scope === undefined ? "none" : scope.managed === undefined ? "any" : scope.managed ? "managed" : "unmanaged";
}

/** Prepared per `managed` filter and per number of ids (up to CHUNK shapes each). */
const GROUPS_OF = { any: groupsOf(undefined), managed: groupsOf(true), unmanaged: groupsOf(false) };

export async function listGroupsOf(
  db: Kysely<Database>,
  dialect: SqlDialect,
  tenantId: string,
  memberIds: readonly string[],
  managed?: boolean,
): Promise<ReadonlyMap<string, readonly GroupRef[]>> {
  const result = new Map<string, GroupRef[]>(memberIds.map((id) => [id, []]));
  for (const chunk of chunks([...new Set(memberIds)])) {
    const query = GROUPS_OF[managed === undefined ? "any" : managed ? "managed" : "unmanaged"];
    const rows = await query.execute(db, dialect, [tenantId, ...chunk], chunk.length);
    // An unmanaged group says so (GroupRef.managed): only the identity provider's groups grant roles (app-view.ts).
    for (const row of rows) result.get(row.member_id)?.push(Number(row.managed) === 0 ? { value: row.group_id, display: row.display, managed: false } : { value: row.group_id, display: row.display });
  }
  for (const groups of result.values()) groups.sort(byGroupId);
  return result;
}

export async function listMembersPage(
  db: Kysely<Database>,
  tenantId: string,
  groupId: string,
  page: { readonly limit: number; readonly after?: string },
): Promise<readonly Member[]> {
  let query = membersQuery(db, tenantId).where("gm.group_id", "=", groupId);
  if (page.after !== undefined) query = query.where("gm.member_id", ">", page.after);
  const rows = await query.limit(Math.max(0, Math.trunc(page.limit))).execute();
  return rows.map(toMember);
}
