import type { AttributePath } from "./ast.js";

/** RFC 7643 §2.1 ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA; plus `$ref`. */
export const ATTRIBUTE_NAME = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/;

const SCHEMA_URI = /^[A-Za-z][A-Za-z0-9+.-]*(?::[A-Za-z0-9._~%!$&'()*+,;=@/-]+)+$/;

/** Why an attribute path is malformed, and the offset (0-based, within the path text) where. */
export interface AttributePathFault {
  readonly reason: string;
  readonly offset: number;
  readonly hint?: string;
}

/** `reason at column N; hint`, the column counted from `base` (the path's offset in a longer text). */
export function describeAttributePathFault(fault: AttributePathFault, base = 0): string {
  const where = `${fault.reason} at column ${base + fault.offset + 1}`;
  return fault.hint === undefined ? where : `${where}; ${fault.hint}`;
}

export type SplitAttributePath = { readonly ok: true; readonly path: AttributePath } | { readonly ok: false; readonly fault: AttributePathFault };

const NAME_RULE = 'an attribute name starts with a letter and continues with letters, digits, "-" or "_"';

/**
 * RFC 7644 §3.10 attrPath = [URI ":"] ATTRNAME *1subAttr. The URI is everything up to
 * the last ":" (schema URNs contain dots, as in `2.0`), so the name part never has one.
 */
export function splitAttributePath(text: string): SplitAttributePath {
  if (text.length === 0) return { ok: false, fault: { reason: "empty attribute path", offset: 0 } };
  const colon = text.lastIndexOf(":");
  const schema = colon === -1 ? undefined : text.slice(0, colon);
  const nameStart = colon + 1;
  if (schema !== undefined && !SCHEMA_URI.test(schema)) {
    return { ok: false, fault: { reason: `malformed schema URI "${schema}"`, offset: 0 } };
  }
  const names = text.slice(nameStart);
  if (names.length === 0) {
    return { ok: false, fault: { reason: `no attribute name after the schema URI "${schema ?? ""}"`, offset: nameStart } };
  }
  const parts = names.split(".");
  let offset = nameStart;
  for (const part of parts) {
    if (!ATTRIBUTE_NAME.test(part)) {
      const reason = part.length === 0 ? "empty attribute name" : `invalid attribute name "${part}"`;
      return { ok: false, fault: { reason, offset, hint: NAME_RULE } };
    }
    offset += part.length + 1;
  }
  const [attribute, subAttribute, extra] = parts;
  if (extra !== undefined) {
    return {
      ok: false,
      fault: {
        reason: `"${names}" has more than one sub-attribute level`,
        offset: nameStart + (attribute?.length ?? 0) + (subAttribute?.length ?? 0) + 2,
      },
    };
  }
  return {
    ok: true,
    path: {
      ...(schema === undefined ? {} : { schema }),
      attribute: attribute ?? "",
      ...(subAttribute === undefined ? {} : { subAttribute }),
    },
  };
}

export function formatAttributePath(path: AttributePath): string {
  const name = path.subAttribute === undefined ? path.attribute : `${path.attribute}.${path.subAttribute}`;
  return path.schema === undefined ? name : `${path.schema}:${name}`;
}
