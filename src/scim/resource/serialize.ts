import type { ScimDocument } from "./document.js";

export interface SerializeResourceInput {
  readonly id: string;
  readonly resourceType: string;
  readonly document: ScimDocument;
  readonly created: string;
  readonly lastModified: string;
  readonly version: number;
  readonly location: string;
  /** Attributes stored elsewhere and supplied by the caller, e.g. `groups` or `members`. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** RFC 7643 §3.1 `meta.version`: Roster's versions are counters, sent as weak ETags `W/"n"`. */
export function formatVersion(version: number): string {
  return `W/"${version}"`;
}

/** The wire form of a stored resource: `schemas`, `id`, its attributes, `extra`, then `meta`. */
export function serializeResource(input: SerializeResourceInput): Record<string, unknown> {
  const { document } = input;
  const schemas = document["schemas"];
  // Copied key by key into a fresh object, not by `{ ...attributes }` and then adding `meta`:
  // V8 (Node 20) adds a property to a spread-made object through the runtime (docs/benchmarks.md).
  const result: Record<string, unknown> = { schemas: Array.isArray(schemas) ? [...(schemas as readonly unknown[])] : [], id: input.id };
  for (const key of Object.keys(document)) {
    if (key === "schemas" || key === "id" || key === "meta") continue;
    // An own `__proto__` key (JSON.parse makes one) stays an own property, as a spread kept it.
    if (key === "__proto__") Object.defineProperty(result, key, { value: document[key], enumerable: true, writable: true, configurable: true });
    else result[key] = document[key];
  }
  for (const [key, value] of Object.entries(input.extra ?? {})) {
    if (key !== "id" && key !== "meta" && key !== "schemas" && value !== undefined) result[key] = value;
  }
  result["meta"] = {
    resourceType: input.resourceType,
    created: input.created,
    lastModified: input.lastModified,
    location: input.location,
    version: formatVersion(input.version),
  };
  return result;
}
