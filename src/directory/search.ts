import { ScimError, unwrap } from "../scim/errors.js";
import type { Filter, ResolvedFilter } from "../scim/filter/ast.js";
import { checkSubstringBudget } from "../scim/filter/budget.js";
import { parseScimFilter } from "../scim/filter/parse.js";
import { resolveFilter } from "../scim/filter/resolve.js";
import { parseAttributePath, resolveAttributePath } from "../scim/path.js";
import { parseAttributeList } from "../scim/resource/project.js";
import { serializeListResponse } from "../scim/resource/list.js";
import type { ReadSession, ResourceKind, ResourceQuery, SortSpec } from "../store/store.js";
import { StoreCursorError, isIndexedFilterPath } from "../store/store.js";
import { loadExternal, readGroupsWith, serveResource, type Projection, type ScimContext } from "./resources.js";
import { hidesShadowed, visibleManaged } from "./visibility.js";

/** Paging limits, advertised in /ServiceProviderConfig from the same values. */
export interface PagingLimits {
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
}

/** The list parameters of RFC 7644 §3.4.2 and RFC 9865, as received (query string or SearchRequest body). */
export interface ListParams {
  readonly filter?: string;
  readonly sortBy?: string;
  readonly sortOrder?: "ascending" | "descending";
  readonly startIndex?: number;
  readonly count?: number;
  readonly cursor?: string;
  readonly attributes?: string;
  readonly excludedAttributes?: string;
}

const PARAM_NAMES = ["filter", "sortBy", "sortOrder", "startIndex", "count", "cursor", "attributes", "excludedAttributes"] as const;

function integerParam(name: string, raw: unknown): number {
  const number = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(number)) {
    throw new ScimError("invalidValue", `${name}: expected an integer, got ${JSON.stringify(raw)}`);
  }
  return number;
}

function listParam(name: string, raw: unknown): string {
  if (Array.isArray(raw) && raw.every((entry) => typeof entry === "string")) return raw.join(",");
  if (typeof raw !== "string") throw new ScimError("invalidValue", `${name}: expected a string, got ${JSON.stringify(raw)}`);
  return raw;
}

/**
 * Reads list parameters from a query string or a SearchRequest body (RFC 7644 §3.4.3,
 * where `attributes` are arrays). Parameter names match case-insensitively.
 */
export function parseListParams(raw: Readonly<Record<string, unknown>>): ListParams {
  const params: { -readonly [K in keyof ListParams]: ListParams[K] } = {};
  for (const [key, value] of Object.entries(raw)) {
    const name = PARAM_NAMES.find((candidate) => candidate.toLowerCase() === key.toLowerCase());
    if (name === undefined || value === undefined) continue;
    if (Array.isArray(value) && name !== "attributes" && name !== "excludedAttributes") {
      throw new ScimError("invalidValue", `${name}: given more than once`);
    }
    switch (name) {
      case "startIndex":
      case "count":
        params[name] = integerParam(name, value);
        break;
      case "sortOrder": {
        const order = typeof value === "string" ? value.toLowerCase() : "";
        if (order !== "ascending" && order !== "descending") {
          throw new ScimError("invalidValue", `sortOrder: expected "ascending" or "descending", got ${JSON.stringify(value)}`);
        }
        params.sortOrder = order;
        break;
      }
      case "attributes":
      case "excludedAttributes":
        params[name] = listParam(name, value);
        break;
      case "filter":
      case "sortBy":
      case "cursor":
        if (typeof value !== "string") throw new ScimError("invalidValue", `${name}: expected a string, got ${JSON.stringify(value)}`);
        params[name] = value;
        break;
    }
  }
  if (params.cursor !== undefined && params.startIndex !== undefined) {
    throw new ScimError("invalidValue", "cursor and startIndex cannot be combined: choose cursor paging or index paging");
  }
  return params;
}

/** Resolves `attributes` / `excludedAttributes` for one resource kind. */
export function resolveProjection(context: ScimContext, kind: ResourceKind, params: ListParams): Projection {
  const schema = context.schemas.byKind[kind];
  if (params.attributes !== undefined && params.excludedAttributes !== undefined) {
    throw new ScimError("invalidValue", "attributes and excludedAttributes cannot be combined");
  }
  return {
    ...(params.attributes === undefined ? {} : { attributes: unwrap(parseAttributeList(params.attributes, schema)) }),
    ...(params.excludedAttributes === undefined
      ? {}
      : { excludedAttributes: unwrap(parseAttributeList(params.excludedAttributes, schema)) }),
  };
}

function resolveSort(context: ScimContext, kind: ResourceKind, params: ListParams): SortSpec | undefined {
  if (params.sortBy === undefined) return undefined;
  const schema = context.schemas.byKind[kind];
  const path = unwrap(resolveAttributePath(unwrap(parseAttributePath(params.sortBy)), schema, { errorCode: "invalidValue" }));
  const attribute = path.subAttribute ?? path.attribute;
  if (attribute.type === "complex") {
    throw new ScimError("invalidValue", `sortBy: "${params.sortBy}" is a complex attribute; name one of its sub-attributes`);
  }
  return { path, order: params.sortOrder ?? "ascending" };
}

function parseQueryFilter(text: string): Filter {
  if (text.trim() === "") throw new ScimError("invalidFilter", "filter: empty filter");
  return unwrap(parseScimFilter(text));
}

function resolveQueryFilter(context: ScimContext, kind: ResourceKind, text: string | undefined): ResolvedFilter | undefined {
  if (text === undefined) return undefined;
  return withinSubstringBudget(kind, unwrap(resolveFilter(parseQueryFilter(text), context.schemas.byKind[kind])));
}

/** The part of the filter budget that depends on where the store reads each path (budget.ts); the rest was checked by parseScimFilter. */
function withinSubstringBudget(kind: ResourceKind, filter: ResolvedFilter): ResolvedFilter {
  unwrap(checkSubstringBudget(filter, (path) => isIndexedFilterPath(kind, path)));
  return filter;
}

/**
 * RFC 7644 §3.4.3, a search at the root: a term naming an attribute that this resource
 * type lacks is false for it (`displayName sw "R" or userName eq "b"` still finds groups),
 * and a term that no searched type can resolve is the client's error. `true`/`false`
 * when the whole filter reduces to a constant.
 */
function narrowForKind(context: ScimContext, kind: ResourceKind, kinds: readonly ResourceKind[], filter: Filter): Filter | boolean {
  switch (filter.kind) {
    case "and":
    case "or": {
      const left = narrowForKind(context, kind, kinds, filter.left);
      const right = narrowForKind(context, kind, kinds, filter.right);
      const absorbing = filter.kind === "or";
      if (left === absorbing || right === absorbing) return absorbing;
      if (typeof left === "boolean") return right;
      if (typeof right === "boolean") return left;
      return { kind: filter.kind, left, right };
    }
    case "not": {
      const inner = narrowForKind(context, kind, kinds, filter.filter);
      return typeof inner === "boolean" ? !inner : { kind: "not", filter: inner };
    }
    case "compare":
    case "present":
    case "valuePath": {
      const here = resolveFilter(filter, context.schemas.byKind[kind]);
      if (here.ok) return filter;
      if (kinds.some((other) => other !== kind && resolveFilter(filter, context.schemas.byKind[other]).ok)) return false;
      throw ScimError.fromIssue(here.issue);
    }
    default: {
      const exhaustive: never = filter;
      throw new Error(`unhandled filter node ${JSON.stringify(exhaustive)}`);
    }
  }
}

function pageSize(params: ListParams, limits: PagingLimits): number {
  // RFC 7644 §3.4.2.4: a negative count is 0; the server may return fewer than asked.
  if (params.count === undefined) return limits.defaultPageSize;
  return Math.min(Math.max(params.count, 0), limits.maxPageSize);
}

/**
 * `query` with `managed` and `withGroups` where given. Written out rather than as
 * `{ ...query, managed }`: V8 (Node 20) adds a property the spread object lacks through the
 * runtime, about 0.7 µs each time, where copying into a fresh object costs a tenth of that.
 */
function withScope(query: ResourceQuery, managed: boolean | undefined, hideShadowed: boolean, withGroups: ResourceQuery["withGroups"]): ResourceQuery {
  if (managed === undefined && !hideShadowed && withGroups === undefined) return query;
  const scoped: { -readonly [K in keyof ResourceQuery]: ResourceQuery[K] } = Object.assign({}, query);
  if (managed !== undefined) scoped.managed = managed;
  if (hideShadowed) scoped.hideShadowed = true;
  if (withGroups !== undefined) scoped.withGroups = withGroups;
  return scoped;
}

async function queryKind(
  context: ScimContext,
  session: ReadSession,
  kind: ResourceKind,
  query: ResourceQuery,
  projection: Projection,
) {
  try {
    const managed = visibleManaged(context.visibility, kind);
    const groups = readGroupsWith(context, kind, projection);
    const page = await session.queryResources(context.tenant.id, kind, withScope(query, managed, hidesShadowed(context.visibility, kind), groups?.withGroups));
    const extras = await loadExternal(context, session, kind, page.resources, projection);
    const resources = page.resources.map((resource) => serveResource(context, resource, extras.get(resource.id), projection).body);
    return { totalResults: page.totalResults, resources, nextCursor: page.nextCursor };
  } catch (error) {
    if (error instanceof StoreCursorError) throw new ScimError("invalidCursor", `cursor: ${error.message}`);
    throw error;
  }
}

/** GET /{Users|Groups} and POST /{Users|Groups}/.search. */
export async function listResources(
  context: ScimContext,
  kind: ResourceKind,
  params: ListParams,
  limits: PagingLimits,
): Promise<Record<string, unknown>> {
  const filter = resolveQueryFilter(context, kind, params.filter);
  const sort = resolveSort(context, kind, params);
  const projection = resolveProjection(context, kind, params);
  const count = pageSize(params, limits);
  const startIndex = Math.max(params.startIndex ?? 1, 1);
  const query: ResourceQuery = {
    count,
    ...(filter === undefined ? {} : { filter }),
    ...(sort === undefined ? {} : { sort }),
    ...(params.cursor === undefined ? { startIndex } : { cursor: params.cursor }),
  };
  const page = await context.store.read((session) => queryKind(context, session, kind, query, projection));
  return serializeListResponse({
    resources: page.resources,
    totalResults: page.totalResults,
    ...(params.cursor === undefined ? { startIndex } : {}),
    ...(page.nextCursor === undefined ? {} : { nextCursor: page.nextCursor }),
  });
}

/**
 * POST /.search at the root (RFC 7644 §3.4.3): Users then Groups. A filter term naming an
 * attribute that one resource type lacks is false for that type; it is an error only
 * when no resource type knows it. Index paging only.
 */
export async function searchAll(
  context: ScimContext,
  params: ListParams,
  limits: PagingLimits,
): Promise<Record<string, unknown>> {
  if (params.cursor !== undefined) {
    throw new ScimError("invalidCursor", "cursor paging is offered per resource type (/Users/.search, /Groups/.search), not at the root");
  }
  if (params.sortBy !== undefined) {
    throw new ScimError("invalidValue", "sortBy is offered per resource type (/Users/.search, /Groups/.search), not at the root");
  }
  const kinds: ResourceKind[] = ["User", "Group"];
  const parsed = params.filter === undefined ? undefined : parseQueryFilter(params.filter);
  const plans: { kind: ResourceKind; filter: ResolvedFilter | undefined; projection: Projection }[] = [];
  let firstError: ScimError | undefined;
  for (const kind of kinds) {
    const narrowed = parsed === undefined ? true : narrowForKind(context, kind, kinds, parsed);
    if (narrowed === false) continue;
    let plan: (typeof plans)[number];
    try {
      const filter = narrowed === true ? undefined : unwrap(resolveFilter(narrowed, context.schemas.byKind[kind]));
      plan = { kind, filter, projection: resolveProjection(context, kind, params) };
    } catch (error) {
      if (!(error instanceof ScimError)) throw error;
      firstError ??= error;
      continue;
    }
    // Past the budget for one type is past it for the search: refused, not narrowed away.
    if (plan.filter !== undefined) withinSubstringBudget(kind, plan.filter);
    plans.push(plan);
  }
  if (plans.length === 0 && firstError !== undefined) throw firstError;
  const count = pageSize(params, limits);
  const startIndex = Math.max(params.startIndex ?? 1, 1);
  return context.store.read(async (session) => {
    let skip = startIndex - 1;
    let remaining = count;
    let totalResults = 0;
    const resources: Record<string, unknown>[] = [];
    for (const plan of plans) {
      const base = plan.filter === undefined ? {} : { filter: plan.filter };
      const scope = withScope({ ...base, count: 0 }, visibleManaged(context.visibility, plan.kind), hidesShadowed(context.visibility, plan.kind), undefined);
      const total = (await session.queryResources(context.tenant.id, plan.kind, { ...scope, startIndex: 1 })).totalResults;
      totalResults += total;
      if (remaining > 0 && skip < total) {
        const page = await queryKind(context, session, plan.kind, { ...base, count: remaining, startIndex: skip + 1 }, plan.projection);
        resources.push(...page.resources);
        remaining -= page.resources.length;
      }
      skip = Math.max(skip - total, 0);
    }
    return serializeListResponse({ resources, totalResults, startIndex });
  });
}
