import type { AttributeDefinition } from "../schema/types.js";

/** RFC 7644 §3.4.2.2 comparison operators (`pr` is its own node). */
export type CompareOperator = "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "ge" | "lt" | "le";

export const COMPARE_OPERATORS: readonly CompareOperator[] = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"];

/** A JSON literal as written in a filter: string, number, true, false or null. */
export type FilterValue = string | number | boolean | null;

/**
 * An attribute path as written: `urn:…:User:name.givenName` is
 * `{ schema: "urn:…:User", attribute: "name", subAttribute: "givenName" }`.
 * Names keep the client's spelling; resolution against a schema canonicalises them.
 */
export interface AttributePath {
  readonly schema?: string;
  readonly attribute: string;
  readonly subAttribute?: string;
}

/**
 * The filter AST, generic over its path type: `Filter` as parsed, `ResolvedFilter` once
 * every path has been resolved against a resource schema. Inside a `valuePath` node, the inner filter's paths name
 * sub-attributes of the value path's attribute (`emails[type eq "work"]` has an inner
 * path `{ attribute: "type" }`), and the whole inner filter must hold for one element.
 */
export type Filter<P = AttributePath> =
  | { readonly kind: "compare"; readonly path: P; readonly op: CompareOperator; readonly value: FilterValue }
  | { readonly kind: "present"; readonly path: P }
  | { readonly kind: "and"; readonly left: Filter<P>; readonly right: Filter<P> }
  | { readonly kind: "or"; readonly left: Filter<P>; readonly right: Filter<P> }
  | { readonly kind: "not"; readonly filter: Filter<P> }
  | { readonly kind: "valuePath"; readonly path: P; readonly filter: Filter<P> };

/**
 * A PATCH path (RFC 7644 §3.5.2): `attrPath` or `valuePath [ "." subAttr ]`,
 * e.g. `emails[type eq "work"].value` is
 * `{ attribute: { attribute: "emails" }, filter: …, subAttribute: "value" }`.
 */
export interface PatchPath {
  readonly attribute: AttributePath;
  readonly filter?: Filter;
  /** Only with `filter`: the sub-attribute after the closing bracket. */
  readonly subAttribute?: string;
}

/**
 * An attribute path resolved against a resource schema: canonical names and the
 * attribute's characteristics. `schema` is the URN of the schema the attribute belongs
 * to (the core schema for common attributes such as `id`, `externalId` and `meta`).
 * Inside a `valuePath`, inner paths resolve to the outer attribute plus a sub-attribute.
 */
export interface ResolvedPath {
  readonly schema: string;
  /** True when the attribute lives under its schema URN key in the document (an extension). */
  readonly extension: boolean;
  readonly attribute: AttributeDefinition;
  readonly subAttribute?: AttributeDefinition;
}

export type ResolvedFilter = Filter<ResolvedPath>;
