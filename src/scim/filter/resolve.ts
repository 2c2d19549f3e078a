import { fail, ok, type Result } from "../errors.js";
import { resolveAttributePath } from "../path.js";
import type { ResourceSchema } from "../schema/types.js";
import type { AttributePath, CompareOperator, Filter, FilterValue, ResolvedFilter, ResolvedPath } from "./ast.js";
import { formatAttributePath } from "./attr-path.js";
import { parseDateTime } from "./values.js";

const ORDERING: readonly CompareOperator[] = ["gt", "ge", "lt", "le"];
const SUBSTRING: readonly CompareOperator[] = ["co", "sw", "ew"];

/**
 * Resolves every path of a parsed filter against a resource schema and checks that each
 * comparison makes sense for the attribute's type. Errors are `invalidFilter`.
 * `emails eq "x"` (a complex attribute with a `value` sub-attribute) becomes `emails.value eq "x"`.
 */
export function resolveFilter(filter: Filter, schema: ResourceSchema): Result<ResolvedFilter> {
  return resolveNode(filter, schema, undefined);
}

function resolveNode(filter: Filter, schema: ResourceSchema, within: ResolvedPath | undefined): Result<ResolvedFilter> {
  switch (filter.kind) {
    case "compare": {
      const path = resolvePath(filter.path, schema, within);
      if (!path.ok) return path;
      const target = comparable(path.value, filter.path);
      if (!target.ok) return target;
      const checked = checkValue(target.value, filter.op, filter.value);
      if (!checked.ok) return checked;
      return ok({ kind: "compare", path: target.value, op: filter.op, value: filter.value });
    }
    case "present": {
      const path = resolvePath(filter.path, schema, within);
      if (!path.ok) return path;
      return ok({ kind: "present", path: path.value });
    }
    case "and":
    case "or": {
      const left = resolveNode(filter.left, schema, within);
      if (!left.ok) return left;
      const right = resolveNode(filter.right, schema, within);
      if (!right.ok) return right;
      return ok({ kind: filter.kind, left: left.value, right: right.value });
    }
    case "not": {
      const inner = resolveNode(filter.filter, schema, within);
      if (!inner.ok) return inner;
      return ok({ kind: "not", filter: inner.value });
    }
    case "valuePath": {
      if (within !== undefined) {
        return fail("invalidFilter", `filter: value path "${formatAttributePath(filter.path)}[…]" cannot be nested in another value path`);
      }
      const path = resolvePath(filter.path, schema, undefined);
      if (!path.ok) return path;
      if (path.value.subAttribute !== undefined || path.value.attribute.type !== "complex") {
        return fail("invalidFilter", `filter: "${formatAttributePath(filter.path)}[…]" needs a complex attribute before "["`);
      }
      const inner = resolveNode(filter.filter, schema, path.value);
      if (!inner.ok) return inner;
      return ok({ kind: "valuePath", path: path.value, filter: inner.value });
    }
  }
}

function resolvePath(path: AttributePath, schema: ResourceSchema, within: ResolvedPath | undefined): Result<ResolvedPath> {
  const resolved = resolveAttributePath(path, schema, { within, errorCode: "invalidFilter" });
  if (!resolved.ok) return resolved;
  const { attribute, subAttribute } = resolved.value;
  if (attribute.returned === "never" || subAttribute?.returned === "never") {
    return fail("invalidFilter", `filter: "${nameOf(resolved.value)}" is never returned and cannot be filtered on`);
  }
  return resolved;
}

/** RFC 7644 §3.4.2.2: a complex attribute compared directly means its `value` sub-attribute. */
function comparable(path: ResolvedPath, written: AttributePath): Result<ResolvedPath> {
  if (path.subAttribute !== undefined || path.attribute.type !== "complex") return ok(path);
  const value = path.attribute.subAttributes?.find((s) => s.name === "value");
  if (value !== undefined) return ok({ ...path, subAttribute: value });
  const names = (path.attribute.subAttributes ?? []).map((s) => s.name).join(", ");
  return fail(
    "invalidFilter",
    `filter: "${formatAttributePath(written)}" is complex; compare one of its sub-attributes (${names}) or use pr`,
  );
}

function checkValue(path: ResolvedPath, op: CompareOperator, value: FilterValue): Result<null> {
  const target = path.subAttribute ?? path.attribute;
  const name = nameOf(path);
  const refuse = (why: string) => fail<null>("invalidFilter", `filter: "${name}" ${why}`);
  if (value === null) {
    return op === "eq" || op === "ne" ? ok(null) : fail("invalidFilter", `filter: null can only be compared with eq or ne, not ${op}`);
  }
  switch (target.type) {
    case "string":
    case "reference":
      return typeof value === "string" ? ok(null) : refuse(`is a ${target.type}; expected a "quoted string", got ${JSON.stringify(value)}`);
    case "binary":
      if (ORDERING.includes(op)) return refuse(`is binary and cannot be compared with ${op}`);
      return typeof value === "string" ? ok(null) : refuse(`is binary; expected a "quoted string", got ${JSON.stringify(value)}`);
    case "boolean":
      if (op !== "eq" && op !== "ne") return refuse(`is a boolean and can only be compared with eq or ne, not ${op}`);
      return typeof value === "boolean" ? ok(null) : refuse(`is a boolean; expected true or false, got ${JSON.stringify(value)}`);
    case "integer":
    case "decimal":
      if (SUBSTRING.includes(op)) return refuse(`is a number and cannot be compared with ${op}`);
      if (typeof value !== "number") return refuse(`is ${target.type === "integer" ? "an integer" : "a decimal"}; expected a number, got ${JSON.stringify(value)}`);
      return target.type === "integer" && !Number.isInteger(value) ? refuse(`is an integer; got ${value}`) : ok(null);
    case "dateTime":
      if (SUBSTRING.includes(op)) return refuse(`is a dateTime and cannot be compared with ${op}`);
      return typeof value === "string" && parseDateTime(value) !== undefined
        ? ok(null)
        : refuse(`is a dateTime; expected a quoted xsd:dateTime such as "2011-05-13T04:42:34Z", got ${JSON.stringify(value)}`);
    case "complex":
      return refuse("is complex; compare one of its sub-attributes");
  }
}

function nameOf(path: ResolvedPath): string {
  return path.subAttribute === undefined ? path.attribute.name : `${path.attribute.name}.${path.subAttribute.name}`;
}
