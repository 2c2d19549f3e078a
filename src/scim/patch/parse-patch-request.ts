import { fail, ok, type Result } from "../errors.js";
import type { Filter, ResolvedFilter, ResolvedPath } from "../filter/ast.js";
import { resolveFilter } from "../filter/resolve.js";
import { parsePatchPath, resolveAttributePath } from "../path.js";
import { SCIM_PATCH_OP_SCHEMA } from "../schema/core-schemas.js";
import type { ResourceSchema } from "../schema/types.js";
import { describeValue, isPlainObject } from "./json.js";
import { resolveQuirks, type ParsePatchOptions, type PatchOperation, type PatchQuirks, type PatchTarget } from "./types.js";

const OPS = ["add", "remove", "replace"] as const;
type Op = (typeof OPS)[number];

/**
 * Parses an RFC 7644 §3.5.2 PatchOp body: checks its shape, parses and resolves every
 * path, and leaves values to `applyPatch` (which types them against the target).
 */
export function parsePatchRequest(
  body: unknown,
  schema: ResourceSchema,
  options: ParsePatchOptions = {},
): Result<readonly PatchOperation[]> {
  const quirks = resolveQuirks(options.quirks);
  if (!isPlainObject(body)) return fail("invalidSyntax", `patch: the body must be a JSON object, got ${describeValue(body)}`);
  const schemas = body["schemas"];
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === "string" && s.toLowerCase() === SCIM_PATCH_OP_SCHEMA.toLowerCase())) {
    return fail("invalidSyntax", `patch: "schemas" must be an array containing "${SCIM_PATCH_OP_SCHEMA}", got ${describeValue(schemas)}`);
  }
  const operations = findOperations(body);
  if (!Array.isArray(operations) || operations.length === 0) {
    return fail("invalidSyntax", `patch: "Operations" must be a non-empty array, got ${describeValue(operations)}`);
  }
  const parsed: PatchOperation[] = [];
  for (const [index, raw] of operations.entries()) {
    const operation = parseOperation(raw, index, schema, quirks);
    if (!operation.ok) return operation;
    parsed.push(operation.value);
  }
  return ok(parsed);
}

function findOperations(body: Readonly<Record<string, unknown>>): unknown {
  if ("Operations" in body) return body["Operations"];
  // RFC 7643 §2.1: attribute names are case-insensitive.
  const key = Object.keys(body).find((k) => k.toLowerCase() === "operations");
  return key === undefined ? undefined : body[key];
}

function parseOperation(raw: unknown, index: number, schema: ResourceSchema, quirks: PatchQuirks): Result<PatchOperation> {
  const where = `Operations[${index}]`;
  if (!isPlainObject(raw)) return fail("invalidSyntax", `${where}: an operation must be a JSON object, got ${describeValue(raw)}`);
  const fields = lowerKeys(raw);
  const op = parseOp(fields.get("op"), where, quirks);
  if (!op.ok) return op;
  const rawPath = fields.get("path");
  const hasValue = fields.has("value");
  const value = fields.get("value");

  let target: PatchTarget | undefined;
  if (rawPath !== undefined && rawPath !== null) {
    if (typeof rawPath !== "string") return fail("invalidPath", `${where}: "path" must be a string, got ${describeValue(rawPath)}`);
    if (rawPath.trim() !== "") {
      const resolved = parseTarget(rawPath, schema, where);
      if (!resolved.ok) return resolved;
      target = resolved.value;
    }
  }

  if (op.value === "remove") {
    // RFC 7644 §3.5.2.2: a remove without a path has no target.
    if (target === undefined) return fail("noTarget", `${where}: "remove" requires a "path"`);
    if (!hasValue || value === null) return ok({ op: "remove", index, target });
    if (!quirks.removeWithValue) return fail("invalidSyntax", `${where}: "remove" takes no "value" (RFC 7644 §3.5.2.2)`);
    if (!target.path.attribute.multiValued || target.filter !== undefined || target.path.subAttribute !== undefined) {
      return fail("invalidSyntax", `${where}: "remove" with a "value" is only accepted on a whole multi-valued attribute, not ${JSON.stringify(target.text)}`);
    }
    return ok({ op: "remove", index, target, values: Array.isArray(value) ? value : [value] });
  }
  if (!hasValue) return fail("invalidSyntax", `${where}: "${op.value}" requires a "value"`);
  if (target === undefined && !isPlainObject(value)) {
    return fail("invalidValue", `${where}: "${op.value}" without a path needs an object of attributes as "value", got ${describeValue(value)}`);
  }
  return ok(target === undefined ? { op: op.value, index, value } : { op: op.value, index, target, value });
}

function parseOp(raw: unknown, where: string, quirks: PatchQuirks): Result<Op> {
  if (typeof raw !== "string") return fail("invalidSyntax", `${where}: "op" must be one of add, remove, replace; got ${describeValue(raw)}`);
  const spelled = quirks.caseInsensitiveOp ? raw.toLowerCase() : raw;
  const op = OPS.find((candidate) => candidate === spelled);
  if (op === undefined) return fail("invalidSyntax", `${where}: unknown "op" ${JSON.stringify(raw)}; expected one of add, remove, replace`);
  return ok(op);
}

function parseTarget(text: string, schema: ResourceSchema, where: string): Result<PatchTarget> {
  const parsed = parsePatchPath(text);
  if (!parsed.ok) return fail(parsed.issue.code === "invalidValue" ? "invalidValue" : "invalidPath", `${where}: ${parsed.issue.detail}`);
  const { attribute, filter, subAttribute } = parsed.value;
  const resolved = resolveAttributePath(attribute, schema, { errorCode: "invalidPath" });
  if (!resolved.ok) return fail("invalidPath", `${where}: ${resolved.issue.detail}`);
  if (filter === undefined) return ok({ text, path: resolved.value });

  const outer = resolved.value;
  if (outer.subAttribute !== undefined || !outer.attribute.multiValued || outer.attribute.type !== "complex") {
    return fail("invalidPath", `${where}: path ${JSON.stringify(text)}: a value filter needs a multi-valued complex attribute`);
  }
  const inner = resolveInnerFilter(outer, filter, schema);
  if (!inner.ok) return fail("invalidPath", `${where}: path ${JSON.stringify(text)}: ${inner.issue.detail.replace(/^filter: /, "")}`);
  if (subAttribute === undefined) return ok({ text, path: outer, filter: inner.value });
  const sub = resolveAttributePath({ attribute: subAttribute }, schema, { within: outer, errorCode: "invalidPath" });
  if (!sub.ok) return fail("invalidPath", `${where}: ${sub.issue.detail}`);
  return ok({ text, path: sub.value, filter: inner.value });
}

/** Resolves a value path's bracket by resolving `attr[filter]` as a filter and taking its inner filter. */
function resolveInnerFilter(
  outer: ResolvedPath,
  filter: Filter,
  schema: ResourceSchema,
): Result<ResolvedFilter> {
  const attribute = outer.extension
    ? { schema: outer.schema, attribute: outer.attribute.name }
    : { attribute: outer.attribute.name };
  const resolved = resolveFilter({ kind: "valuePath", path: attribute, filter }, schema);
  if (!resolved.ok) return resolved;
  if (resolved.value.kind !== "valuePath") return fail("invalidPath", "the value filter did not resolve to a value path");
  return ok(resolved.value.filter);
}

function lowerKeys(raw: Readonly<Record<string, unknown>>): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (const [key, value] of Object.entries(raw)) fields.set(key.toLowerCase(), value);
  return fields;
}
