import { fail, ok, type Result } from "../errors.js";

/** One entity tag: `W/"3"` is `{ weak: true, opaque: "3" }` (quotes removed). */
export interface EntityTag {
  readonly weak: boolean;
  readonly opaque: string;
}

/** An If-Match / If-None-Match header value (RFC 9110 §13.1.1, §13.1.2): `*` or a list of entity tags. */
export type ETagCondition = { readonly kind: "any" } | { readonly kind: "tags"; readonly tags: readonly EntityTag[] };

// RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text
const ENTITY_TAG = /^\s*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)/;

/** Parses an If-Match / If-None-Match value; a malformed one is `invalidSyntax` naming the header. */
export function parseETagList(header: string, headerName = "If-Match"): Result<ETagCondition> {
  if (header.trim() === "*") return ok({ kind: "any" });
  const tags: EntityTag[] = [];
  let rest = header;
  while (rest.trim().length > 0) {
    const match = ENTITY_TAG.exec(rest);
    if (match === null) {
      const at = header.length - rest.length + 1;
      return fail(
        "invalidSyntax",
        `${headerName}: expected "*" or a comma-separated list of entity tags such as W/"3", got ${JSON.stringify(rest.trim())} at column ${at}`,
      );
    }
    tags.push({ weak: match[1] !== undefined, opaque: match[2] ?? "" });
    rest = rest.slice(match[0].length);
    if (match[0].endsWith(",") && rest.trim().length === 0) {
      return fail("invalidSyntax", `${headerName}: expected an entity tag after the last ","`);
    }
  }
  if (tags.length === 0) return fail("invalidSyntax", `${headerName}: expected "*" or at least one entity tag`);
  return ok({ kind: "tags", tags });
}

/**
 * Whether a resource at `version` matches the condition, by weak comparison (RFC 9110
 * §8.8.3.2): SCIM's versions are weak ETags, and RFC 7644 §3.14 uses them in If-Match.
 */
export function matchesVersion(condition: ETagCondition, version: number): boolean {
  if (condition.kind === "any") return true;
  const opaque = String(version);
  return condition.tags.some((tag) => tag.opaque === opaque);
}
