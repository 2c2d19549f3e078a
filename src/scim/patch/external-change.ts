import { fail, ok, type Result } from "../errors.js";
import { describeValue, findKey, isPlainObject } from "./json.js";
import type { ExternalChange, ExternalMemberValue, PatchOperation, PatchTarget } from "./types.js";

/**
 * Turns an operation on an attribute stored outside the document (Group `members`) into
 * an ExternalChange. Such attributes change only as whole elements: `members`,
 * `members[value eq "…"]` (remove), never `members.display`.
 */
export function toExternalChange(operation: PatchOperation, target: PatchTarget | undefined, value: unknown, where: string): Result<ExternalChange> {
  const attribute = target?.path.attribute.name ?? "";
  if (target !== undefined && target.path.subAttribute !== undefined) {
    return fail("invalidPath", `${where}: ${JSON.stringify(target.text)}: "${attribute}" changes only as whole elements; use the path "${attribute}"`);
  }
  switch (operation.op) {
    case "add":
    case "replace": {
      if (target?.filter !== undefined) {
        return fail("invalidPath", `${where}: ${JSON.stringify(target.text)}: "${operation.op}" on "${attribute}" takes the path "${attribute}" and a list of elements`);
      }
      const values = parseMemberValues(value, `${where}: "${attribute}"`);
      if (!values.ok) return values;
      return ok(operation.op === "add" ? { kind: "add", attribute, values: values.value } : { kind: "replaceAll", attribute, values: values.value });
    }
    case "remove": {
      if (operation.target.filter !== undefined) return ok({ kind: "remove", attribute, filter: operation.target.filter });
      if (operation.values === undefined) return ok({ kind: "removeAll", attribute });
      // Entra quirk `removeWithValue` — fixture test/idp/entra/remove-member.json.
      const values = parseMemberValues(operation.values, `${where}: "${attribute}"`);
      if (!values.ok) return values;
      return ok({ kind: "removeValues", attribute, values: values.value.map((member) => member.value) });
    }
  }
}

/** A path-less value's entry for an external attribute: `{"members": […]}`. */
export function toExternalChangeFromEntry(op: "add" | "replace", attribute: string, value: unknown, where: string): Result<ExternalChange> {
  const values = parseMemberValues(value, `${where}: "${attribute}"`);
  if (!values.ok) return values;
  return ok(op === "add" ? { kind: "add", attribute, values: values.value } : { kind: "replaceAll", attribute, values: values.value });
}

function parseMemberValues(raw: unknown, where: string): Result<readonly ExternalMemberValue[]> {
  if (raw === null) return ok([]);
  const items = Array.isArray(raw) ? raw : [raw];
  const values: ExternalMemberValue[] = [];
  for (const [i, item] of items.entries()) {
    const at = Array.isArray(raw) ? `${where}[${i}]` : where;
    if (!isPlainObject(item)) return fail("invalidValue", `${at}: expected an object with a "value", got ${describeValue(item)}`);
    const valueKey = findKey(item, "value");
    const value = valueKey === undefined ? undefined : item[valueKey];
    if (typeof value !== "string" || value === "") return fail("invalidValue", `${at}: "value" must be a non-empty string, got ${describeValue(value)}`);
    const type = optionalString(item, "type");
    const display = optionalString(item, "display");
    if (!type.ok) return fail("invalidValue", `${at}: "type" ${type.issue.detail}`);
    if (!display.ok) return fail("invalidValue", `${at}: "display" ${display.issue.detail}`);
    values.push({ value, ...(type.value === undefined ? {} : { type: type.value }), ...(display.value === undefined ? {} : { display: display.value }) });
  }
  return ok(values);
}

function optionalString(item: Readonly<Record<string, unknown>>, name: string): Result<string | undefined> {
  const key = findKey(item, name);
  const value = key === undefined ? undefined : item[key];
  if (value === undefined || value === null) return ok(undefined);
  return typeof value === "string" ? ok(value) : fail("invalidValue", `must be a string, got ${describeValue(value)}`);
}
