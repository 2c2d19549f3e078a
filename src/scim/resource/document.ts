import { COMMON_ATTRIBUTES } from "../schema/core-schemas.js";
import type { AttributeDefinition, ResourceSchema, SchemaDefinition } from "../schema/types.js";

/**
 * A resource as SCIM serialises it, without `id`, `meta` and the attributes the store
 * keeps elsewhere: core attributes top-level under their canonical names, extension
 * attributes under their schema URN, and `schemas` (core URN first, then the extensions
 * present). Structurally the same type as `ScimDocument` in src/store/store.ts.
 */
export type ScimDocument = Readonly<Record<string, unknown>>;

/** One schema's attributes as they sit in a document: top-level for the core, under the URN for an extension. */
export interface AttributeContainer {
  readonly schema: SchemaDefinition;
  readonly extension: boolean;
  readonly attributes: readonly AttributeDefinition[];
  /** Lower-cased name → definition. */
  readonly byName: ReadonlyMap<string, AttributeDefinition>;
}

// Schemas are immutable and built once per tenant profile (src/directory/schemas.ts), so
// what is derived from one is kept by identity: every parse and projection of every
// request asks for it.
const INDEXES = new WeakMap<readonly AttributeDefinition[], ReadonlyMap<string, AttributeDefinition>>();
const CONTAINERS = new WeakMap<ResourceSchema, readonly AttributeContainer[]>();

export function indexAttributes(attributes: readonly AttributeDefinition[]): ReadonlyMap<string, AttributeDefinition> {
  let index = INDEXES.get(attributes);
  if (index === undefined) {
    index = new Map(attributes.map((attribute) => [attribute.name.toLowerCase(), attribute]));
    INDEXES.set(attributes, index);
  }
  return index;
}

/** The core container (with RFC 7643 §3.1 common attributes) followed by one container per extension. */
export function attributeContainers(schema: ResourceSchema): readonly AttributeContainer[] {
  const known = CONTAINERS.get(schema);
  if (known !== undefined) return known;
  const coreAttributes = [...COMMON_ATTRIBUTES, ...schema.core.attributes];
  const containers = [
    { schema: schema.core, extension: false, attributes: coreAttributes, byName: indexAttributes(coreAttributes) },
    ...schema.extensions.map((extension) => ({
      schema: extension,
      extension: true,
      attributes: extension.attributes,
      byName: indexAttributes(extension.attributes),
    })),
  ];
  CONTAINERS.set(schema, containers);
  return containers;
}

export function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The record's own property (never one inherited from Object.prototype). */
export function own(record: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Deep equality of JSON values (object keys in any order). */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, index) => sameJson(item, b[index]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && sameJson(a[key], b[key]));
  }
  return false;
}

/** The value under `key` matched ignoring case (attribute names and URNs are case-insensitive); undefined when absent. */
export function ownIgnoringCase(record: unknown, key: string): unknown {
  if (!isPlainObject(record)) return undefined;
  if (Object.hasOwn(record, key)) return record[key];
  const lower = key.toLowerCase();
  const found = Object.keys(record).find((candidate) => candidate.toLowerCase() === lower);
  return found === undefined ? undefined : record[found];
}

export function sameUrn(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** `attribute "emails[1].primary"`-style location of a value inside a document. */
export function describeLocation(container: AttributeContainer, path: string): string {
  return container.extension ? `${container.schema.id}:${path}` : path;
}

/** A short description of a JSON value for error messages: `string "yes"`, `number 1.5`, `object`. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "string": {
      const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      return `string ${JSON.stringify(shown)}`;
    }
    case "number":
    case "boolean":
      return `${typeof value} ${String(value)}`;
    default:
      return typeof value;
  }
}
