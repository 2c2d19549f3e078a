import { createHash } from "node:crypto";
import type { LoggedRequest, RequestLogQuery, RequestStatusFilter, Store, Tenant } from "../store/store.js";
import { AppError } from "./app-errors.js";
import { type AppPage, parsePaging, stringParam } from "./app-paging.js";
import { isoTimestamp } from "./clock.js";
import { hintFor } from "./request-hints.js";

/** The query parameters of GET requests. */
export const REQUEST_QUERY = ["status", "method", "path", "since", "until", "limit", "cursor"] as const;

/**
 * The most entries one page examines for a filter no index serves (method, path, an exact
 * status): a page costs at most this many index entries and rows, whatever the log holds, and
 * may come back short (even empty) with a nextCursor to continue (ADR 0032).
 */
export const REQUEST_SCAN_LIMIT = 5_000;

const MAX_PATH_PREFIX = 1_000;
const MAX_REQUEST_ID = 128;
const DAY_MS = 24 * 60 * 60 * 1000;

/** What the management API and the CLI need to read a tenant's log. */
export interface RequestLogContext {
  readonly store: Store;
  readonly tenant: Tenant;
}

/** A request as listed (docs/management-api.md, "Request log"). */
export interface RequestView {
  readonly requestId: string;
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly userAgent: string | null;
  readonly scimType: string | null;
  readonly detail: string | null;
  readonly notes: readonly string[];
  readonly hint: string | null;
  /** False for a request answered before its token was accepted (a 401): logged under the tenant its URL names. */
  readonly authenticated: boolean;
}

/** A request as read alone: with its body (secrets removed, as logged) and the change events it caused. */
export interface RequestDetailView extends RequestView {
  /** The body as JSON text, secrets replaced by "[redacted]", cut at 8 KiB; null when it had none. */
  readonly requestBody: string | null;
  readonly eventIds: readonly string[];
}

export function toRequestView(entry: LoggedRequest): RequestView {
  return {
    requestId: entry.requestId,
    at: entry.at,
    method: entry.method,
    path: entry.path,
    status: entry.status,
    durationMs: entry.durationMs,
    userAgent: entry.userAgent,
    scimType: entry.scimType,
    detail: entry.errorDetail,
    notes: entry.notes ?? [],
    hint: hintFor({ status: entry.status, scimType: entry.scimType, detail: entry.errorDetail }),
    authenticated: entry.unauthenticated !== true,
  };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function timeParam(query: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const text = stringParam(query, name);
  if (text === undefined) return undefined;
  const ms = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new AppError("invalidRequest", `${name}: expected an ISO 8601 time such as 2026-12-07T09:30:00Z (or a date such as 2026-12-07), got ${JSON.stringify(text.slice(0, 100))}`);
  }
  return isoTimestamp(ms);
}

function statusParam(query: Readonly<Record<string, unknown>>): RequestStatusFilter | undefined {
  const text = stringParam(query, "status");
  if (text === undefined) return undefined;
  const statusClass = /^([1-5])xx$/i.exec(text);
  if (statusClass?.[1] !== undefined) return { kind: "class", value: Number(statusClass[1]) };
  if (/^[1-5]\d\d$/.test(text)) return { kind: "code", value: Number(text) };
  throw new AppError("invalidRequest", `status: expected a class (2xx, 3xx, 4xx, 5xx) or a status code such as 401, got ${JSON.stringify(text.slice(0, 100))}`);
}

function methodParam(query: Readonly<Record<string, unknown>>): string | undefined {
  const text = stringParam(query, "method");
  if (text === undefined) return undefined;
  if (!/^[A-Za-z]{1,16}$/.test(text)) throw new AppError("invalidRequest", `method: expected an HTTP method such as POST or PATCH, got ${JSON.stringify(text.slice(0, 100))}`);
  return text.toUpperCase();
}

function pathParam(query: Readonly<Record<string, unknown>>): string | undefined {
  const text = stringParam(query, "path");
  if (text === undefined) return undefined;
  if (!text.startsWith("/") || text.length > MAX_PATH_PREFIX) {
    throw new AppError("invalidRequest", `path: expected the start of a logged path such as /scim/v2/<tenant>/Users (1 to ${MAX_PATH_PREFIX} characters, starting with /), got ${JSON.stringify(text.slice(0, 100))}`);
  }
  return text;
}

type Filters = Omit<RequestLogQuery, "limit" | "before" | "scanLimit">;

/** The filters of a GET requests query, each validated; 400 invalidRequest naming the parameter otherwise. */
export function parseRequestFilters(query: Readonly<Record<string, unknown>>): Filters {
  const status = statusParam(query);
  const method = methodParam(query);
  const pathPrefix = pathParam(query);
  const since = timeParam(query, "since");
  const until = timeParam(query, "until");
  if (since !== undefined && until !== undefined && since > until) {
    throw new AppError("invalidRequest", `since: ${since} is after until (${until}); no request can match`);
  }
  return {
    ...(status === undefined ? {} : { status }),
    ...(method === undefined ? {} : { method }),
    ...(pathPrefix === undefined ? {} : { pathPrefix }),
    ...(since === undefined ? {} : { since }),
    ...(until === undefined ? {} : { until }),
  };
}

/** Ties a cursor to its tenant and filters: reused with others, it is 400 invalidCursor. */
function fingerprint(tenant: Tenant, filters: Filters): string {
  const key = JSON.stringify(["requests", tenant.id, filters.status ?? null, filters.method ?? null, filters.pathPrefix ?? null, filters.since ?? null, filters.until ?? null]);
  return createHash("sha256").update(key).digest("base64url").slice(0, 22);
}

function encodeRequestCursor(print: string, before: number): string {
  return Buffer.from(JSON.stringify({ q: print, s: before })).toString("base64url");
}

/** The position a cursor continues below; 400 invalidCursor when it is not one this listing issued with these filters. */
function decodeRequestCursor(cursor: string, print: string): number {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    decoded = undefined;
  }
  const { q, s } = typeof decoded === "object" && decoded !== null ? (decoded as Record<string, unknown>) : {};
  if (typeof q !== "string" || typeof s !== "number" || !Number.isSafeInteger(s) || s < 0) {
    throw new AppError("invalidCursor", `cursor: ${JSON.stringify(cursor.slice(0, 100))} is not a cursor of this listing; pass nextCursor unchanged`);
  }
  if (q !== print) throw new AppError("invalidCursor", "cursor: it was issued for other filters; pass nextCursor unchanged, with the same filters");
  return s;
}

/** A page of the tenant's request log, newest first, filtered; `nextCursor` null when nothing older can match. */
export async function listRequests(context: RequestLogContext, query: Readonly<Record<string, unknown>>): Promise<AppPage<RequestView>> {
  const paging = parsePaging(query);
  const filters = parseRequestFilters(query);
  const print = fingerprint(context.tenant, filters);
  const before = paging.cursor === "" ? undefined : decodeRequestCursor(paging.cursor, print);
  const page = await context.store.read((session) =>
    session.queryRequestLog(context.tenant.id, {
      ...filters,
      limit: paging.limit,
      scanLimit: REQUEST_SCAN_LIMIT,
      ...(before === undefined ? {} : { before }),
    }),
  );
  return {
    data: page.entries.map(toRequestView),
    nextCursor: page.next === undefined ? null : encodeRequestCursor(print, page.next),
  };
}

/** One request of the tenant's log, with its body and events; 404 notFound when the tenant has none with that id. */
export async function getRequest(context: RequestLogContext, requestId: string): Promise<RequestDetailView> {
  const entry =
    requestId.length === 0 || requestId.length > MAX_REQUEST_ID
      ? undefined
      : await context.store.read((session) => session.findRequestLogEntry(context.tenant.id, requestId));
  if (entry === undefined) {
    throw new AppError("notFound", `no request ${JSON.stringify(requestId.slice(0, MAX_REQUEST_ID))} in the request log of tenant "${context.tenant.slug}" (only the newest entries are kept)`);
  }
  return { ...toRequestView(entry), requestBody: entry.requestBody, eventIds: entry.eventIds ?? [] };
}

/** The newest `limit` entries and how many unauthenticated ones were not kept: what `roster requests` prints. */
export async function latestRequests(context: RequestLogContext, limit: number): Promise<{ readonly entries: readonly LoggedRequest[]; readonly dropped: number }> {
  return context.store.read(async (session) => ({
    entries: (await session.queryRequestLog(context.tenant.id, { limit, scanLimit: REQUEST_SCAN_LIMIT })).entries,
    dropped: await session.countUnauthenticatedDropped(context.tenant.id),
  }));
}

export interface TenantStatusView {
  readonly firstRequestAt: string | null;
  readonly lastRequestAt: string | null;
  readonly lastRequest: Pick<RequestView, "requestId" | "at" | "method" | "path" | "status" | "hint"> | null;
  /** Unauthenticated requests (401s) the log no longer keeps, past their allowance (ADR 0029). */
  readonly unauthenticatedDropped: number;
  /** Requests answered in the last 24 hours, by status class. */
  readonly last24h: { readonly "2xx": number; readonly "3xx": number; readonly "4xx": number; readonly "5xx": number };
  /** The tenant's unrevoked SCIM tokens, oldest first. */
  readonly tokens: readonly { readonly id: string; readonly name: string; readonly lastUsedAt: string | null }[];
  readonly users: { readonly active: number; readonly inactive: number; readonly managed: number; readonly unmanaged: number };
  readonly groups: { readonly managed: number; readonly unmanaged: number };
}

/** What a settings page shows of the tenant's SCIM connection, in one call (docs/management-api.md, "Status"). */
export async function getTenantStatus(context: RequestLogContext, at: number = Date.now()): Promise<TenantStatusView> {
  const since = isoTimestamp(at - DAY_MS);
  const { summary, dropped, tokens, counts } = await context.store.read(async (session) => ({
    summary: await session.summarizeRequestLog(context.tenant.id, since),
    dropped: await session.countUnauthenticatedDropped(context.tenant.id),
    tokens: await session.listTokens(context.tenant.id),
    counts: await session.countResources(context.tenant.id),
  }));
  const last = summary.last === undefined ? undefined : toRequestView(summary.last);
  const count = (statusClass: number): number => summary.classCounts.get(statusClass) ?? 0;
  return {
    firstRequestAt: summary.first?.at ?? null,
    lastRequestAt: last?.at ?? null,
    lastRequest: last === undefined ? null : { requestId: last.requestId, at: last.at, method: last.method, path: last.path, status: last.status, hint: last.hint },
    unauthenticatedDropped: dropped,
    last24h: { "2xx": count(2), "3xx": count(3), "4xx": count(4), "5xx": count(5) },
    tokens: tokens.filter((token) => token.revoked === null).map((token) => ({ id: token.id, name: token.name, lastUsedAt: token.lastUsed })),
    users: counts.users,
    groups: counts.groups,
  };
}
