import { fail, ok, type Result } from "../errors.js";
import type { ResolvedFilter, ResolvedPath } from "../filter/ast.js";
import { matchesElement } from "../filter/evaluate.js";
import type { AttributeDefinition, ResourceSchema } from "../schema/types.js";
import { coerceArray, coerceValue } from "./coerce-value.js";
import { cloneJson, findKey, isPlainObject, isUnassigned, jsonEqual, type JsonObject } from "./json.js";
import type { PatchQuirks, PatchTarget } from "./types.js";

/** The document being patched: a private deep copy that operations mutate in place. */
export interface Draft {
  readonly schema: ResourceSchema;
  readonly quirks: PatchQuirks;
  readonly root: JsonObject;
}

/** RFC 7644 §3.5.2.1 (add) and §3.5.2.3 (replace) on one target. */
export function setTarget(draft: Draft, op: "add" | "replace", target: PatchTarget, value: unknown, where: string): Result<true> {
  return guarded(draft, target.path, where, () => {
    const box = containerOf(draft.root, target.path, true);
    if (box === undefined) return ok(true);
    if (target.filter !== undefined) return setFiltered(draft, box, op, target, target.filter, value, where);
    const { attribute, subAttribute } = target.path;
    if (value === null) {
      removePlain(box, target.path);
      return ok(true);
    }
    if (subAttribute !== undefined) {
      if (attribute.multiValued) {
        return fail(
          "invalidPath",
          `${where}: ${JSON.stringify(target.text)} names "${subAttribute.name}" of every "${attribute.name}" element; select elements with a filter, as in ${attribute.name}[type eq "work"].${subAttribute.name}`,
        );
      }
      const typed = typeValue(draft, value, subAttribute, where);
      if (!typed.ok) return typed;
      const parent = objectAt(box, attribute.name);
      put(parent, subAttribute.name, op === "add" && subAttribute.multiValued ? appendNew(get(parent, subAttribute.name), typed.value) : typed.value);
      return ok(true);
    }
    if (attribute.multiValued) {
      const typed = coerceArray(value, attribute, where, draft.quirks);
      if (!typed.ok) return typed;
      if (op === "replace") {
        put(box, attribute.name, typed.value);
        return ok(true);
      }
      // RFC 7644 §3.5.2.1: values already present are not added again.
      const existing = arrayAt(box, attribute.name);
      const added = appendNew([], typed.value).filter((item) => !existing.some((old) => jsonEqual(old, item)));
      const elements = [...existing, ...added];
      makePrimaryUnique(attribute, elements, added);
      put(box, attribute.name, elements);
      return ok(true);
    }
    const typed = coerceValue(value, attribute, where, draft.quirks);
    if (!typed.ok) return typed;
    if (attribute.type === "complex" && isPlainObject(typed.value)) {
      // RFC 7644 §3.5.2.3: sub-attributes not given are left unchanged.
      const parent = objectAt(box, attribute.name);
      for (const [name, sub] of Object.entries(typed.value)) put(parent, name, sub);
      return ok(true);
    }
    put(box, attribute.name, typed.value);
    return ok(true);
  });
}

/** RFC 7644 §3.5.2.2; `values` is Entra's remove-with-value (quirk `removeWithValue`). */
export function removeTarget(draft: Draft, target: PatchTarget, values: readonly unknown[] | undefined, where: string): Result<true> {
  return guarded(draft, target.path, where, () => {
    const box = containerOf(draft.root, target.path, false);
    if (box === undefined) return ok(true);
    const { attribute, subAttribute } = target.path;
    const current = get(box, attribute.name);
    if (target.filter !== undefined) {
      if (!Array.isArray(current)) return ok(true);
      const outer = outerPath(target.path);
      const kept: unknown[] = [];
      for (const element of current) {
        if (!isPlainObject(element) || !matchesElement(target.filter, element, outer)) kept.push(element);
        else if (subAttribute !== undefined) kept.push(without(element, subAttribute.name));
      }
      put(box, attribute.name, kept);
      return ok(true);
    }
    if (values !== undefined) {
      const typed = coerceArray(values, attribute, where, draft.quirks);
      if (!typed.ok) return typed;
      if (Array.isArray(current)) put(box, attribute.name, current.filter((element) => !typed.value.some((given) => includes(element, given))));
      return ok(true);
    }
    removePlain(box, target.path);
    return ok(true);
  });
}

function setFiltered(
  draft: Draft,
  box: JsonObject,
  op: "add" | "replace",
  target: PatchTarget,
  filter: ResolvedFilter,
  value: unknown,
  where: string,
): Result<true> {
  const { attribute, subAttribute } = target.path;
  const outer = outerPath(target.path);
  const elements = arrayAt(box, attribute.name).map((element) => (isPlainObject(element) ? { ...element } : element));
  const matched = elements.filter((element): element is JsonObject => isPlainObject(element) && matchesElement(filter, element, outer));

  const typedValue = (): Result<JsonObject> => {
    const typed = subAttribute === undefined ? coerceValue(value, attribute, where, draft.quirks) : typeValue(draft, value, subAttribute, where);
    if (!typed.ok) return typed;
    if (subAttribute !== undefined) return ok(value === null ? {} : { [subAttribute.name]: typed.value });
    return isPlainObject(typed.value) ? ok({ ...typed.value }) : ok({});
  };

  if (matched.length === 0) {
    // RFC 7644 §3.5.2.3: a replace whose filter matches nothing is noTarget; `add` creates the element.
    if (op === "replace" && !draft.quirks.upsertOnValuePathReplace) {
      return fail("noTarget", `${where}: no "${attribute.name}" element matches the filter`);
    }
    if (value === null) return ok(true);
    const seed = elementFromFilter(draft, filter, where);
    if (!seed.ok) return seed;
    const typed = typedValue();
    if (!typed.ok) return typed;
    const element = { ...seed.value, ...typed.value };
    const all = [...elements, element];
    makePrimaryUnique(attribute, all, [element]);
    put(box, attribute.name, all);
    return ok(true);
  }

  const typed = value === null ? ok<JsonObject>({}) : typedValue();
  if (!typed.ok) return typed;
  for (const element of matched) {
    if (subAttribute !== undefined && value === null) deleteKey(element, subAttribute.name);
    if (op === "replace" && subAttribute === undefined) for (const key of Object.keys(element)) deleteKey(element, key);
    for (const [name, sub] of Object.entries(typed.value)) put(element, name, sub);
  }
  makePrimaryUnique(attribute, elements, matched);
  put(box, attribute.name, elements);
  return ok(true);
}

/**
 * The element a value-path add (or, with `upsertOnValuePathReplace`, replace) creates when
 * nothing matches: the filter's `eq` terms, which must be joined by `and`.
 */
function elementFromFilter(draft: Draft, filter: ResolvedFilter, where: string): Result<JsonObject> {
  const terms: [AttributeDefinition, unknown][] = [];
  const collect = (node: ResolvedFilter): boolean => {
    if (node.kind === "and") return collect(node.left) && collect(node.right);
    if (node.kind !== "compare" || node.op !== "eq" || node.path.subAttribute === undefined || node.value === null) return false;
    terms.push([node.path.subAttribute, node.value]);
    return true;
  };
  if (!collect(filter)) {
    return fail("noTarget", `${where}: no element matches, and only a filter of "eq" terms joined by "and" describes a new one`);
  }
  const element: JsonObject = {};
  for (const [definition, raw] of terms) {
    const typed = typeValue(draft, raw, definition, where);
    if (!typed.ok) return typed;
    const previous = get(element, definition.name);
    if (previous !== undefined && !jsonEqual(previous, typed.value)) {
      return fail("noTarget", `${where}: no element matches, and the filter's terms contradict each other`);
    }
    put(element, definition.name, typed.value);
  }
  return ok(element);
}

function typeValue(draft: Draft, value: unknown, definition: AttributeDefinition, where: string): Result<unknown> {
  return definition.multiValued ? coerceArray(value, definition, where, draft.quirks) : coerceValue(value, definition, where, draft.quirks);
}

/** When an operation makes elements primary, every other element stops being primary. */
function makePrimaryUnique(attribute: AttributeDefinition, elements: readonly unknown[], touched: readonly unknown[]): void {
  if (!attribute.subAttributes?.some((sub) => sub.name === "primary")) return;
  if (!touched.some((element) => isPlainObject(element) && element["primary"] === true)) return;
  for (const element of elements) {
    if (isPlainObject(element) && element["primary"] === true && !touched.includes(element)) (element as JsonObject)["primary"] = false;
  }
}

/**
 * RFC 7644 §3.5.2.2 and RFC 7643 §7: removing (or unassigning) a required attribute, or
 * changing an immutable one once it has a value, is a `mutability` error.
 */
function guarded(draft: Draft, path: ResolvedPath, where: string, change: () => Result<true>): Result<true> {
  const before = cloneJson(readCurrent(draft.root, outerPath(path)));
  const changed = change();
  if (!changed.ok) return changed;
  const after = readCurrent(draft.root, outerPath(path));
  const checked = checkTransition(path.attribute, path.attribute.name, before, after, where);
  if (!checked.ok || path.attribute.type !== "complex" || path.attribute.multiValued) return checked;
  for (const sub of path.attribute.subAttributes ?? []) {
    const result = checkTransition(sub, `${path.attribute.name}.${sub.name}`, pick(before, sub.name), pick(after, sub.name), where);
    if (!result.ok) return result;
  }
  return ok(true);
}

function checkTransition(definition: AttributeDefinition, name: string, before: unknown, after: unknown, where: string): Result<true> {
  if (isUnassigned(before) || isEmptyObject(before)) return ok(true);
  if (definition.mutability === "immutable" && !jsonEqual(before, after)) return fail("mutability", `${where}: "${name}" is immutable`);
  if (definition.required && isUnassigned(after)) return fail("mutability", `${where}: "${name}" is required and cannot be removed`);
  return ok(true);
}

/** The current value of the path's attribute (or sub-attribute of a single-valued complex attribute). */
export function readCurrent(root: JsonObject, path: ResolvedPath): unknown {
  const box = containerOf(root, path, false);
  if (box === undefined) return undefined;
  const value = get(box, path.attribute.name);
  return path.subAttribute === undefined ? value : pick(value, path.subAttribute.name);
}

function removePlain(box: JsonObject, path: ResolvedPath): void {
  const { attribute, subAttribute } = path;
  if (subAttribute === undefined) {
    deleteKey(box, attribute.name);
    return;
  }
  const current = get(box, attribute.name);
  if (Array.isArray(current)) put(box, attribute.name, current.map((element) => (isPlainObject(element) ? without(element, subAttribute.name) : element)));
  else if (isPlainObject(current)) put(box, attribute.name, without(current, subAttribute.name));
}

function outerPath(path: ResolvedPath): ResolvedPath {
  return { schema: path.schema, extension: path.extension, attribute: path.attribute };
}

function containerOf(root: JsonObject, path: ResolvedPath, create: boolean): JsonObject | undefined {
  if (!path.extension) return root;
  const existing = get(root, path.schema);
  if (isPlainObject(existing)) return existing as JsonObject;
  if (!create) return undefined;
  const fresh: JsonObject = {};
  put(root, path.schema, fresh);
  return fresh;
}

function objectAt(box: JsonObject, name: string): JsonObject {
  const existing = get(box, name);
  if (isPlainObject(existing)) return existing as JsonObject;
  const fresh: JsonObject = {};
  put(box, name, fresh);
  return fresh;
}

function arrayAt(box: JsonObject, name: string): unknown[] {
  const existing = get(box, name);
  return Array.isArray(existing) ? [...(existing as unknown[])] : [];
}

function appendNew(existing: unknown, added: unknown): unknown[] {
  const result = Array.isArray(existing) ? [...(existing as unknown[])] : [];
  for (const item of Array.isArray(added) ? added : [added]) if (!result.some((old) => jsonEqual(old, item))) result.push(item);
  return result;
}

/** Whether `element` has every sub-attribute value `given` names (Entra's remove-with-value). */
function includes(element: unknown, given: unknown): boolean {
  if (!isPlainObject(element) || !isPlainObject(given)) return jsonEqual(element, given);
  const entries = Object.entries(given);
  return entries.length > 0 && entries.every(([name, value]) => jsonEqual(get(element, name), value));
}

function pick(value: unknown, name: string): unknown {
  return isPlainObject(value) ? get(value, name) : undefined;
}

function get(object: Readonly<Record<string, unknown>>, name: string): unknown {
  const key = findKey(object, name);
  return key === undefined ? undefined : object[key];
}

/** Sets `name` in canonical spelling, dropping any other spelling of it (RFC 7643 §2.1). */
function put(object: JsonObject, name: string, value: unknown): void {
  deleteKey(object, name);
  Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true });
}

function deleteKey(object: JsonObject, name: string): void {
  const lower = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) delete object[key];
}

function without(object: Readonly<Record<string, unknown>>, name: string): JsonObject {
  const copy: JsonObject = { ...object };
  deleteKey(copy, name);
  return copy;
}

function isEmptyObject(value: unknown): boolean {
  return isPlainObject(value) && Object.keys(value).length === 0;
}
