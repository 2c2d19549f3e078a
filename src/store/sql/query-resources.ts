import { type Compilable, type Kysely, type RawBuilder, type SqlBool, sql } from "kysely";
import type { ResolvedFilter, ResolvedPath } from "../../scim/filter/ast.js";
import type { ResourceKind, ResourcePage, ResourceQuery, StoredResource } from "../store.js";
import { FilterCompiler } from "./compile-filter.js";
import { type CursorPosition, decodeCursor, encodeCursor, queryFingerprint } from "./cursor.js";
import type { SqlDialect } from "./dialect.js";
import { executeRows } from "./direct-sqlite.js";
import { toStoredResource } from "./mappers.js";
import { groupsJson, scopeKey } from "./memberships.js";
import { bind, LruMap, numberStandIn, type QueryShape, shapeOf, standIn } from "./prepared-query.js";
import { TRUE } from "./scalar.js";
import type { Database } from "./schema.js";

/**
 * Filters, counts, sorts and pages in SQL; nothing is filtered or counted in memory. The
 * count query runs only when the page itself cannot tell the total. Index pages and counts
 * are compiled once per query shape and page size (prepared-query.ts): an Okta lookup by
 * userName binds its values into SQL compiled for the first lookup of that shape.
 */
export async function queryResources(
  db: Kysely<Database>,
  dialect: SqlDialect,
  tenantId: string,
  kind: ResourceKind,
  query: ResourceQuery,
  memo?: ListMemo,
): Promise<ResourcePage> {
  // An integer, always: it is written into the SQL as a literal (buildQuery).
  const count = Number.isFinite(query.count) ? Math.max(0, Math.min(MAX_PAGE, Math.trunc(query.count))) : 0;
  const shaped = shapeQuery(dialect, tenantId, kind, query);
  // The version is read before the queries whose answers are remembered under it (a commit
  // in between changes it, and the answer is then never reused), and only where something
  // may be remembered or reused: not for a lookup by filter on the first page, which finds
  // its total on the page and pays nothing for the memo.
  const remembering = memo !== undefined && query.cursor === undefined;
  let version: string | undefined;
  const versionNow = async (): Promise<string | undefined> => (remembering ? (version ??= await memo.version(db, tenantId)) : undefined);
  const countAll = async () => {
    const at = await versionNow();
    const known = at === undefined ? undefined : memo?.total(shaped.memoKey, at);
    if (known !== undefined) return known;
    const [row] = await runShaped(db, dialect, "count", shaped, [], [], (built) => built.base.select((eb) => eb.fn.countAll().as("total")));
    const total = Number((row as { total: unknown } | undefined)?.total ?? 0);
    if (at !== undefined) memo?.rememberTotal(shaped.memoKey, at, total);
    return total;
  };
  if (count === 0) return { totalResults: await countAll(), resources: [] };

  if (query.cursor === undefined) {
    const offset = Math.max(1, Math.trunc(query.startIndex ?? 1)) - 1;
    // Unsorted pages (id order) resume after the last id of the page before when nothing was
    // committed since it was read: the same rows as OFFSET, without walking the skipped ones.
    // A listing without a filter (an import) is remembered from its first page on.
    const resumable = remembering && query.sort === undefined && (offset > 0 || query.filter === undefined);
    const at = resumable ? await versionNow() : undefined;
    // The nearest position remembered at or before the page's start: another process may
    // have served the page just before (each process remembers the pages it served), and
    // skipping one page from there costs one page, not the whole OFFSET.
    const resume = at !== undefined && offset > 0 ? memo?.floor(shaped.memoKey, offset, at) : undefined;
    const skip = resume === undefined ? offset : offset - resume.position;
    // Groups come with the page (withGroups) except where rows are skipped: PostgreSQL
    // computes a row's columns before OFFSET drops it, so each skipped user would run the
    // groups subquery; such a page leaves groups unread, and the caller reads them for its rows.
    const skipping = skip > 0 && query.withGroups !== undefined;
    const rows = (
      resume === undefined
        ? await runShaped(db, dialect, `${skipping ? "page-past-offset" : "page"} ${count}`, shaped, [], [offset], (built, _strings, numbers) =>
            (skipping ? built.pageWithoutGroups : built.page).limit(sql.lit(count)).offset(numbers[0]!),
          )
        : skip === 0
          ? await runShaped(db, dialect, `page-after ${count}`, shaped, [resume.id], [], (built, strings) =>
              built.page.where("r.id", ">", strings[0]!).limit(sql.lit(count)),
            )
          : await runShaped(db, dialect, `${skipping ? "page-after-past-offset" : "page-after-skip"} ${count}`, shaped, [resume.id], [skip], (built, strings, numbers) =>
              (skipping ? built.pageWithoutGroups : built.page).where("r.id", ">", strings[0]!).limit(sql.lit(count)).offset(numbers[0]!),
            )
    ) as ResourceRow[];
    const last = rows.at(-1);
    if (at !== undefined && rows.length === count && last !== undefined) memo?.rememberPosition(shaped.memoKey, offset + count, at, last.id);
    // A short page that starts inside the result set ends it: the total is known without counting
    // (an Okta lookup by userName, the last page of an import).
    const known = rows.length < count && (rows.length > 0 || offset === 0);
    return { totalResults: known ? offset + rows.length : await countAll(), resources: rows.map(toStoredResource) };
  }

  const scope = `${query.managed === undefined ? kind : `${kind}/${query.managed ? "managed" : "unmanaged"}`}${shadowsHidden(kind, query) ? "/unshadowed" : ""}`;
  const fingerprint = queryFingerprint(`${tenantId}/${scope}`, query.filter, query.sort);
  const position = query.cursor === "" ? undefined : decodeCursor(query.cursor, fingerprint);
  const { page: unpaged, sortKey, descending } = buildQuery(db, dialect, tenantId, kind, query);
  let page = unpaged;
  if (position !== undefined) page = page.where(after(sortKey, position, descending));
  const rows = await page.limit(sql.lit(count + 1)).execute();
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

type ResourceRow = Parameters<typeof toStoredResource>[0];

/** No page is larger (callers cap pages far lower; this only keeps the literal an integer). */
const MAX_PAGE = 2 ** 31 - 1;

/**
 * The filtered rows (`base`) and the sorted page of them (`page`, with each user's groups
 * when `withGroups` asks; `pageWithoutGroups` never), not yet limited.
 */
/** Whether the query leaves out unmanaged users a managed user of the same userName shadows (ResourceQuery.hideShadowed). */
function shadowsHidden(kind: ResourceKind, query: Pick<ResourceQuery, "managed" | "hideShadowed">): boolean {
  return kind === "User" && query.managed === undefined && query.hideShadowed === true;
}

function buildQuery(
  db: Kysely<Database>,
  dialect: SqlDialect,
  tenantId: string,
  kind: ResourceKind,
  query: Pick<ResourceQuery, "filter" | "sort" | "managed" | "hideShadowed" | "withGroups">,
) {
  const compiler = new FilterCompiler(dialect, { kind, alias: "r" });
  const where = query.filter === undefined ? TRUE : compiler.compile(query.filter);
  // The kind, managed and (in queryResources) LIMIT are SQL literals, not bound values: SQLite
  // plans with a bound value it can use (the partial indexes on kind = 'User', the LIMIT) and
  // then plans again whenever that value is bound anew, which better-sqlite3 does on every
  // call: an Okta lookup paid more for planning than for reading (docs/benchmarks.md).
  let base = db.selectFrom("resources as r").where("r.tenant_id", "=", tenantId).where("r.kind", "=", sql.lit(kind)).where(where);
  if (query.managed !== undefined) base = base.where("r.managed", "=", sql.lit(query.managed ? 1 : 0));
  // A managed user hides the unmanaged one of the same userName (an index lookup on
  // resources_managed_user_name_unique per unmanaged row; docs/decisions/0023).
  if (shadowsHidden(kind, query)) {
    base = base.where((eb) =>
      eb.or([
        eb("r.managed", "=", sql.lit(1)),
        eb.not(
          eb.exists(
            eb
              .selectFrom("resources as twin")
              .select(sql.lit(1).as("one"))
              .whereRef("twin.tenant_id", "=", "r.tenant_id")
              .where("twin.kind", "=", sql.lit("User"))
              .where("twin.managed", "=", sql.lit(1))
              .whereRef("twin.name_ci", "=", "r.name_ci"),
          ),
        ),
      ]),
    );
  }
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
  // A user's groups come with it (StoredResource.groups): one statement for the page and its groups.
  const withGroups = kind === "User" ? query.withGroups : undefined;
  const grouped = withGroups === undefined ? page : page.select(groupsJson(db, dialect, "r", withGroups));
  return { base, page: grouped, pageWithoutGroups: page, sortKey, descending };
}

/** Compiled shapes by key; `null` remembers a shape that cannot be reused. */
const SHAPES = new LruMap<QueryShape<unknown> | null>();

/** A list query reduced to its shape (the cache key of its compiled SQL) and its string values. */
interface ShapedQuery {
  readonly query: ResourceQuery;
  readonly kind: ResourceKind;
  readonly tenantId: string;
  readonly key: string;
  /** The tenant id, then the filter's strings. */
  readonly strings: readonly string[];
  /** The query with stand-ins for its strings. */
  readonly standIns: ResourceQuery;
  /** Names the query and its values: what ListMemo remembers answers under. */
  readonly memoKey: string;
}

function shapeQuery(dialect: SqlDialect, tenantId: string, kind: ResourceKind, query: ResourceQuery): ShapedQuery {
  const strings: string[] = [tenantId];
  const filter = query.filter === undefined ? undefined : withStandIns(query.filter, strings);
  const key = `${dialect.name}|${kind}|${String(query.managed)}${shadowsHidden(kind, query) ? "/unshadowed" : ""}|${kind === "User" ? scopeKey(query.withGroups) : ""}|${query.sort === undefined ? "" : `${pathKey(query.sort.path)} ${query.sort.order}`}|${filter === undefined ? "" : filterKey(filter)}`;
  const standIns = { ...query, ...(filter === undefined ? {} : { filter }) };
  return { query, kind, tenantId, key, strings, standIns, memoKey: `${key}|${strings.join("\u0000")}` };
}

/**
 * Runs the query `finish` makes of the built query, compiled once per shape and purpose:
 * the filter's structure, attributes and non-string values, the sort, the scope. The tenant
 * id, the filter's strings, `extra` strings and `numbers` are bound per call.
 */
async function runShaped(
  db: Kysely<Database>,
  dialect: SqlDialect,
  purpose: string,
  shaped: ShapedQuery,
  extra: readonly string[],
  numbers: readonly number[],
  finish: (built: ReturnType<typeof buildQuery>, extra: readonly string[], numbers: readonly number[]) => Compilable<unknown>,
): Promise<unknown[]> {
  const key = `${purpose}|${shaped.key}`;
  const values = [...shaped.strings, ...extra, ...numbers];
  let shape = SHAPES.get(key);
  if (shape === undefined) {
    const first = shaped.strings.length;
    try {
      const built = buildQuery(db, dialect, standIn(0), shaped.kind, shaped.standIns);
      const compiled = finish(built, extra.map((_, i) => standIn(first + i)), numbers.map((_, i) => numberStandIn(first + extra.length + i))).compile();
      shape = shapeOf(compiled, values.length) ?? null;
    } catch {
      // A stand-in the compiler refused (it parses some values): compiled per call below.
      shape = null;
    }
    SHAPES.set(key, shape);
  }
  const compiled = shape === null ? finish(buildQuery(db, dialect, shaped.tenantId, shaped.kind, shaped.query), extra, numbers).compile() : bind(shape, values);
  return executeRows(db, compiled);
}

/**
 * What index-paged list reads reuse while the database has not changed: the total of a
 * query, and the id a page of it ended on. An Okta import asks for the same total a
 * thousand times and for pages 1, 101, 201 …: without this, each page counts every match
 * and walks past every row before it (docs/benchmarks.md).
 *
 * The version is the dialect's `dataVersion`, read before the queries whose answers are
 * remembered under it, so that a commit in between changes it and the answer is never
 * reused: SQLite's `PRAGMA data_version` on its read connection (which never writes), or
 * the tenant's directory version on PostgreSQL (migration 0010, ADR 0015).
 */
export class ListMemo {
  private readonly totals = new LruMap<{ readonly version: string; readonly total: number }>(1_000);
  private readonly positions = new LruMap<Positions>(POSITION_KEYS);

  constructor(private readonly dialect: SqlDialect) {}

  version(db: Kysely<Database>, tenantId: string): Promise<string> {
    return this.dialect.dataVersion(db, tenantId);
  }

  total(key: string, version: string): number | undefined {
    const known = this.totals.get(key);
    return known?.version === version ? known.total : undefined;
  }

  rememberTotal(key: string, version: string, total: number): void {
    this.totals.set(key, { version, total });
  }

  /**
   * The remembered position of the query nearest at or before 1-based `position` (a row
   * count from the start), with the id of the row there, when remembered under `version`.
   */
  floor(key: string, position: number, version: string): { readonly position: number; readonly id: string } | undefined {
    const known = this.positions.get(key);
    if (known?.version !== version) return undefined;
    const index = lastAtOrBefore(known.at, position);
    return index < 0 ? undefined : { position: known.at[index]!, id: known.ids[index]! };
  }

  rememberPosition(key: string, position: number, version: string, id: string): void {
    let known = this.positions.get(key);
    if (known?.version !== version) {
      known = { version, at: [], ids: [] };
      this.positions.set(key, known);
    }
    const index = lastAtOrBefore(known.at, position);
    if (known.at[index] === position) return;
    known.at.splice(index + 1, 0, position);
    known.ids.splice(index + 1, 0, id);
    // Bounded: past the limit every other position goes (what is left is still a floor, at
    // most twice as far behind), the furthest one kept.
    if (known.at.length > POSITIONS_PER_KEY) {
      const last = known.at.length - 1;
      known.at = known.at.filter((_, i) => (last - i) % 2 === 0);
      known.ids = known.ids.filter((_, i) => (last - i) % 2 === 0);
    }
  }
}

/** The positions remembered for one query under one version, ascending, with the id of the row at each. */
interface Positions {
  readonly version: string;
  at: number[];
  ids: string[];
}

/** Queries whose positions are remembered at once, and positions per query: at most 64 × 2,048 ids. */
const POSITION_KEYS = 64;
const POSITIONS_PER_KEY = 2_048;

/** The index of the last element of ascending `values` at or before `value`; -1 when none is. */
function lastAtOrBefore(values: readonly number[], value: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (values[middle]! <= value) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}

/** The filter with each string value replaced by a stand-in; the values are appended to `strings`. */
function withStandIns(filter: ResolvedFilter, strings: string[]): ResolvedFilter {
  switch (filter.kind) {
    case "compare":
      if (typeof filter.value !== "string") return filter;
      strings.push(filter.value);
      return { ...filter, value: standIn(strings.length - 1) };
    case "present":
      return filter;
    case "and":
    case "or":
      return { kind: filter.kind, left: withStandIns(filter.left, strings), right: withStandIns(filter.right, strings) };
    case "not":
      return { kind: "not", filter: withStandIns(filter.filter, strings) };
    case "valuePath":
      return { ...filter, filter: withStandIns(filter.filter, strings) };
  }
}

/** Attribute definitions by identity: a tenant's schemas are built once per profile (schemas.ts). */
const definitionIds = new WeakMap<object, number>();
let nextDefinitionId = 0;

function definitionId(definition: object): number {
  let id = definitionIds.get(definition);
  if (id === undefined) {
    id = ++nextDefinitionId;
    definitionIds.set(definition, id);
  }
  return id;
}

function pathKey(path: ResolvedPath): string {
  return `${path.schema}#${path.extension ? "e" : "c"}#${definitionId(path.attribute)}#${path.subAttribute === undefined ? "" : definitionId(path.subAttribute)}`;
}

/** The filter's structure with its stand-ins (the same for every call of that shape). */
function filterKey(filter: ResolvedFilter): string {
  switch (filter.kind) {
    case "compare":
      return `(${pathKey(filter.path)} ${filter.op} ${JSON.stringify(filter.value)})`;
    case "present":
      return `(${pathKey(filter.path)} pr)`;
    case "and":
    case "or":
      return `(${filterKey(filter.left)} ${filter.kind} ${filterKey(filter.right)})`;
    case "not":
      return `(not ${filterKey(filter.filter)})`;
    case "valuePath":
      return `(${pathKey(filter.path)}[${filterKey(filter.filter)}])`;
  }
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
