/**
 * Reference semantics of a resolved SCIM filter (RFC 7644 §3.4.2.2). The SQL compiler in
 * src/store implements exactly these; a difference is a bug in one of the two.
 *
 * Values of a path, on a SCIM wire-form resource:
 * - Core and common attributes are top-level members; extension attributes live under
 *   their schema URN key. Member names are matched exactly, then case-insensitively.
 * - `attr` gives the attribute's value; a multi-valued attribute gives each element.
 * - `attr.sub` gives `sub` of the attribute (single complex) or of each element (multi-valued).
 * - Inside a value path, `sub` is read from the one element being tested.
 * A value is *present* unless it is undefined, null, "", an array with no present element
 * or an object with no present member.
 *
 * Comparisons, on the path's target attribute (the sub-attribute when there is one):
 * - A comparison is true when ANY value of the path satisfies it ("some element matches").
 * - `ne v` is `not (eq v)`: true when no value equals v, including when the attribute is absent.
 * - `eq null` is `not (pr)`; `ne null` is `pr`. Other operators reject null at resolution.
 * - string/reference/binary: when `caseExact` is false both sides are folded with
 *   String.prototype.toLowerCase (locale-independent). eq is equality, co/sw/ew are
 *   substring/prefix/suffix, gt/ge/lt/le order by Unicode code point (UTF-8 byte order).
 * - integer/decimal: numeric comparison on JSON numbers; co/sw/ew never match.
 * - boolean: eq only (ne via not); ordering never matches.
 * - dateTime: both sides parsed as xsd:dateTime (no zone = UTC) and compared as instants
 *   at millisecond precision; an unparsable stored value never matches.
 * - A stored value of the wrong JSON type never matches (so `ne` is true for it).
 * - `pr`: some value of the path is present.
 * - `not f` is plain boolean negation (two-valued: there is no "unknown").
 * - `attr[f]` (value path): some element of attr (or attr itself when single-valued
 *   complex) satisfies the whole of f; its paths are read from that same element.
 */
import type { CompareOperator, FilterValue, ResolvedFilter, ResolvedPath } from "./ast.js";
import type { AttributeDefinition } from "../schema/types.js";
import { compareCodePoints, foldCase, parseDateTime } from "./values.js";

type Scope =
  | { readonly kind: "resource"; readonly resource: Readonly<Record<string, unknown>> }
  | { readonly kind: "element"; readonly element: Readonly<Record<string, unknown>> };

/** True when the resource satisfies the filter (see the semantics above). */
export function evaluateFilter(filter: ResolvedFilter, resource: Readonly<Record<string, unknown>>): boolean {
  return evaluate(filter, { kind: "resource", resource });
}

/**
 * True when one element of a multi-valued complex attribute satisfies a value-path filter
 * whose paths were resolved within `parent` (so each has `subAttribute` set); for PATCH.
 */
export function matchesElement(filter: ResolvedFilter, element: Readonly<Record<string, unknown>>, parent: ResolvedPath): boolean {
  void parent;
  return evaluate(filter, { kind: "element", element });
}

function evaluate(filter: ResolvedFilter, scope: Scope): boolean {
  switch (filter.kind) {
    case "compare":
      return compare(filter.path, filter.op, filter.value, valuesOf(filter.path, scope));
    case "present":
      return valuesOf(filter.path, scope).some(isPresent);
    case "and":
      return evaluate(filter.left, scope) && evaluate(filter.right, scope);
    case "or":
      return evaluate(filter.left, scope) || evaluate(filter.right, scope);
    case "not":
      return !evaluate(filter.filter, scope);
    case "valuePath": {
      if (scope.kind === "element") return false;
      const outer = { schema: filter.path.schema, extension: filter.path.extension, attribute: filter.path.attribute };
      return valuesOf(outer, scope).some((element) => isObject(element) && evaluate(filter.filter, { kind: "element", element }));
    }
  }
}

function valuesOf(path: ResolvedPath, scope: Scope): unknown[] {
  if (scope.kind === "element") {
    return asList(member(scope.element, (path.subAttribute ?? path.attribute).name));
  }
  const base = path.extension ? member(scope.resource, path.schema) : scope.resource;
  if (!isObject(base)) return [];
  const value = member(base, path.attribute.name);
  const sub = path.subAttribute;
  if (sub === undefined) return asList(value);
  return asList(value).flatMap((item) => (isObject(item) ? asList(member(item, sub.name)) : []));
}

function compare(path: ResolvedPath, op: CompareOperator, expected: FilterValue, values: readonly unknown[]): boolean {
  if (expected === null) {
    if (op === "eq") return !values.some(isPresent);
    if (op === "ne") return values.some(isPresent);
    return false;
  }
  const target = path.subAttribute ?? path.attribute;
  if (op === "ne") return !values.some((actual) => satisfies(target, "eq", actual, expected));
  return values.some((actual) => satisfies(target, op, actual, expected));
}

function satisfies(target: AttributeDefinition, op: CompareOperator, actual: unknown, expected: string | number | boolean): boolean {
  switch (target.type) {
    case "string":
    case "reference":
    case "binary": {
      if (typeof actual !== "string" || typeof expected !== "string") return false;
      const a = target.caseExact ? actual : foldCase(actual);
      const e = target.caseExact ? expected : foldCase(expected);
      switch (op) {
        case "co":
          return a.includes(e);
        case "sw":
          return a.startsWith(e);
        case "ew":
          return a.endsWith(e);
        default:
          return ordered(op, compareCodePoints(a, e));
      }
    }
    case "boolean":
      return typeof actual === "boolean" && typeof expected === "boolean" && (op === "eq" || op === "ne") && actual === expected;
    case "integer":
    case "decimal":
      if (typeof actual !== "number" || typeof expected !== "number") return false;
      return ordered(op, actual === expected ? 0 : actual < expected ? -1 : 1);
    case "dateTime": {
      if (typeof actual !== "string" || typeof expected !== "string") return false;
      const a = parseDateTime(actual);
      const e = parseDateTime(expected);
      if (a === undefined || e === undefined) return false;
      return ordered(op, a === e ? 0 : a < e ? -1 : 1);
    }
    case "complex":
      return false;
  }
}

/** `eq`/`ne` and the orderings from a three-way comparison; substring operators are false. */
function ordered(op: CompareOperator, order: number): boolean {
  switch (op) {
    case "eq":
      return order === 0;
    case "ne":
      return order !== 0;
    case "gt":
      return order > 0;
    case "ge":
      return order >= 0;
    case "lt":
      return order < 0;
    case "le":
      return order <= 0;
    case "co":
    case "sw":
    case "ew":
      return false;
  }
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null || value === "") return false;
  if (Array.isArray(value)) return value.some(isPresent);
  if (isObject(value)) return Object.values(value).some(isPresent);
  return true;
}

function asList(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? (value as unknown[]) : [value];
}

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function member(object: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  const key = Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : object[key];
}
