import { ScimError, serializeScimError } from "../scim/errors.js";
import { describeDeepNesting, findDeepNesting } from "../scim/nesting.js";
import { SCIM_BULK_REQUEST_SCHEMA, SCIM_BULK_RESPONSE_SCHEMA } from "../scim/schema/core-schemas.js";
import type { ResourceKind } from "../store/store.js";
import { createResource, deleteResource, patchResource, replaceResource, type ScimContext } from "./resources.js";
import { formatETag } from "./versions.js";

export interface BulkLimits {
  readonly bulkMaxOperations: number;
}

interface BulkOperation {
  readonly index: number;
  readonly method: "POST" | "PUT" | "PATCH" | "DELETE";
  readonly bulkId?: string;
  readonly version?: string;
  readonly path: string;
  readonly data?: unknown;
}

interface BulkOperationResult {
  readonly method: string;
  readonly bulkId?: string;
  readonly version?: string;
  readonly location?: string;
  readonly status: string;
  readonly response?: Record<string, unknown>;
}

const METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const BULK_ID_REFERENCE = /^bulkId:(.+)$/;

function parseOperation(raw: unknown, index: number): BulkOperation {
  const where = `Operations[${index}]`;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ScimError("invalidSyntax", `${where}: expected an object with method and path`);
  }
  const entries = raw as Record<string, unknown>;
  const method = typeof entries.method === "string" ? entries.method.toUpperCase() : undefined;
  if (method === undefined || !METHODS.has(method)) {
    throw new ScimError("invalidSyntax", `${where}.method: expected one of POST, PUT, PATCH, DELETE`);
  }
  if (typeof entries.path !== "string" || !entries.path.startsWith("/")) {
    throw new ScimError("invalidSyntax", `${where}.path: expected a path such as "/Users" or "/Groups/{id}"`);
  }
  if (entries.bulkId !== undefined && (typeof entries.bulkId !== "string" || entries.bulkId.length === 0)) {
    throw new ScimError("invalidSyntax", `${where}.bulkId: expected a non-empty string`);
  }
  if (method === "POST" && entries.bulkId === undefined) {
    throw new ScimError("invalidSyntax", `${where}.bulkId: required for POST (RFC 7644 §3.7)`);
  }
  if (entries.version !== undefined && typeof entries.version !== "string") {
    throw new ScimError("invalidSyntax", `${where}.version: expected an entity tag string`);
  }
  if ((method === "POST" || method === "PUT" || method === "PATCH") && entries.data === undefined) {
    throw new ScimError("invalidSyntax", `${where}.data: required for ${method}`);
  }
  return {
    index,
    method: method as BulkOperation["method"],
    path: entries.path,
    ...(typeof entries.bulkId === "string" ? { bulkId: entries.bulkId } : {}),
    ...(typeof entries.version === "string" ? { version: entries.version } : {}),
    ...(entries.data === undefined ? {} : { data: entries.data }),
  };
}

/** Parses a BulkRequest body; throws 413 past `bulkMaxOperations`. */
export function parseBulkRequest(body: unknown, limits: BulkLimits): { failOnErrors: number | undefined; operations: BulkOperation[] } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ScimError("invalidSyntax", "a bulk request must be a JSON object");
  }
  const request = body as Record<string, unknown>;
  if (!Array.isArray(request.schemas) || !request.schemas.includes(SCIM_BULK_REQUEST_SCHEMA)) {
    throw new ScimError("invalidSyntax", `schemas must contain "${SCIM_BULK_REQUEST_SCHEMA}"`);
  }
  if (!Array.isArray(request.Operations)) throw new ScimError("invalidSyntax", "Operations: expected an array");
  if (request.Operations.length > limits.bulkMaxOperations) {
    throw new ScimError(
      "payloadTooLarge",
      `the bulk request has ${request.Operations.length} operations; the maximum is ${limits.bulkMaxOperations} (maxOperations)`,
    );
  }
  const failOnErrors = request.failOnErrors;
  if (failOnErrors !== undefined && (typeof failOnErrors !== "number" || !Number.isInteger(failOnErrors) || failOnErrors < 1)) {
    throw new ScimError("invalidSyntax", "failOnErrors: expected a positive integer");
  }
  const operations = request.Operations.map(parseOperation);
  const bulkIds = new Set<string>();
  for (const operation of operations) {
    if (operation.bulkId === undefined) continue;
    if (bulkIds.has(operation.bulkId)) {
      throw new ScimError("invalidSyntax", `Operations[${operation.index}].bulkId: "${operation.bulkId}" is used twice`);
    }
    bulkIds.add(operation.bulkId);
  }
  return { failOnErrors: failOnErrors as number | undefined, operations };
}

/** Every `bulkId:x` reference in a value (strings anywhere in the data, and the path). */
function references(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === "string") {
    const match = BULK_ID_REFERENCE.exec(value);
    if (match?.[1] !== undefined) found.add(match[1]);
  } else if (Array.isArray(value)) {
    for (const element of value) references(element, found);
  } else if (typeof value === "object" && value !== null) {
    for (const element of Object.values(value)) references(element, found);
  }
  return found;
}

function substitute(value: unknown, ids: ReadonlyMap<string, string>): unknown {
  if (typeof value === "string") {
    const match = BULK_ID_REFERENCE.exec(value);
    return match?.[1] !== undefined ? (ids.get(match[1]) ?? value) : value;
  }
  if (Array.isArray(value)) return value.map((element) => substitute(element, ids));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, element]) => [key, substitute(element, ids)]));
  }
  return value;
}

function target(path: string): { kind: ResourceKind; id: string | undefined } {
  const match = /^\/(Users|Groups)(?:\/([^/]+))?\/?$/i.exec(path);
  if (match === null) throw new ScimError("invalidPath", `bulk path "${path}" must be /Users, /Groups, /Users/{id} or /Groups/{id}`);
  const kind: ResourceKind = match[1]?.toLowerCase() === "users" ? "User" : "Group";
  if (match[2] === undefined) return { kind, id: undefined };
  let id: string;
  try {
    id = decodeURIComponent(match[2]);
  } catch {
    throw new ScimError("invalidPath", `bulk path "${path}" has a malformed percent-encoding`);
  }
  // No id holds U+0000 (PostgreSQL text cannot): nothing is there, and it never reaches SQL.
  if (id.includes("\u0000")) throw new ScimError("notFound", `${kind} ${JSON.stringify(id)} not found: no id contains a NUL character`);
  return { kind, id };
}

async function execute(context: ScimContext, operation: BulkOperation, ids: ReadonlyMap<string, string>): Promise<BulkOperationResult> {
  const path = substitute(operation.path.replace(/bulkId:([^/]+)/, (whole, bulkId: string) => ids.get(bulkId) ?? whole), ids) as string;
  const data = substitute(operation.data, ids);
  const { kind, id } = target(path);
  const base = { method: operation.method, ...(operation.bulkId === undefined ? {} : { bulkId: operation.bulkId }) };
  if (operation.method === "POST") {
    if (id !== undefined) throw new ScimError("invalidPath", `POST goes to /Users or /Groups, not "${path}"`);
    const served = await createResource(context, kind, data, {});
    return { ...base, location: served.location, version: formatETag(served.version), status: "201" };
  }
  if (id === undefined) throw new ScimError("invalidPath", `${operation.method} needs a resource id in the path, e.g. /Users/{id}`);
  switch (operation.method) {
    case "PUT": {
      const served = await replaceResource(context, kind, id, data, operation.version, {});
      return { ...base, location: served.location, version: formatETag(served.version), status: "200" };
    }
    case "PATCH": {
      const result = await patchResource(context, kind, id, data, operation.version, {}, false);
      return { ...base, location: result.location, version: formatETag(result.version), status: "200" };
    }
    case "DELETE":
      await deleteResource(context, kind, id, operation.version);
      return { ...base, status: "204" };
  }
}

/** Operation indexes, smallest first: of the operations free to run, the earliest in the request runs next. */
class IndexQueue {
  private readonly heap: number[] = [];

  get size(): number {
    return this.heap.length;
  }

  push(index: number): void {
    const heap = this.heap;
    heap.push(index);
    let at = heap.length - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if ((heap[parent] as number) <= index) break;
      heap[at] = heap[parent] as number;
      at = parent;
    }
    heap[at] = index;
  }

  pop(): number {
    const heap = this.heap;
    const top = heap[0] as number;
    const last = heap.pop() as number;
    if (heap.length === 0) return top;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as number) < (heap[left] as number) ? right : left;
      if ((heap[child] as number) >= last) break;
      heap[at] = heap[child] as number;
      at = child;
    }
    heap[at] = last;
    return top;
  }
}

/**
 * RFC 7644 §3.7. Operations run in request order, each in its own transaction; an
 * operation that references a `bulkId` waits until the operation that creates it has run
 * (of those free to run, the earliest in the request goes first). References that never
 * resolve (unknown, failed, naming an operation that creates nothing, or circular) fail with
 * 409. Processing stops once `failOnErrors` operations have failed.
 *
 * Linear in the request: each operation's references are found once (one walk of its data),
 * and an operation that creates a `bulkId` releases only the operations waiting on it. (The
 * earlier version re-scanned every waiting operation after each round, so a chain of 1,000
 * listed last-first took 1,000 rounds over the whole request.)
 */
export async function executeBulk(
  context: ScimContext,
  body: unknown,
  limits: BulkLimits,
  /** Told of an operation that failed with something other than a ScimError (its result is a 500): the server logs it. */
  onUnexpected: (error: unknown, index: number) => void = () => {},
): Promise<Record<string, unknown>> {
  const { failOnErrors, operations } = parseBulkRequest(body, limits);
  const created = new Map<string, string>();
  const failedBulkIds = new Set<string>();
  const results = new Map<number, BulkOperationResult>();
  let errors = 0;
  const stopped = () => failOnErrors !== undefined && errors >= failOnErrors;

  const record = (operation: BulkOperation, error: unknown) => {
    const scimError = error instanceof ScimError ? error : new ScimError("internal", "the operation failed unexpectedly");
    errors += 1;
    results.set(operation.index, {
      method: operation.method,
      ...(operation.bulkId === undefined ? {} : { bulkId: operation.bulkId }),
      status: String(scimError.status),
      response: serializeScimError(scimError),
    });
  };

  const bulkIds = new Set<string>();
  for (const operation of operations) if (operation.bulkId !== undefined) bulkIds.add(operation.bulkId);

  /** What each operation refers to, or why it cannot run: decided once, before anything runs. */
  const needs: (readonly string[])[] = [];
  const refusals = new Map<number, ScimError>();
  /** Operations waiting on a bulkId (the operation that creates it releases them), and how many references each still waits on. */
  const waiting = new Map<string, number[]>();
  const unresolved: number[] = [];
  const queued = new Set<number>();
  const ready = new IndexQueue();
  const enqueue = (index: number) => {
    if (queued.has(index)) return;
    queued.add(index);
    ready.push(index);
  };

  /** Why `operation` cannot run whatever runs before it, or the bulkIds it refers to. */
  const prepare = (operation: BulkOperation): ScimError | string[] => {
    const tooDeep = findDeepNesting(operation.data);
    if (tooDeep !== undefined) return new ScimError("invalidValue", describeDeepNesting(`Operations[${operation.index}].data`, tooDeep));
    const found = [...references([operation.path, operation.data])];
    const unknown = found.find((bulkId) => !bulkIds.has(bulkId));
    if (unknown !== undefined) return new ScimError("conflict", `bulkId "${unknown}" does not name a resource created by this request`);
    return found;
  };

  for (const operation of operations) {
    needs[operation.index] = [];
    unresolved[operation.index] = 0;
    let found: ScimError | string[];
    try {
      found = prepare(operation);
    } catch (error) {
      onUnexpected(error, operation.index);
      found = new ScimError("internal", "the operation failed unexpectedly");
    }
    if (found instanceof ScimError) {
      refusals.set(operation.index, found);
      enqueue(operation.index);
      continue;
    }
    needs[operation.index] = found;
    for (const bulkId of found) {
      const list = waiting.get(bulkId);
      if (list === undefined) waiting.set(bulkId, [operation.index]);
      else list.push(operation.index);
    }
    unresolved[operation.index] = found.length;
    if (found.length === 0) enqueue(operation.index);
  }

  /** After the operation that carries `bulkId` has run: its waiters lose one reference (created) or can now fail (not created). */
  const settle = (bulkId: string) => {
    const ok = created.has(bulkId);
    if (!ok) failedBulkIds.add(bulkId);
    for (const index of waiting.get(bulkId) ?? []) {
      const left = (unresolved[index] as number) - 1;
      unresolved[index] = left;
      if (!ok || left === 0) enqueue(index);
    }
    waiting.delete(bulkId);
  };

  while (ready.size > 0 && !stopped()) {
    const operation = operations[ready.pop()] as BulkOperation;
    const refusal = refusals.get(operation.index);
    const failedDependency = (needs[operation.index] as readonly string[]).find((bulkId) => failedBulkIds.has(bulkId));
    if (refusal !== undefined) {
      record(operation, refusal);
    } else if (failedDependency !== undefined) {
      record(operation, new ScimError("conflict", `bulkId "${failedDependency}" does not name a resource created by this request`));
    } else {
      try {
        const result = await execute(context, operation, created);
        results.set(operation.index, result);
        if (operation.method === "POST" && operation.bulkId !== undefined && result.location !== undefined) {
          created.set(operation.bulkId, result.location.slice(result.location.lastIndexOf("/") + 1));
        }
      } catch (error) {
        // Earlier operations have committed: whatever this one threw is its own result (RFC 7644 §3.7).
        if (!(error instanceof ScimError)) onUnexpected(error, operation.index);
        record(operation, error);
      }
    }
    if (operation.bulkId !== undefined) settle(operation.bulkId);
  }

  if (!stopped()) {
    for (const operation of operations) {
      if (!results.has(operation.index)) record(operation, new ScimError("conflict", "circular bulkId references cannot be resolved"));
    }
  }

  return {
    schemas: [SCIM_BULK_RESPONSE_SCHEMA],
    Operations: [...results.entries()].sort(([a], [b]) => a - b).map(([, result]) => result),
  };
}
