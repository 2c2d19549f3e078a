import { fail, ok, type Result, type ScimErrorCode } from "./errors.js";
import type { AttributePath, PatchPath, ResolvedPath } from "./filter/ast.js";
import { ATTRIBUTE_NAME, describeAttributePathFault, splitAttributePath } from "./filter/attr-path.js";
import { checkFilterBudget } from "./filter/budget.js";
import { FilterParser } from "./filter/parser.js";
import { SyntaxFault, column, tokenize } from "./filter/tokenize.js";
import { COMMON_ATTRIBUTES } from "./schema/core-schemas.js";
import type { AttributeDefinition, ResourceSchema } from "./schema/types.js";

export { formatAttributePath } from "./filter/attr-path.js";

export const MAX_PATH_LENGTH = 2_000;

/** RFC 7644 §3.10 attrPath: `[URI ":"] ATTRNAME *1subAttr`. Errors are `invalidPath`. */
export function parseAttributePath(text: string): Result<AttributePath> {
  if (text.length > MAX_PATH_LENGTH) return fail("invalidPath", `path: longer than ${MAX_PATH_LENGTH} characters`);
  const split = splitAttributePath(text);
  if (split.ok) return ok(split.path);
  return fail("invalidPath", `path: ${describeAttributePathFault(split.fault)} in "${text}"`);
}

/** RFC 7644 §3.5.2 PATH = attrPath / valuePath [subAttr], e.g. `emails[type eq "work"].value`. Errors are `invalidPath`. */
export function parsePatchPath(text: string): Result<PatchPath> {
  if (text.length > MAX_PATH_LENGTH) return fail("invalidPath", `path: longer than ${MAX_PATH_LENGTH} characters`);
  if (text.trim().length === 0) return fail("invalidPath", "path: empty path");
  try {
    const parser = new FilterParser(tokenize(text));
    const first = parser.next();
    if (first.kind !== "word") throw parser.unexpected(first, "expected an attribute path");
    const attribute = parser.parsePath(first);
    const open = parser.peek();
    if (open.kind !== "[") {
      parser.expectEnd('expected "[" or end of path');
      return ok({ attribute });
    }
    parser.next();
    const filter = parser.parseBracket(open);
    const budget = checkFilterBudget(filter);
    if (!budget.ok) return fail("invalidPath", `path: value ${budget.issue.detail}`);
    if (attribute.subAttribute !== undefined) {
      throw new SyntaxFault(
        `a value filter applies to a multi-valued attribute, not to the sub-attribute "${attribute.attribute}.${attribute.subAttribute}" (column ${column(first.start)})`,
      );
    }
    const after = parser.next();
    if (after.kind === "end") return ok({ attribute, filter });
    if (after.kind === "word" && after.text.startsWith(".")) {
      const name = after.text.slice(1);
      if (!ATTRIBUTE_NAME.test(name)) {
        throw new SyntaxFault(`invalid sub-attribute "${after.text}" after "]" at column ${column(after.start)}`);
      }
      parser.expectEnd("expected end of path");
      return ok({ attribute, filter, subAttribute: name });
    }
    throw parser.unexpected(after, 'expected "." and a sub-attribute name, or end of path');
  } catch (error) {
    if (error instanceof SyntaxFault) return fail(error.code ?? "invalidPath", `path: ${error.detail}`);
    throw error;
  }
}

export interface ResolveAttributePathOptions {
  /** Resolve the path as a sub-attribute of this (complex) attribute: the inside of a value path. */
  readonly within?: ResolvedPath | undefined;
  /** The error code for an unknown or misplaced attribute; `invalidFilter` when resolving a filter. */
  readonly errorCode?: ScimErrorCode | undefined;
}

/**
 * Resolves names case-insensitively (RFC 7643 §2.1) against the core schema, the common
 * attributes (`id`, `externalId`, `meta`) and, only with their URN prefix, the extensions.
 * Naming a complex attribute without a sub-attribute is allowed; callers decide.
 */
export function resolveAttributePath(
  path: AttributePath,
  schema: ResourceSchema,
  options: ResolveAttributePathOptions = {},
): Result<ResolvedPath> {
  const code = options.errorCode ?? "invalidPath";
  const label = code === "invalidFilter" ? "filter" : "path";
  const within = options.within;
  if (within !== undefined) return resolveWithin(path, within, code, label);

  let owner: { readonly id: string; readonly extension: boolean; readonly attributes: readonly AttributeDefinition[] };
  const core = { id: schema.core.id, extension: false, attributes: [...schema.core.attributes, ...COMMON_ATTRIBUTES] };
  if (path.schema === undefined || sameName(path.schema, schema.core.id)) {
    owner = core;
  } else {
    const extension = schema.extensions.find((candidate) => sameName(candidate.id, path.schema ?? ""));
    if (extension === undefined) {
      const known = [schema.core.id, ...schema.extensions.map((e) => e.id)].join(", ");
      return fail(code, `${label}: unknown schema "${path.schema}" for resource type ${schema.resourceType.name}; known: ${known}`);
    }
    owner = { id: extension.id, extension: true, attributes: extension.attributes };
  }

  const attribute = findByName(owner.attributes, path.attribute);
  if (attribute === undefined) {
    const hint = path.schema === undefined ? extensionHint(path.attribute, schema) : "";
    return fail(code, `${label}: unknown attribute "${path.attribute}" in ${owner.id}${hint}`);
  }
  const resolved = { schema: owner.id, extension: owner.extension, attribute };
  if (path.subAttribute === undefined) return ok(resolved);
  const subAttribute = findSubAttribute(attribute, path.subAttribute, code, label);
  if (!subAttribute.ok) return subAttribute;
  return ok({ ...resolved, subAttribute: subAttribute.value });
}

function resolveWithin(path: AttributePath, within: ResolvedPath, code: ScimErrorCode, label: string): Result<ResolvedPath> {
  const outer = within.attribute.name;
  if (within.subAttribute !== undefined) {
    return fail(code, `${label}: "${outer}.${within.subAttribute.name}" cannot be filtered with brackets; only "${outer}" can`);
  }
  if (path.schema !== undefined || path.subAttribute !== undefined) {
    const written = `${path.schema === undefined ? "" : `${path.schema}:`}${path.attribute}${path.subAttribute === undefined ? "" : `.${path.subAttribute}`}`;
    return fail(code, `${label}: "${written}" inside "${outer}[…]" must be a plain sub-attribute name of "${outer}"`);
  }
  const subAttribute = findSubAttribute(within.attribute, path.attribute, code, label);
  if (!subAttribute.ok) return subAttribute;
  return ok({ schema: within.schema, extension: within.extension, attribute: within.attribute, subAttribute: subAttribute.value });
}

function findSubAttribute(attribute: AttributeDefinition, name: string, code: ScimErrorCode, label: string): Result<AttributeDefinition> {
  if (attribute.type !== "complex" || attribute.subAttributes === undefined) {
    return fail(code, `${label}: "${attribute.name}" is not complex, so it has no sub-attribute "${name}"`);
  }
  const subAttribute = findByName(attribute.subAttributes, name);
  if (subAttribute === undefined) {
    const known = attribute.subAttributes.map((s) => s.name).join(", ");
    return fail(code, `${label}: unknown sub-attribute "${name}" of "${attribute.name}"; known: ${known}`);
  }
  return ok(subAttribute);
}

function extensionHint(name: string, schema: ResourceSchema): string {
  const extension = schema.extensions.find((e) => findByName(e.attributes, name) !== undefined);
  return extension === undefined ? "" : `; extension attributes need their schema URN, as in "${extension.id}:${name}"`;
}

function findByName(attributes: readonly AttributeDefinition[], name: string): AttributeDefinition | undefined {
  return attributes.find((attribute) => sameName(attribute.name, name));
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
