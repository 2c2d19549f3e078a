import { StoreCursorError } from "../store/store.js";
import { AppError } from "./app-errors.js";

export const APP_DEFAULT_LIMIT = 100;
export const APP_MAX_LIMIT = 1000;

/** A page of the management API: `nextCursor` is null on the last page. */
export interface AppPage<T> {
  readonly data: readonly T[];
  readonly nextCursor: string | null;
}

export interface AppPaging {
  readonly limit: number;
  /** "" for the first page. */
  readonly cursor: string;
}

/** Reads `limit` (1–1000, default 100) and `cursor` from a query string. */
export function parsePaging(query: Readonly<Record<string, unknown>>): AppPaging {
  const rawLimit = query["limit"];
  let limit = APP_DEFAULT_LIMIT;
  if (rawLimit !== undefined) {
    if (typeof rawLimit !== "string" || !/^\d{1,7}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > APP_MAX_LIMIT) {
      throw new AppError("invalidRequest", `limit: expected an integer from 1 to ${APP_MAX_LIMIT}, got ${JSON.stringify(rawLimit)}`);
    }
    limit = Number(rawLimit);
  }
  const cursor = query["cursor"];
  if (cursor !== undefined && typeof cursor !== "string") throw new AppError("invalidRequest", "cursor: give it once, as returned in nextCursor");
  return { limit, cursor: cursor ?? "" };
}

/** A string query parameter given at most once; undefined when absent. */
export function stringParam(query: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new AppError("invalidRequest", `${name}: give it once, as a string`);
  return value;
}

/** `true` or `false`; undefined when absent. */
export function booleanParam(query: Readonly<Record<string, unknown>>, name: string): boolean | undefined {
  const value = stringParam(query, name);
  if (value === undefined) return undefined;
  if (value !== "true" && value !== "false") throw new AppError("invalidRequest", `${name}: expected true or false, got ${JSON.stringify(value)}`);
  return value === "true";
}

/** Runs a store page query, turning a bad cursor into 400 invalidCursor. */
export async function withCursor<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof StoreCursorError) {
      throw new AppError("invalidCursor", `cursor: ${error.message}; pass nextCursor unchanged, with the same filters`);
    }
    throw error;
  }
}

/** The body of a request as an object with only the allowed keys, or 400 naming the first unknown key. */
export function objectBody(body: unknown, allowed: readonly string[], what: string): Readonly<Record<string, unknown>> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AppError("invalidRequest", `${what}: expected a JSON object`);
  }
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    throw new AppError("invalidRequest", `${what}: unknown field ${JSON.stringify(unknown)}; expected one of ${allowed.join(", ")}`);
  }
  return record;
}
