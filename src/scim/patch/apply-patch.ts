import { fail, ok, type Result } from "../errors.js";
import type { ResolvedPath } from "../filter/ast.js";
import { parseAttributePath, resolveAttributePath } from "../path.js";
import { ownIgnoringCase } from "../resource/document.js";
import { validateDocument } from "../resource/validate-document.js";
import type { ResourceSchema } from "../schema/types.js";
import { toExternalChange, toExternalChangeFromEntry } from "./external-change.js";
import { cloneJson, describeValue, isPlainObject, jsonEqual, type JsonObject } from "./json.js";
import { readCurrent, removeTarget, setTarget, type Draft } from "./write-target.js";
import {
  resolveQuirks,
  type ApplyPatchOptions,
  type ExternalChange,
  type PatchOperation,
  type PatchResult,
  type PatchTarget,
} from "./types.js";

/**
 * Applies parsed PATCH operations (RFC 7644 §3.5.2) to a document, atomically: the
 * first failing operation fails the whole request and nothing is returned. Never mutates
 * `document`. The result is checked by the shared validator (types, required, one primary).
 * Operations on `externalAttributes` are not applied but returned, in order, as `external`.
 */
export function applyPatch(
  document: Readonly<Record<string, unknown>>,
  operations: readonly PatchOperation[],
  schema: ResourceSchema,
  options: ApplyPatchOptions = {},
): Result<PatchResult> {
  const draft: Draft = { schema, quirks: resolveQuirks(options.quirks), root: cloneJson(document) as JsonObject };
  const externalAttributes = options.externalAttributes ?? new Set<string>();
  const isExternal = (path: ResolvedPath) => !path.extension && externalAttributes.has(path.attribute.name);
  const external: ExternalChange[] = [];

  for (const operation of operations) {
    const where = `Operations[${operation.index}]`;
    const target = operation.target;
    if (target !== undefined && isExternal(target.path)) {
      const change = toExternalChange(operation, target, operation.op === "remove" ? undefined : operation.value, where);
      if (!change.ok) return change;
      external.push(change.value);
      continue;
    }
    if (operation.op === "remove") {
      const writable = checkWritable(operation.target, where);
      if (!writable.ok) return writable;
      const removed = removeTarget(draft, operation.target, operation.values, `${where} (remove ${JSON.stringify(operation.target.text)})`);
      if (!removed.ok) return removed;
      continue;
    }
    if (target !== undefined) {
      const writable = checkWritable(target, where);
      if (!writable.ok) return writable;
      if (restatesCurrent(draft, target, operation.value)) continue;
      const set = setTarget(draft, operation.op, target, operation.value, `${where} (${operation.op} ${JSON.stringify(target.text)})`);
      if (!set.ok) return set;
      continue;
    }
    const entries = pathlessEntries(operation.value, schema, where, draft.root);
    if (!entries.ok) return entries;
    for (const entry of entries.value) {
      const at = `${where} (${operation.op} ${JSON.stringify(entry.target.text)})`;
      if (isExternal(entry.target.path)) {
        if (entry.target.path.subAttribute !== undefined) {
          return fail("invalidPath", `${at}: "${entry.target.path.attribute.name}" changes only as whole elements`);
        }
        const change = toExternalChangeFromEntry(operation.op, entry.target.path.attribute.name, entry.value, at);
        if (!change.ok) return change;
        external.push(change.value);
        continue;
      }
      if (isReadOnly(entry.target.path)) {
        // Okta quirk `ignoreReadOnlyInPathlessValue` — fixture test/idp/okta/replace-group.json.
        const current = draft.quirks.ignoreReadOnlyInPathlessValue ? readCurrent(draft.root, entry.target.path) : undefined;
        if (draft.quirks.ignoreReadOnlyInPathlessValue && (current === undefined || jsonEqual(current, entry.value))) continue;
        return fail("mutability", `${at}: ${JSON.stringify(entry.target.text)} is read-only`);
      }
      if (restatesCurrent(draft, entry.target, entry.value)) continue;
      const set = setTarget(draft, operation.op, entry.target, entry.value, at);
      if (!set.ok) return set;
    }
  }

  // Judged on what the operations change: a value left as stored is kept even when the schema no longer accepts it (ADR 0020).
  const validated = validateDocument(draft.root, schema, { stored: document });
  if (!validated.ok) return fail(validated.issue.code, `patch result: ${validated.issue.detail}`);
  const { writeOnly, keptAsStored } = validated.value;
  return ok({
    document: validated.value.document,
    changed: !jsonEqual(stripWriteOnly(document, schema), validated.value.document),
    external,
    writeOnly,
    ...(keptAsStored === undefined ? {} : { keptAsStored }),
  });
}

/**
 * An add or replace of a value the document already holds, exactly, is no change: it is
 * skipped before its value is checked, so an identity provider can restate a value stored
 * before a tenant profile changed what the schema accepts (docs/decisions/0020). A filtered
 * target, or a sub-attribute of a multi-valued attribute, is always applied.
 */
function restatesCurrent(draft: Draft, target: PatchTarget, value: unknown): boolean {
  if (target.filter !== undefined || value === undefined || value === null) return false;
  if (target.path.subAttribute !== undefined && target.path.attribute.multiValued) return false;
  const current = readCurrent(draft.root, target.path);
  return current !== undefined && jsonEqual(current, value);
}

/** Whether `root` holds exactly `value` under `key` (ignoring case), or under `urn` then `key`: a restated stored value. */
function holdsAlready(root: JsonObject, urn: string | undefined, key: string, value: unknown): boolean {
  const at = ownIgnoringCase(urn === undefined ? root : ownIgnoringCase(root, urn), key);
  return at !== undefined && jsonEqual(at, value);
}

function isReadOnly(path: ResolvedPath): boolean {
  return path.attribute.mutability === "readOnly" || path.subAttribute?.mutability === "readOnly";
}

function checkWritable(target: PatchTarget, where: string): Result<true> {
  if (isReadOnly(target.path)) return fail("mutability", `${where}: ${JSON.stringify(target.text)} is read-only`);
  return ok(true);
}

interface PathlessEntry {
  readonly target: PatchTarget;
  readonly value: unknown;
}

/**
 * RFC 7644 §3.5.2.1/§3.5.2.3: a path-less value is an object of attributes. Keys are
 * attribute names, extension URNs holding an object of that extension's attributes, or
 * fully qualified / dotted paths (`urn:…:enterprise:2.0:User:department`, `name.givenName`,
 * as Entra sends them). `schemas` is ignored.
 */
function pathlessEntries(value: unknown, schema: ResourceSchema, where: string, root: JsonObject): Result<readonly PathlessEntry[]> {
  if (!isPlainObject(value)) return fail("invalidValue", `${where}: expected an object of attributes as "value", got ${describeValue(value)}`);
  const entries: PathlessEntry[] = [];
  for (const [key, raw] of Object.entries(value)) {
    if (key.toLowerCase() === "schemas") continue;
    const extension = schema.extensions.find((candidate) => candidate.id.toLowerCase() === key.toLowerCase());
    if (extension !== undefined) {
      if (!isPlainObject(raw)) {
        return fail("invalidValue", `${where}: "${key}" must hold an object of ${extension.name} attributes, got ${describeValue(raw)}`);
      }
      for (const [name, inner] of Object.entries(raw)) {
        const path = resolveAttributePath({ schema: extension.id, attribute: name }, schema, { errorCode: "invalidValue" });
        // An attribute no longer declared, restated as stored: no change (docs/decisions/0020).
        if (!path.ok && holdsAlready(root, extension.id, name, inner)) continue;
        if (!path.ok) return fail("invalidValue", `${where}: ${path.issue.detail}`);
        entries.push({ target: { text: `${extension.id}:${name}`, path: path.value }, value: inner });
      }
      continue;
    }
    // An attribute or extension no longer declared, restated as stored: no change (docs/decisions/0020).
    if (extension === undefined && holdsAlready(root, undefined, key, raw)) continue;
    const parsed = parseAttributePath(key);
    if (!parsed.ok) return fail("invalidValue", `${where}: "${key}" is not an attribute name`);
    const path = resolveAttributePath(parsed.value, schema, { errorCode: "invalidValue" });
    if (!path.ok) return fail("invalidValue", `${where}: ${path.issue.detail}`);
    entries.push({ target: { text: key, path: path.value }, value: raw });
  }
  return ok(entries);
}

/** The input may carry writeOnly values the validator would separate; compare like with like. */
function stripWriteOnly(document: Readonly<Record<string, unknown>>, schema: ResourceSchema): unknown {
  const validated = validateDocument(document, schema, { stored: document });
  return validated.ok ? validated.value.document : document;
}
