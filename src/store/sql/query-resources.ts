import { type Kysely, type RawBuilder, type SqlBool, sql } from "kysely";
import type { ResourceKind, ResourcePage, ResourceQuery, StoredResource } from "../store.js";
import { FilterCompiler } from "./compile-filter.js";
import { type CursorPosition, decodeCursor, encodeCursor, queryFingerprint } from "./cursor.js";
import type { SqlDialect } from "./dialect.js";
import { toStoredResource } from "./mappers.js";
import { TRUE } from "./scalar.js";
import type { Database } from "./schema.js";

/**
 * Filters, counts, sorts and pages in SQL; nothing is filtered or counted in memory. The
 * count query runs only when the page itself cannot tell the total.
 */
export async function queryResources(
  db: Kysely<Database>,
  dialect: SqlDialect,
  tenantId: string,
  kind: ResourceKind,
  query: ResourceQuery,
): Promise<ResourcePage> {
  const compiler = new FilterCompiler(dialect, { kind, alias: "r" });
  const where = query.filter === undefined ? TRUE : compiler.compile(query.filter);
  let base = db.selectFrom("resources as r").where("r.tenant_id", "=", tenantId).where("r.kind", "=", kind).where(where);
  if (query.managed !== undefined) base = base.where("r.managed", "=", query.managed ? 1 : 0);

  const scope = query.managed === undefined ? kind : `${kind}/${query.managed ? "managed" : "unmanaged"}`;
  const fingerprint = queryFingerprint(`${tenantId}/${scope}`, query.filter, query.sort);
  const position = query.cursor === undefined || query.cursor === "" ? undefined : decodeCursor(query.cursor, fingerprint);

  const countAll = async () => Number((await base.select((eb) => eb.fn.countAll().as("total")).executeTakeFirstOrThrow()).total);
  const count = Math.max(0, Math.trunc(query.count));
  if (count === 0) return { totalResults: await countAll(), resources: [] };

  // A typed NULL: PostgreSQL refuses a bare constant in ORDER BY.
  const sortKey: RawBuilder<unknown> = query.sort === undefined ? sql`cast(null as text)` : compiler.sortKey(query.sort.path);
  const descending = query.sort?.order === "descending";
  let page = base
    .select(["r.tenant_id", "r.id", "r.kind", "r.data", "r.created", "r.last_modified", "r.version", "r.managed"])
    .select(sortKey.as("sort_key"));
  // RFC 7644 §3.4.2.3: resources without a value are "ordered last if ascending and first if descending"; id breaks ties.
  // Unsorted pages order by id alone: the constant sort key made the database sort every
  // matching row for each page instead of walking the (tenant_id, id) key (Okta import).
  if (query.sort !== undefined) page = page.orderBy(sql`(${sortKey}) is null`, descending ? "desc" : "asc").orderBy(sortKey, descending ? "desc" : "asc");
  page = page.orderBy("r.id");

  if (query.cursor === undefined) {
    const offset = Math.max(1, Math.trunc(query.startIndex ?? 1)) - 1;
    const rows = await page.limit(count).offset(offset).execute();
    // A short page that starts inside the result set ends it: the total is known without counting
    // (an Okta lookup by userName, the last page of an import).
    const known = rows.length < count && (rows.length > 0 || offset === 0);
    return { totalResults: known ? offset + rows.length : await countAll(), resources: rows.map(toStoredResource) };
  }

  if (position !== undefined) page = page.where(after(sortKey, position, descending));
  const rows = await page.limit(count + 1).execute();
  const resources: StoredResource[] = rows.slice(0, count).map(toStoredResource);
  const last = rows[count - 1];
  // The first page holds every match when there is no next one.
  const totalResults = position === undefined && rows.length <= count ? rows.length : await countAll();
  if (rows.length <= count || last === undefined) return { totalResults, resources };
  const sortValue = last.sort_key;
  const nextCursor = encodeCursor(fingerprint, {
    sortValue: typeof sortValue === "number" || typeof sortValue === "string" ? sortValue : sortValue === null || sortValue === undefined ? null : String(sortValue),
    id: last.id,
  });
  return { totalResults, resources, nextCursor };
}

/** Keyset condition: rows strictly after `position` in (sort key, nulls last ascending and first descending; id) order. */
function after(sortKey: RawBuilder<unknown>, position: CursorPosition, descending: boolean): RawBuilder<SqlBool> {
  if (descending) {
    if (position.sortValue === null) {
      return sql<SqlBool>`(((${sortKey}) is null and r.id > ${position.id}) or (${sortKey}) is not null)`;
    }
    return sql<SqlBool>`((${sortKey}) < ${position.sortValue} or ((${sortKey}) = ${position.sortValue} and r.id > ${position.id}))`;
  }
  if (position.sortValue === null) return sql<SqlBool>`((${sortKey}) is null and r.id > ${position.id})`;
  return sql<SqlBool>`((${sortKey}) is null or (${sortKey}) > ${position.sortValue} or ((${sortKey}) = ${position.sortValue} and r.id > ${position.id}))`;
}
