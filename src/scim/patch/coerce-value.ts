import { fail, ok, type Result } from "../errors.js";
import type { AttributeDefinition } from "../schema/types.js";
import { describeValue, isPlainObject, type JsonObject } from "./json.js";
import type { PatchQuirks } from "./types.js";

/**
 * Types one value (a single value, or one element of a multi-valued attribute) against
 * its attribute definition and returns it in canonical form: sub-attribute names in the
 * schema's spelling, nulls dropped, read-only sub-attributes dropped (RFC 7644 §3.5.2:
 * the server ignores them as it does for PUT). Messages read `<where>: <label>: …`,
 * `where` naming the operation and `label` the value within it (`emails[1].primary`).
 */
export function coerceValue(
  value: unknown,
  definition: AttributeDefinition,
  where: string,
  quirks: PatchQuirks,
  label: string = definition.name,
): Result<unknown> {
  const expected = (what: string) => fail("invalidValue", `${where}: ${label}: expected ${what}, got ${describeValue(value)}`);
  switch (definition.type) {
    case "string":
    case "reference":
    case "binary":
      return typeof value === "string" ? ok(value) : expected("a string");
    case "boolean":
      if (typeof value === "boolean") return ok(value);
      // Entra quirk `lenientBooleans`: "True"/"False" — fixture test/idp/entra/disable-user.json.
      if (quirks.lenientBooleans && typeof value === "string") {
        const lower = value.toLowerCase();
        if (lower === "true" || lower === "false") return ok(lower === "true");
      }
      return expected("a boolean");
    case "integer":
      return typeof value === "number" && Number.isInteger(value) ? ok(value) : expected("an integer");
    case "decimal":
      return typeof value === "number" && Number.isFinite(value) ? ok(value) : expected("a number");
    case "dateTime":
      return typeof value === "string" && !Number.isNaN(Date.parse(value)) ? ok(value) : expected("a dateTime string");
    case "complex":
      return coerceComplex(value, definition, where, quirks, label);
  }
}

function coerceComplex(value: unknown, definition: AttributeDefinition, where: string, quirks: PatchQuirks, label: string): Result<unknown> {
  const subAttributes = definition.subAttributes ?? [];
  if (!isPlainObject(value)) {
    // Entra quirk `scalarForComplexValue`: the enterprise manager as a bare id — fixture test/idp/entra/set-manager.json.
    const valueAttribute = subAttributes.find((sub) => sub.name === "value");
    if (quirks.scalarForComplexValue && valueAttribute !== undefined && (typeof value === "string" || typeof value === "number")) {
      return coerceComplex({ value }, definition, where, quirks, label);
    }
    return fail("invalidValue", `${where}: ${label}: expected an object with sub-attributes of "${definition.name}", got ${describeValue(value)}`);
  }
  const result: JsonObject = {};
  for (const [key, raw] of Object.entries(value)) {
    const sub = subAttributes.find((candidate) => candidate.name.toLowerCase() === key.toLowerCase());
    if (sub === undefined) return fail("invalidValue", `${where}: ${label}: "${definition.name}" has no sub-attribute "${key}"`);
    if (raw === null || sub.mutability === "readOnly") continue;
    const at = `${label}.${sub.name}`;
    const typed = sub.multiValued ? coerceArray(raw, sub, where, quirks, at) : coerceValue(raw, sub, where, quirks, at);
    if (!typed.ok) return typed;
    Object.defineProperty(result, sub.name, { value: typed.value, enumerable: true, writable: true, configurable: true });
  }
  return ok(result);
}

/** Types every element of a multi-valued value; a single value stands for a one-element array. */
export function coerceArray(
  value: unknown,
  definition: AttributeDefinition,
  where: string,
  quirks: PatchQuirks,
  label: string = definition.name,
): Result<unknown[]> {
  const items = Array.isArray(value) ? value : [value];
  const result: unknown[] = [];
  for (const [i, item] of items.entries()) {
    if (item === null) continue;
    const typed = coerceValue(item, definition, where, quirks, Array.isArray(value) ? `${label}[${i}]` : label);
    if (!typed.ok) return typed;
    result.push(typed.value);
  }
  return ok(result);
}
