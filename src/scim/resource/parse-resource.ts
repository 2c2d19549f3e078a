import { fail, ok, type Result } from "../errors.js";
import type { AttributeDefinition, ResourceSchema } from "../schema/types.js";
import { attributeContainers, describeLocation, isPlainObject, own, sameJson, type AttributeContainer, type ScimDocument } from "./document.js";
import { validateDocument, type ValidatedDocument, type ValidateOptions } from "./validate-document.js";

export interface ParseResourceOptions extends ValidateOptions {
  readonly mode: "create" | "replace";
  /** The stored document a PUT replaces; needed to enforce `immutable` (RFC 7644 §3.5.1). */
  readonly existing?: ScimDocument;
}

/**
 * Validates and canonicalises a POST (create) or PUT (replace) body; see `validateDocument`
 * for the rules. The result's `document` is ready to store; `writeOnly` holds `password`
 * and any other writeOnly attribute given, which Roster does not store.
 *
 * In replace mode with `existing`, an immutable attribute that already has a value must be
 * given unchanged (else `mutability`); when the body leaves it out, the stored value is
 * kept. Immutable sub-attributes are checked inside single-valued complex attributes; the
 * values of a multi-valued attribute are whole values, added or removed, never changed.
 */
export function parseResourceInput(body: unknown, schema: ResourceSchema, options: ParseResourceOptions): Result<ValidatedDocument> {
  // A PUT is judged on what it changes: a value it repeats as stored is kept even when the schema no longer accepts it.
  const replacing = options.mode === "replace" && options.existing !== undefined;
  const validated = validateDocument(body, schema, replacing ? { ...options, stored: options.existing } : options);
  if (!validated.ok || options.mode === "create" || options.existing === undefined) return validated;
  const existing = options.existing;
  const document: Record<string, unknown> = { ...validated.value.document };
  const extensions: string[] = [];
  for (const container of attributeContainers(schema)) {
    const before = containerOf(existing, container);
    const after = containerOf(document, container);
    const merged = checkImmutable(container.attributes, before, after, (name) => describeLocation(container, name));
    if (!merged.ok) return merged;
    if (!container.extension) Object.assign(document, merged.value);
    else {
      // Kept as stored though no longer declared (ValidateOptions.stored): not among the container's attributes.
      const value = { ...unknownTo(container, after), ...merged.value };
      if (Object.keys(value).length > 0) {
        document[container.schema.id] = value;
        extensions.push(container.schema.id);
      }
    }
  }
  const known = new Set([schema.core.id, ...schema.extensions.map((extension) => extension.id)].map((urn) => urn.toLowerCase()));
  const stale = (Array.isArray(document["schemas"]) ? (document["schemas"] as string[]) : []).filter((urn) => !known.has(urn.toLowerCase()));
  document["schemas"] = [schema.core.id, ...extensions, ...stale];
  const { writeOnly, keptAsStored } = validated.value;
  return ok({ document, writeOnly, ...(keptAsStored === undefined ? {} : { keptAsStored }) });
}

function unknownTo(container: AttributeContainer, values: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values).filter(([name]) => !container.byName.has(name.toLowerCase())));
}

function containerOf(document: ScimDocument, container: AttributeContainer): Readonly<Record<string, unknown>> {
  if (!container.extension) return document;
  const value = own(document, container.schema.id);
  return isPlainObject(value) ? value : {};
}

/** Returns `after` with stored values of immutable attributes carried over where `after` lacks them. */
function checkImmutable(
  attributes: readonly AttributeDefinition[],
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
  where: (name: string) => string,
): Result<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const attribute of attributes) {
    if (attribute.mutability === "readOnly") continue;
    const old = own(before, attribute.name);
    const value = own(after, attribute.name);
    if (attribute.mutability === "immutable" && old !== undefined) {
      if (value !== undefined && !sameJson(old, value)) {
        return fail("mutability", `attribute "${where(attribute.name)}" is immutable and already set; it cannot be changed`);
      }
      result[attribute.name] = old;
      continue;
    }
    if (attribute.type === "complex" && !attribute.multiValued && isPlainObject(value) && isPlainObject(old)) {
      const merged = checkImmutable(attribute.subAttributes ?? [], old, value, (name) => `${where(attribute.name)}.${name}`);
      if (!merged.ok) return merged;
      result[attribute.name] = merged.value;
      continue;
    }
    if (attribute.type === "complex" && !attribute.multiValued && value === undefined && isPlainObject(old)) {
      const kept = checkImmutable(attribute.subAttributes ?? [], old, {}, (name) => `${where(attribute.name)}.${name}`);
      if (!kept.ok) return kept;
      if (Object.keys(kept.value).length > 0) result[attribute.name] = kept.value;
      continue;
    }
    if (value !== undefined) result[attribute.name] = value;
  }
  return ok(result);
}


