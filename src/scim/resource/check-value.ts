import { fail, ok, type Result } from "../errors.js";
import { countCharacters, isLongerThan, maxLengthOf, maxValuesOf } from "../schema/limits.js";
import type { AttributeDefinition } from "../schema/types.js";
import { describeValue, indexAttributes, isPlainObject, own } from "./document.js";

export interface CheckOptions {
  /**
   * Entra ID quirk: accept booleans sent as the strings "True" / "False" (any case) and
   * convert them. Fixture: test/scim/resource/fixtures/entra-string-booleans.json.
   */
  readonly lenientBooleans: boolean;
}

// RFC 7643 §2.3.5: xsd:dateTime; RFC 3339 §5.6 is its profile. The zone is optional in xsd.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/i;
// RFC 7643 §2.3.6: base64 (RFC 4648 §4), padded.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isDateTime(text: string): boolean {
  const match = DATE_TIME.exec(text);
  if (match === null) return false;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  if (month === undefined || day === undefined || hour === undefined || minute === undefined || second === undefined) return false;
  if (year === undefined || month < 1 || month > 12 || hour > 23 || minute > 59 || second > 60) return false;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return day >= 1 && day <= daysInMonth;
}

function mismatch(where: string, expected: string, value: unknown): Result<never> {
  return fail("invalidValue", `attribute "${where}": expected ${expected}, got ${describeValue(value)}`);
}

/** Limits of docs/attribute-limits.md: a value longer than its attribute allows never reaches a database (ADR 0030). */
function checkLength(attribute: AttributeDefinition, value: string, where: string): Result<string> {
  const max = maxLengthOf(attribute);
  if (max === undefined || !isLongerThan(value, max)) return ok(value);
  return fail("invalidValue", `attribute "${where}": expected at most ${max} characters, got ${countCharacters(value)}`);
}

/**
 * Checks one attribute's value against its definition and returns it canonicalised
 * (sub-attribute names in schema spelling, readOnly sub-attributes and nulls removed),
 * or `undefined` when the value is unassigned (null, empty array, empty complex value).
 */
export function checkAttributeValue(
  attribute: AttributeDefinition,
  value: unknown,
  where: string,
  options: CheckOptions,
): Result<unknown> {
  if (value === null || value === undefined) return ok(undefined);
  if (!attribute.multiValued) return checkSingleValue(attribute, value, where, options);
  if (!Array.isArray(value)) {
    return mismatch(where, `an array (multi-valued ${attribute.type})`, value);
  }
  const maxValues = maxValuesOf(attribute);
  if (maxValues !== undefined && value.length > maxValues) {
    return fail("invalidValue", `attribute "${where}": expected at most ${maxValues} values, got ${value.length}`);
  }
  const values: unknown[] = [];
  for (const [index, element] of value.entries()) {
    const elementWhere = `${where}[${index}]`;
    if (element === null || element === undefined) return mismatch(elementWhere, attribute.type === "complex" ? "object" : attribute.type, null);
    const checked = checkSingleValue(attribute, element, elementWhere, options);
    if (!checked.ok) return checked;
    if (checked.value !== undefined) values.push(checked.value);
  }
  if (values.length === 0) return ok(undefined);
  const primaries = values.filter((element) => isPlainObject(element) && element["primary"] === true).length;
  if (primaries > 1) {
    // RFC 7643 §2.4: the primary attribute value "true" MUST appear no more than once.
    return fail("invalidValue", `attribute "${where}": at most one value may have "primary": true, found ${primaries}`);
  }
  return ok(values);
}

function checkSingleValue(attribute: AttributeDefinition, value: unknown, where: string, options: CheckOptions): Result<unknown> {
  switch (attribute.type) {
    case "string":
    case "reference":
      if (typeof value !== "string") return mismatch(where, attribute.type, value);
      // U+0000 has no place in a SCIM string and PostgreSQL text cannot hold it.
      if (value.includes("\u0000")) return fail("invalidValue", `attribute "${where}": strings may not contain the NUL character (U+0000)`);
      return checkLength(attribute, value, where);
    case "boolean":
      if (typeof value === "boolean") return ok(value);
      if (options.lenientBooleans && typeof value === "string") {
        const lower = value.toLowerCase();
        if (lower === "true" || lower === "false") return ok(lower === "true");
      }
      return mismatch(where, "boolean", value);
    case "integer":
      return typeof value === "number" && Number.isInteger(value) ? ok(value) : mismatch(where, `a whole number (integer)${typeof value === "string" ? ", not a string" : ""}`, value);
    case "decimal":
      return typeof value === "number" && Number.isFinite(value) ? ok(value) : mismatch(where, `a number (decimal)${typeof value === "string" ? ", not a string" : ""}`, value);
    case "dateTime":
      return typeof value === "string" && isDateTime(value)
        ? ok(value)
        : mismatch(where, 'dateTime (RFC 3339, e.g. "2024-01-31T12:00:00Z")', value);
    case "binary": {
      if (typeof value !== "string") return mismatch(where, "base64 binary", value);
      // Length first: the pattern need not scan a value refused anyway.
      const length = checkLength(attribute, value, where);
      if (!length.ok) return length;
      return BASE64.test(value) ? ok(value) : mismatch(where, "base64 binary", value);
    }
    case "complex":
      return checkComplexValue(attribute, value, where, options);
  }
}

function checkComplexValue(attribute: AttributeDefinition, value: unknown, where: string, options: CheckOptions): Result<unknown> {
  if (!isPlainObject(value)) return mismatch(where, "complex value (object)", value);
  const subAttributes = attribute.subAttributes ?? [];
  const byName = indexAttributes(subAttributes);
  const given = new Map<AttributeDefinition, unknown>();
  for (const [key, subValue] of Object.entries(value)) {
    const sub = byName.get(key.toLowerCase());
    if (sub === undefined) return fail("invalidSyntax", `unknown attribute "${where}.${key}"`);
    if (given.has(sub)) return fail("invalidSyntax", `attribute "${where}.${sub.name}" is given more than once`);
    given.set(sub, subValue);
  }
  const result: Record<string, unknown> = {};
  for (const sub of subAttributes) {
    // RFC 7644 §3.3, §3.5.1: readOnly values in a request are ignored.
    if (sub.mutability === "readOnly") continue;
    const checked = checkAttributeValue(sub, given.get(sub), `${where}.${sub.name}`, options);
    if (!checked.ok) return checked;
    if (checked.value !== undefined) result[sub.name] = checked.value;
  }
  if (Object.keys(result).length === 0) return ok(undefined);
  for (const sub of subAttributes) {
    if (sub.required && sub.mutability !== "readOnly" && isEmpty(own(result, sub.name))) {
      return fail("invalidValue", `${where}.${sub.name} is required`);
    }
  }
  return ok(result);
}

/** A required attribute is missing when unassigned, empty, or only white space. */
export function isEmpty(value: unknown): boolean {
  return value === undefined || (typeof value === "string" && value.trim() === "");
}
