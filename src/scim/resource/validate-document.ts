import { fail, ok, type Result } from "../errors.js";
import type { AttributeDefinition, ResourceSchema } from "../schema/types.js";
import { checkAttributeValue, isEmpty } from "./check-value.js";
import {
  attributeContainers,
  describeLocation,
  describeValue,
  isPlainObject,
  own,
  ownIgnoringCase,
  sameJson,
  sameUrn,
  type AttributeContainer,
  type ScimDocument,
} from "./document.js";

export interface ValidateOptions {
  /**
   * Entra ID quirk: booleans sent as the strings "True" / "False" (any case) are accepted
   * and converted. Off by default (RFC 7643 §2.3.2: booleans are JSON true / false).
   * Fixture: test/scim/resource/fixtures/entra-string-booleans.json.
   */
  readonly lenientBooleans?: boolean;
  /**
   * The stored document an update starts from (what a PATCH applies to, the resource a PUT
   * replaces). A value the input holds unchanged, at the same place, is kept as stored even
   * when the schema no longer accepts it (an attribute or extension a tenant profile no longer
   * declares, or declares with another type): an update is judged on what it changes, never on
   * what it leaves as stored (docs/decisions/0020). A changed value is checked as always.
   */
  readonly stored?: ScimDocument;
}

export interface ValidatedDocument {
  readonly document: ScimDocument;
  /**
   * The writeOnly attributes given (e.g. `{ password: "…" }`), laid out like a document
   * and removed from `document`: Roster does not store them (RFC 7643 §7 writeOnly).
   */
  readonly writeOnly: ScimDocument;
  /**
   * Values kept as stored though the schema no longer accepts them (ValidateOptions.stored),
   * each described as an error would be (`attribute "…" is no longer declared`); absent when none.
   */
  readonly keptAsStored?: readonly string[];
}

type Given = Map<AttributeContainer, Map<AttributeDefinition, unknown>>;
/** Values kept as stored that the schema no longer accepts, by extension URN (undefined: top level), and what is wrong with each. */
interface Carried {
  readonly values: Map<string | undefined, Record<string, unknown>>;
  readonly details: string[];
}

/** Whether `value` is what `stored` holds at the same place (top level, or under the extension `urn`). */
function keptAsStored(stored: ScimDocument | undefined, urn: string | undefined, name: string, value: unknown): boolean {
  if (stored === undefined || value === undefined) return false;
  const at = ownIgnoringCase(urn === undefined ? stored : ownIgnoringCase(stored, urn), name);
  return at !== undefined && sameJson(at, value);
}

function carry(carried: Carried, urn: string | undefined, name: string, value: unknown, detail: string): void {
  const values = carried.values.get(urn) ?? {};
  carried.values.set(urn, values);
  values[name] = value;
  carried.details.push(detail);
}

function urnOf(container: AttributeContainer): string | undefined {
  return container.extension ? container.schema.id : undefined;
}

/**
 * The shared validator of a whole resource document, used for POST/PUT bodies and for the
 * result of a PATCH. It canonicalises attribute names (matched case-insensitively) and
 * extension URNs, accepts extension attributes under their URN key or as fully qualified
 * top-level keys, checks each value against its attribute type, drops unassigned values
 * (null, empty arrays) and readOnly attributes (RFC 7644 §3.3), separates writeOnly ones,
 * and checks `required` and the single `primary`. `canonicalValues` are not enforced
 * (RFC 7643 §2.4: SHOULD; clients send other `type` values).
 *
 * Issues: invalidSyntax for a non-object, unknown attributes, unknown schemas or a bad
 * `schemas`; invalidValue for wrong types, missing required values or two primaries.
 */
export function validateDocument(input: unknown, schema: ResourceSchema, options: ValidateOptions = {}): Result<ValidatedDocument> {
  if (!isPlainObject(input)) return fail("invalidSyntax", `resource must be a JSON object, got ${describeValue(input)}`);
  const containers = attributeContainers(schema);
  const schemasChecked = checkSchemas(input, schema, options.stored);
  if (!schemasChecked.ok) return schemasChecked;
  const carried: Carried = { values: new Map(), details: [] };
  const given = collect(input, containers, options.stored, carried);
  if (!given.ok) return given;

  const document: Record<string, unknown> = {};
  const writeOnly: Record<string, unknown> = {};
  const extensionsPresent: string[] = [];
  for (const container of containers) {
    const values = given.value.get(container) ?? new Map<AttributeDefinition, unknown>();
    const kept: Record<string, unknown> = {};
    const secret: Record<string, unknown> = {};
    for (const attribute of container.attributes) {
      // RFC 7644 §3.3, §3.5.1: readOnly values in a request are ignored.
      if (attribute.mutability === "readOnly" || !values.has(attribute)) continue;
      const where = describeLocation(container, attribute.name);
      const value = values.get(attribute);
      const checked = checkAttributeValue(attribute, value, where, { lenientBooleans: options.lenientBooleans ?? false });
      if (!checked.ok) {
        // Stored before the schema changed (a tenant profile's type), and left unchanged: kept as stored.
        if (attribute.mutability !== "writeOnly" && keptAsStored(options.stored, urnOf(container), attribute.name, value)) {
          kept[attribute.name] = value;
          carried.details.push(checked.issue.detail);
          continue;
        }
        return checked;
      }
      if (checked.value === undefined) continue;
      (attribute.mutability === "writeOnly" ? secret : kept)[attribute.name] = checked.value;
    }
    const present = Object.keys(kept).length > 0 || Object.keys(secret).length > 0;
    const required = checkRequired(container, kept, secret, present, schema);
    if (!required.ok) return required;
    if (carried.values.size > 0) Object.assign(kept, carried.values.get(urnOf(container)));
    if (container.extension) {
      if (Object.keys(kept).length > 0) {
        document[container.schema.id] = kept;
        extensionsPresent.push(container.schema.id);
      }
      if (Object.keys(secret).length > 0) writeOnly[container.schema.id] = secret;
    } else {
      Object.assign(document, kept);
      Object.assign(writeOnly, secret);
    }
  }
  // An extension no longer declared, kept as stored with its URN.
  const topLevel = carried.values.get(undefined);
  const stale = topLevel === undefined ? [] : Object.keys(topLevel).filter((key) => key.toLowerCase().startsWith("urn:") && isPlainObject(document[key]));
  return ok({
    document: { schemas: [schema.core.id, ...extensionsPresent, ...stale], ...document },
    writeOnly,
    ...(carried.details.length === 0 ? {} : { keptAsStored: carried.details }),
  });
}

function checkSchemas(input: Readonly<Record<string, unknown>>, schema: ResourceSchema, stored: ScimDocument | undefined): Result<void> {
  const key = Object.keys(input).find((name) => name.toLowerCase() === "schemas");
  const schemas = key === undefined ? undefined : input[key];
  if (schemas === undefined || schemas === null) return ok(undefined);
  if (!Array.isArray(schemas) || !schemas.every((urn): urn is string => typeof urn === "string")) {
    return fail("invalidSyntax", `"schemas" must be an array of schema URNs, got ${describeValue(schemas)}`);
  }
  const known = [schema.core.id, ...schema.extensions.map((extension) => extension.id)];
  for (const urn of schemas) {
    // Quirk: Entra ID's group create has listed the legacy ADSCIM group schema
    // (test/scim/resource/fixtures/entra-legacy-group-schema.json). A URN under which the
    // body holds no attributes constrains nothing, so it is dropped; attributes under an
    // unknown URN are still refused when they are read.
    const holding = Object.keys(input).filter((name) => sameUrn(name, urn));
    // Attributes of an extension no longer declared, left as stored, are kept (see ValidateOptions.stored).
    const holdsAttributes = holding.some((name) => !keptAsStored(stored, undefined, name, input[name]));
    if (!known.some((candidate) => sameUrn(candidate, urn)) && holdsAttributes) {
      return fail("invalidSyntax", `"schemas": unknown schema "${urn}"; expected ${known.join(" or ")}`);
    }
  }
  if (!schemas.some((urn) => sameUrn(urn, schema.core.id))) {
    return fail("invalidSyntax", `"schemas" must include the core schema "${schema.core.id}"`);
  }
  return ok(undefined);
}

function collect(
  input: Readonly<Record<string, unknown>>,
  containers: readonly AttributeContainer[],
  stored: ScimDocument | undefined,
  carried: Carried,
): Result<Given> {
  const given: Given = new Map();
  const add = (container: AttributeContainer, key: string, value: unknown): Result<void> => {
    const attribute = container.byName.get(key.toLowerCase());
    if (attribute === undefined) {
      if (keptAsStored(stored, urnOf(container), key, value)) {
        carry(carried, urnOf(container), key, value, `attribute "${describeLocation(container, key)}" is no longer declared`);
        return ok(undefined);
      }
      return fail("invalidSyntax", `unknown attribute "${describeLocation(container, key)}"`);
    }
    const values = given.get(container) ?? new Map<AttributeDefinition, unknown>();
    given.set(container, values);
    if (values.has(attribute)) {
      return fail("invalidSyntax", `attribute "${describeLocation(container, attribute.name)}" is given more than once`);
    }
    values.set(attribute, value);
    return ok(undefined);
  };
  const [core] = containers;
  if (core === undefined) return ok(given);
  for (const [key, value] of Object.entries(input)) {
    const lower = key.toLowerCase();
    if (lower === "schemas") continue;
    const added = addEntry(containers, core, key, value, add);
    if (!added.ok) return added;
    if (added.value === "unknown") {
      if (keptAsStored(stored, undefined, key, value)) {
        const what = key.toLowerCase().startsWith("urn:") ? `schema extension "${key}"` : `attribute "${key}"`;
        carry(carried, undefined, key, value, `${what} is no longer declared`);
        continue;
      }
      return fail("invalidSyntax", lower.startsWith("urn:") ? `unknown schema extension "${key}"` : `unknown attribute "${key}"`);
    }
  }
  return ok(given);
}

type Add = (container: AttributeContainer, key: string, value: unknown) => Result<void>;

function addEntry(
  containers: readonly AttributeContainer[],
  core: AttributeContainer,
  key: string,
  value: unknown,
  add: Add,
): Result<"added" | "unknown"> {
  const lower = key.toLowerCase();
  if (core.byName.has(lower)) {
    const added = add(core, key, value);
    return added.ok ? ok("added") : added;
  }
  for (const container of containers) {
    const urn = container.schema.id.toLowerCase();
    if (container.extension && lower === urn) {
      if (value === null) return ok("added");
      if (!isPlainObject(value)) {
        return fail("invalidSyntax", `extension "${container.schema.id}" must be an object, got ${describeValue(value)}`);
      }
      for (const [name, inner] of Object.entries(value)) {
        const added = add(container, name, inner);
        if (!added.ok) return added;
      }
      return ok("added");
    }
    if (lower.startsWith(`${urn}:`)) {
      const added = add(container, key.slice(urn.length + 1), value);
      return added.ok ? ok("added") : added;
    }
  }
  return ok("unknown");
}

function checkRequired(
  container: AttributeContainer,
  kept: Readonly<Record<string, unknown>>,
  secret: Readonly<Record<string, unknown>>,
  present: boolean,
  schema: ResourceSchema,
): Result<void> {
  if (container.extension && !present) {
    const reference = schema.resourceType.schemaExtensions.find((extension) => sameUrn(extension.schema, container.schema.id));
    return reference?.required === true ? fail("invalidValue", `extension "${container.schema.id}" is required`) : ok(undefined);
  }
  for (const attribute of container.attributes) {
    if (!attribute.required || attribute.mutability === "readOnly") continue;
    if (isEmpty(own(kept, attribute.name)) && isEmpty(own(secret, attribute.name))) {
      return fail("invalidValue", `${describeLocation(container, attribute.name)} is required`);
    }
  }
  return ok(undefined);
}
