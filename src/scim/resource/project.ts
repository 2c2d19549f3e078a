import type { ResolvedPath } from "../filter/ast.js";
import type { AttributeDefinition, ResourceSchema } from "../schema/types.js";
import { attributeContainers, indexAttributes, isPlainObject, sameUrn, type AttributeContainer } from "./document.js";

export { parseAttributeList } from "./attribute-list.js";

export interface ProjectionOptions {
  /** Return only these (plus `returned: "always"`). Empty means not given. */
  readonly attributes?: readonly ResolvedPath[];
  /** Return the defaults minus these (`returned: "always"` cannot be excluded). */
  readonly excludedAttributes?: readonly ResolvedPath[];
}

interface Selection {
  /** Some path names this attribute as a whole. */
  readonly whole: boolean;
  /** Lower-cased names of the sub-attributes named. */
  readonly subs: ReadonlySet<string>;
}

/**
 * RFC 7644 §3.4.2.5 and RFC 7643 §7 `returned`: `always` attributes (id, schemas) are always
 * returned, `never` ones (password) never, `request` ones only when named in `attributes`,
 * `default` ones unless `attributes` names others or `excludedAttributes` names them.
 * Works on the wire form (with `id`, `meta`, extension objects under their URN); keeps key
 * order, drops emptied complex values and extension objects, and keeps `schemas` listing
 * only the extensions still present. Keys the schema does not define count as `default`.
 */
export function projectResource(
  resource: Readonly<Record<string, unknown>>,
  schema: ResourceSchema,
  options: ProjectionOptions = {},
): Record<string, unknown> {
  const containers = attributeContainers(schema);
  // Most reads ask for nothing: the answer is then usually the resource itself (every GET
  // and lookup of a user without a password-like attribute), without rebuilding it.
  if (options.attributes === undefined && options.excludedAttributes === undefined && keepsEverything(resource, containers)) return resource;
  const [core] = containers;
  const selecting = (options.attributes?.length ?? 0) > 0;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(resource)) {
    if (key.toLowerCase() === "schemas") {
      result[key] = value;
      continue;
    }
    const attribute = core?.byName.get(key.toLowerCase());
    if (core !== undefined && attribute !== undefined) {
      const projected = projectAttribute(core, attribute, value, options, selecting);
      if (projected !== undefined) result[key] = projected;
      continue;
    }
    const extension = containers.find((container) => container.extension && sameUrn(container.schema.id, key));
    if (extension !== undefined && isPlainObject(value)) {
      const inner: Record<string, unknown> = {};
      for (const [name, innerValue] of Object.entries(value)) {
        const innerAttribute = extension.byName.get(name.toLowerCase());
        const projected =
          innerAttribute === undefined
            ? selecting ? undefined : innerValue
            : projectAttribute(extension, innerAttribute, innerValue, options, selecting);
        if (projected !== undefined) inner[name] = projected;
      }
      if (Object.keys(inner).length > 0) result[key] = inner;
      continue;
    }
    if (!selecting) result[key] = value;
  }
  const schemas = result["schemas"];
  if (Array.isArray(schemas)) result["schemas"] = schemas.filter((urn) => keepsSchemaUrn(urn, containers, result));
  return result;
}

/** Whether `schemas` keeps `urn`: anything but an extension's URN, and that only while `resource` holds the extension. */
function keepsSchemaUrn(urn: unknown, containers: readonly AttributeContainer[], resource: Readonly<Record<string, unknown>>): boolean {
  return (
    typeof urn !== "string" ||
    !containers.some((container) => container.extension && sameUrn(container.schema.id, urn)) ||
    Object.keys(resource).some((key) => sameUrn(key, urn))
  );
}

/**
 * Whether the projection with no `attributes` and no `excludedAttributes` leaves `resource`
 * exactly as it is: no attribute or sub-attribute it holds is returned `never` or `request`,
 * no complex value of it would be emptied (an empty object or array, dropped by the full
 * projection), no extension object is empty and `schemas` lists no extension it lacks.
 * test/scim/resource/properties.test.ts checks the shortcut against the full projection.
 */
function keepsEverything(resource: Readonly<Record<string, unknown>>, containers: readonly AttributeContainer[]): boolean {
  const [core] = containers;
  if (core === undefined) return false;
  for (const key in resource) {
    const value = resource[key];
    const lower = key.toLowerCase();
    if (lower === "schemas") continue;
    // An own `__proto__` key (JSON.parse makes one, at any depth): the full projection's
    // assignments drop it, so the shortcut leaves such a resource to it.
    if (key === "__proto__") return false;
    const attribute = core.byName.get(lower);
    if (attribute !== undefined) {
      if (!keepsValue(attribute, value)) return false;
      continue;
    }
    const extension = containers.find((container) => container.extension && sameUrn(container.schema.id, key));
    if (extension === undefined || !isPlainObject(value)) continue;
    let empty = true;
    for (const name in value) {
      empty = false;
      if (name === "__proto__") return false;
      const inner = extension.byName.get(name.toLowerCase());
      if (inner !== undefined && !keepsValue(inner, value[name])) return false;
    }
    if (empty) return false;
  }
  // As the full projection: only the key spelt `schemas` is filtered.
  const schemas = resource["schemas"];
  return !Array.isArray(schemas) || schemas.every((urn) => keepsSchemaUrn(urn, containers, resource));
}

/** Whether the default projection returns `value` of `attribute` unchanged. */
function keepsValue(attribute: AttributeDefinition, value: unknown): boolean {
  if (attribute.returned === "never" || attribute.returned === "request") return false;
  if (attribute.type !== "complex") return true;
  const subs = indexAttributes(attribute.subAttributes ?? NO_ATTRIBUTES);
  const keepsElement = (element: unknown): boolean => {
    if (!isPlainObject(element)) return true;
    let empty = true;
    for (const name in element) {
      empty = false;
      if (name === "__proto__") return false;
      const sub = subs.get(name.toLowerCase());
      if (sub !== undefined && (sub.returned === "never" || sub.returned === "request")) return false;
    }
    return !empty;
  };
  if (!Array.isArray(value)) return keepsElement(value);
  return value.length > 0 && value.every(keepsElement);
}

const NO_ATTRIBUTES: readonly AttributeDefinition[] = [];
const NOTHING_SELECTED: Selection = { whole: false, subs: new Set() };

function select(paths: readonly ResolvedPath[] | undefined, container: AttributeContainer, attribute: AttributeDefinition): Selection {
  if (paths === undefined || paths.length === 0) return NOTHING_SELECTED;
  let whole = false;
  const subs = new Set<string>();
  for (const path of paths ?? []) {
    if (!sameUrn(path.schema, container.schema.id) || path.attribute.name.toLowerCase() !== attribute.name.toLowerCase()) continue;
    if (path.subAttribute === undefined) whole = true;
    else subs.add(path.subAttribute.name.toLowerCase());
  }
  return { whole, subs };
}

function projectAttribute(
  container: AttributeContainer,
  attribute: AttributeDefinition,
  value: unknown,
  options: ProjectionOptions,
  selecting: boolean,
): unknown {
  if (attribute.returned === "never") return undefined;
  const chosen = select(selecting ? options.attributes : [], container, attribute);
  const excluded = select(options.excludedAttributes, container, attribute);
  const always = attribute.returned === "always";
  if (!always) {
    if (excluded.whole) return undefined;
    if (selecting && !chosen.whole && chosen.subs.size === 0) return undefined;
    if (!selecting && attribute.returned === "request") return undefined;
  }
  if (attribute.type !== "complex") return value;
  const keepSub = (sub: AttributeDefinition): boolean => {
    const name = sub.name.toLowerCase();
    if (sub.returned === "never") return false;
    if (sub.returned === "always") return true;
    if (excluded.subs.has(name)) return false;
    if (selecting && !always) return chosen.subs.has(name) || (chosen.whole && sub.returned === "default");
    return sub.returned === "default" || chosen.subs.has(name);
  };
  return projectComplex(attribute, value, keepSub);
}

function projectComplex(attribute: AttributeDefinition, value: unknown, keepSub: (sub: AttributeDefinition) => boolean): unknown {
  const subs = indexAttributes(attribute.subAttributes ?? NO_ATTRIBUTES);
  const projectOne = (element: unknown): unknown => {
    if (!isPlainObject(element)) return element;
    const kept: Record<string, unknown> = {};
    for (const [name, subValue] of Object.entries(element)) {
      const sub = subs.get(name.toLowerCase());
      if (sub === undefined || keepSub(sub)) kept[name] = subValue;
    }
    return Object.keys(kept).length > 0 ? kept : undefined;
  };
  if (!Array.isArray(value)) return projectOne(value);
  const elements = value.map(projectOne).filter((element) => element !== undefined);
  return elements.length > 0 ? elements : undefined;
}
