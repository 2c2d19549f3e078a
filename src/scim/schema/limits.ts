import type { AttributeDefinition } from "./types.js";

/*
 * How long a value may be (docs/attribute-limits.md, docs/decisions/0030). Lengths count
 * Unicode characters (code points, as PostgreSQL's char_length and SQLite's length() count
 * them), so a limit means the same to a client whatever its script and on both databases.
 * A code point is at most 4 bytes of UTF-8, also after the lower-casing the indexed copies
 * get (`foldCase`), so IDENTIFIER_MAX_LENGTH characters are at most 2,048 bytes: an index
 * row stays below PostgreSQL's btree limit of 2,704 bytes with the tenant id and kind.
 */

/** Attributes copied into an index (userName, externalId, displayName, emails.value) and ids of other resources. */
export const IDENTIFIER_MAX_LENGTH = 512;
/** URLs (profileUrl, photos): twice the 2,000 characters browsers and proxies reliably carry. */
export const REFERENCE_MAX_LENGTH = 2_048;
/** Every other string: names, titles, addresses, profile-declared strings unless the profile says otherwise. */
export const TEXT_MAX_LENGTH = 4_096;
/** Base64 binary (x509Certificates): a certificate chain of several kilobytes fits many times over. */
export const BINARY_MAX_LENGTH = 65_536;
/** The largest `maxLength` a profile may declare for one of its attributes. */
export const DECLARED_MAX_LENGTH_CEILING = 65_536;

/** Per-person contact lists (emails, phoneNumbers, ims, photos, addresses, x509Certificates): each value is a row or a card. */
export const CONTACT_MAX_VALUES = 100;
/** Every other multi-valued attribute of a document (entitlements, roles, profile-declared lists). */
export const MAX_VALUES = 1_000;

/** The most characters a value of `attribute` may have; undefined for types that are not text. */
export function maxLengthOf(attribute: AttributeDefinition): number | undefined {
  switch (attribute.type) {
    case "string":
      return attribute.maxLength ?? TEXT_MAX_LENGTH;
    case "reference":
      return attribute.maxLength ?? REFERENCE_MAX_LENGTH;
    case "binary":
      return attribute.maxLength ?? BINARY_MAX_LENGTH;
    case "boolean":
    case "integer":
    case "decimal":
    case "dateTime":
    case "complex":
      return undefined;
  }
}

/** The most values a multi-valued `attribute` may hold; undefined for a single-valued one. */
export function maxValuesOf(attribute: AttributeDefinition): number | undefined {
  return attribute.multiValued ? (attribute.maxValues ?? MAX_VALUES) : undefined;
}

/** The number of Unicode code points of `text`: a surrogate pair counts once, anything else per UTF-16 unit. */
export function countCharacters(text: string): number {
  let count = text.length;
  for (let i = 1; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xdc00 && unit <= 0xdfff && (text.charCodeAt(i - 1) & 0xfc00) === 0xd800) count--;
  }
  return count;
}

/** Whether `text` is longer than `max` characters; reads no further than needed for a short string. */
export function isLongerThan(text: string, max: number): boolean {
  // A code point is one or two UTF-16 units: only a string between max and 2 × max units needs counting.
  if (text.length <= max) return false;
  if (text.length > 2 * max) return true;
  return countCharacters(text) > max;
}
