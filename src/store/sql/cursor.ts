import { createHash } from "node:crypto";
import type { ResolvedFilter, ResolvedPath } from "../../scim/filter/ast.js";
import { StoreCursorError, type SortSpec } from "../store.js";

const VERSION = 1;

/** The position after the last row of a page: its sort value and id (keyset paging, RFC 9865). */
export interface CursorPosition {
  readonly sortValue: string | number | null;
  readonly id: string;
}

function pathKey(path: ResolvedPath): string {
  const name = path.subAttribute === undefined ? path.attribute.name : `${path.attribute.name}.${path.subAttribute.name}`;
  return `${path.schema}:${name}`;
}

function filterKey(filter: ResolvedFilter): unknown {
  switch (filter.kind) {
    case "and":
    case "or":
      return [filter.kind, filterKey(filter.left), filterKey(filter.right)];
    case "not":
      return ["not", filterKey(filter.filter)];
    case "present":
      return ["pr", pathKey(filter.path)];
    case "compare":
      return [filter.op, pathKey(filter.path), filter.value];
    case "valuePath":
      return ["[]", pathKey(filter.path), filterKey(filter.filter)];
  }
}

/** Identifies the query a cursor belongs to, so a cursor reused with another filter or sort is refused. */
export function queryFingerprint(scope: string, filter: ResolvedFilter | undefined, sort: SortSpec | undefined): string {
  const key = JSON.stringify([scope, filter === undefined ? null : filterKey(filter), sort === undefined ? null : [pathKey(sort.path), sort.order]]);
  return createHash("sha256").update(key).digest("base64url").slice(0, 22);
}

export function encodeCursor(fingerprint: string, position: CursorPosition): string {
  return Buffer.from(JSON.stringify({ v: VERSION, q: fingerprint, k: position.sortValue, i: position.id })).toString("base64url");
}

/** Throws StoreCursorError when the cursor is malformed, of another version, or was issued for another query. */
export function decodeCursor(cursor: string, fingerprint: string): CursorPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new StoreCursorError(`cursor "${cursor}" is not a cursor this server issued`);
  }
  if (typeof decoded !== "object" || decoded === null) throw new StoreCursorError(`cursor "${cursor}" is not a cursor this server issued`);
  const { v, q, k, i } = decoded as Record<string, unknown>;
  if (v !== VERSION || typeof i !== "string" || !(typeof k === "string" || typeof k === "number" || k === null)) {
    throw new StoreCursorError(`cursor "${cursor}" is not a cursor this server issued`);
  }
  if (q !== fingerprint) throw new StoreCursorError("cursor was issued for a different filter or sort order");
  return { sortValue: k, id: i };
}
