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
  const { schemas, id: _id, meta: _meta, ...attributes } = input.document;
  const result: Record<string, unknown> = {
    schemas: Array.isArray(schemas) ? [...(schemas as readonly unknown[])] : [],
    id: input.id,
    ...attributes,
  };
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
