import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from "yaml";
import { USER_SCHEMA } from "../scim/schema/core-schemas.js";
import { countCharacters, DECLARED_MAX_LENGTH_CEILING, isLongerThan, maxLengthOf, TEXT_MAX_LENGTH } from "../scim/schema/limits.js";
import { isTimeZone } from "./time-zones.js";
import {
  type AttributeNamespace,
  DEFAULTABLE_CORE_ATTRIBUTES,
  type IdentityRules,
  type RoleRules,
  type SyncSwitches,
  DECLARED_TYPES,
  type DeclaredAttribute,
  type DeclaredType,
  DEPROVISIONING_MODES,
  EMPTY_PROFILE,
  ENTERPRISE_NAMESPACE,
  type TenantProfile,
  USER_NAME_COLLISIONS,
  type UserNameCollision,
} from "./profiles.js";

/**
 * One problem of a refused profile: where it is in the YAML text (1-based line and column),
 * the option it concerns (`attributes.user_type.type`; null for the text itself, e.g. a YAML
 * syntax error) and what was expected, got what.
 */
export interface ProfileProblem {
  readonly line: number;
  readonly column: number;
  readonly path: string | null;
  readonly message: string;
}

export type ProfileParseResult =
  | { readonly ok: true; readonly value: TenantProfile }
  /**
   * Every problem, in line order (then column): `problems` as data, `errors` the same one line
   * each, `file:line:column: path: what was expected, got what`.
   */
  | { readonly ok: false; readonly problems: readonly ProfileProblem[]; readonly errors: readonly string[] };

/** A problem as the command line prints it: `fleetio.yaml:3:11: attributes.role.type: expected …`. */
export function formatProfileProblem(file: string, problem: ProfileProblem): string {
  return `${file}:${problem.line}:${problem.column}: ${problem.path === null ? "" : `${problem.path}: `}${problem.message}`;
}

const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const LIST_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const URN = /^urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}:\S+$/;
const CORE_NAMES = new Set(
  ["id", "externalId", "meta", "schemas", "userName", "name", "displayName", "nickName", "profileUrl", "title", "userType",
    "preferredLanguage", "locale", "timezone", "active", "password", "emails", "phoneNumbers", "ims", "photos", "addresses",
    "groups", "entitlements", "roles", "x509Certificates"].map((name) => name.toLowerCase()),
);
const ENTERPRISE_NAMES = new Set(["employeeNumber", "costCenter", "organization", "division", "department", "manager"].map((n) => n.toLowerCase()));

class Reader {
  readonly errors: ProfileProblem[] = [];
  constructor(private readonly lines: LineCounter) {}

  error(node: Node | Pair | null | undefined, path: string, message: string): void {
    const offset = node === null || node === undefined ? 0 : positionOf(node);
    const { line, col } = this.lines.linePos(offset);
    this.errors.push({ line, column: col, path: path === "" ? null : path, message });
  }

  /** The pairs of a mapping with string keys; unknown keys are reported. */
  map(node: unknown, path: string, known: readonly string[]): Map<string, Pair<unknown, unknown>> | undefined {
    if (!isMap(node)) {
      this.error(node as Node, path, `expected a mapping (key: value), got ${describe(node)}`);
      return undefined;
    }
    const pairs = new Map<string, Pair<unknown, unknown>>();
    for (const pair of (node as YAMLMap<unknown, unknown>).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key === undefined) {
        this.error(pair.key as Node, path, "expected a plain key");
        continue;
      }
      if (known.length > 0 && !known.includes(key)) {
        this.error(pair.key as Node, join(path, key), `unknown option; expected one of ${known.join(", ")}`);
        continue;
      }
      pairs.set(key, pair);
    }
    return pairs;
  }

  string(pair: Pair<unknown, unknown>, path: string, pattern?: RegExp, expected?: string): string | undefined {
    const node = pair.value;
    if (!isScalar(node) || typeof node.value !== "string" || (pattern !== undefined && !pattern.test(node.value))) {
      this.error((node ?? pair.key) as Node, path, `expected ${expected ?? "a string"}, got ${describe(node)}`);
      return undefined;
    }
    return node.value;
  }

  oneOf<T extends string>(pair: Pair<unknown, unknown>, path: string, values: readonly T[]): T | undefined {
    const node = pair.value;
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value !== "string" || !(values as readonly string[]).includes(value)) {
      this.error((node ?? pair.key) as Node, path, `expected one of ${values.join(", ")}, got ${describe(node)}`);
      return undefined;
    }
    return value as T;
  }

  boolean(pair: Pair<unknown, unknown>, path: string): boolean | undefined {
    const node = pair.value;
    if (!isScalar(node) || typeof node.value !== "boolean") {
      this.error((node ?? pair.key) as Node, path, `expected true or false, got ${describe(node)}`);
      return undefined;
    }
    return node.value;
  }

  /** A declared attribute's maxLength: a whole number of characters up to DECLARED_MAX_LENGTH_CEILING. */
  maxLength(pair: Pair<unknown, unknown>, path: string): number | undefined {
    const node = pair.value;
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > DECLARED_MAX_LENGTH_CEILING) {
      this.error((node ?? pair.key) as Node, path, `expected a whole number of characters from 1 to ${DECLARED_MAX_LENGTH_CEILING}, got ${describe(node)}`);
      return undefined;
    }
    return value;
  }

  strings(pair: Pair<unknown, unknown>, path: string): string[] | undefined {
    const node = pair.value;
    if (!isSeq(node) || node.items.length === 0) {
      this.error((node ?? pair.key) as Node, path, `expected a non-empty list of strings, e.g. [admin, regular], got ${describe(node)}`);
      return undefined;
    }
    const values: string[] = [];
    for (const [index, item] of node.items.entries()) {
      if (!isScalar(item) || typeof item.value !== "string" || item.value.trim() === "") {
        this.error(item as Node, `${path}[${index}]`, `expected a non-empty string, got ${describe(item)}`);
        return undefined;
      }
      if (values.includes(item.value)) {
        this.error(item as Node, `${path}[${index}]`, `${JSON.stringify(item.value)} is listed twice`);
        return undefined;
      }
      values.push(item.value);
    }
    return values;
  }
}

function positionOf(node: Node | Pair): number {
  if ("range" in node && Array.isArray(node.range)) return node.range[0] ?? 0;
  const key = (node as Pair).key;
  return key !== null && typeof key === "object" && "range" in (key as Node) ? ((key as Node).range?.[0] ?? 0) : 0;
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function describe(node: unknown): string {
  if (node === null || node === undefined) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) return node.value === null ? "nothing" : JSON.stringify(node.value);
  return "an unsupported YAML value";
}

/** The top-level options of a profile (docs/profiles.md). */
export const PROFILE_OPTIONS = ["attributes", "roles", "identity", "sync", "deprovisioning", "unmanagedUsers"] as const;
const TOP_LEVEL = PROFILE_OPTIONS;
const UPDATABLE_PATHS = ["displayName", "nickName", "title", "userType", "preferredLanguage", "locale", "timezone", "profileUrl", "active", "emails", "phoneNumbers", "addresses",
  "name", "name.givenName", "name.familyName", "name.middleName", "name.formatted", "name.honorificPrefix", "name.honorificSuffix", "externalId"];

function parseSync(reader: Reader, node: unknown, attributes: readonly DeclaredAttribute[]): SyncSwitches {
  const base = EMPTY_PROFILE.sync;
  const pairs = reader.map(node, "sync", ["users", "updates", "passwords"]);
  if (pairs === undefined) return base;
  const usersPair = pairs.get("users");
  const users = usersPair === undefined ? base.users : (reader.boolean(usersPair, "sync.users") ?? base.users);
  const passwordsPair = pairs.get("passwords");
  const passwords = passwordsPair === undefined ? base.passwords : (reader.oneOf(passwordsPair, "sync.passwords", ["ignored", "unsupported"] as const) ?? base.passwords);
  const ignoredUpdates: string[] = [];
  const updatesPair = pairs.get("updates");
  if (updatesPair !== undefined) {
    const known = [...UPDATABLE_PATHS, ...attributes.map((attribute) => attribute.name)];
    for (const [path, pair] of reader.map(updatesPair.value, "sync.updates", known) ?? []) {
      if (reader.boolean(pair, `sync.updates.${path}`) === false) ignoredUpdates.push(path);
    }
  }
  return { users, passwords, ignoredUpdates };
}

/** What a profile is checked against besides itself: the tenant it is for. */
export interface ProfileContext {
  /**
   * The roles the application declared (`PUT roles`): every `roles.fromGroups.mappings` target
   * must be one of them. Undefined: not checked (a stored profile read back).
   */
  readonly declaredRoles?: readonly string[];
  /** How to declare a role for this tenant, for the message (`PUT /api/v1/tenants/acme/roles`). */
  readonly declareWith?: string;
}

function parseRoles(reader: Reader, node: unknown, attributes: readonly DeclaredAttribute[], context: ProfileContext): RoleRules {
  const pairs = reader.map(node, "roles", ["fromAttribute", "admin", "fromGroups"]);
  if (pairs === undefined) return {};
  const declared = (pair: Pair<unknown, unknown>, path: string): DeclaredAttribute | undefined => {
    const name = reader.string(pair, path, undefined, "the name of a declared attribute");
    if (name === undefined) return undefined;
    const attribute = attributes.find((candidate) => candidate.name === name);
    if (attribute === undefined) {
      const names = attributes.map((candidate) => candidate.name);
      reader.error(pair.value as Node, path, `expected the name of an attribute declared under attributes (${names.join(", ") || "none declared"}), got ${JSON.stringify(name)}`);
    }
    return attribute;
  };
  const rules: { fromAttribute?: string; admin?: NonNullable<RoleRules["admin"]>; fromGroups?: NonNullable<RoleRules["fromGroups"]> } = {};
  const fromAttribute = pairs.get("fromAttribute");
  if (fromAttribute !== undefined) {
    const attribute = declared(fromAttribute, "roles.fromAttribute");
    if (attribute !== undefined && attribute.type !== "string") reader.error(fromAttribute.value as Node, "roles.fromAttribute", `expected a string attribute, "${attribute.name}" is ${attribute.type}`);
    else if (attribute !== undefined) rules.fromAttribute = attribute.name;
  }
  const adminPair = pairs.get("admin");
  if (adminPair !== undefined) {
    const admin = reader.map(adminPair.value, "roles.admin", ["attribute", "equals"]);
    const attributePair = admin?.get("attribute");
    const equalsPair = admin?.get("equals");
    if (admin !== undefined && (attributePair === undefined || equalsPair === undefined)) {
      reader.error(adminPair.value as Node, "roles.admin", "expected both attribute and equals, e.g. { attribute: user_type, equals: admin }");
    } else if (attributePair !== undefined && equalsPair !== undefined) {
      const attribute = declared(attributePair, "roles.admin.attribute");
      const value = isScalar(equalsPair.value) ? equalsPair.value.value : undefined;
      if (attribute !== undefined) {
        const fits = attribute.type === "boolean" ? typeof value === "boolean" : typeof value === "string";
        if (!fits) reader.error(equalsPair.value as Node, "roles.admin.equals", `expected a ${attribute.type === "boolean" ? "boolean" : "string"} value of "${attribute.name}", got ${describe(equalsPair.value)}`);
        else if (attribute.allowedValues !== undefined && !attribute.allowedValues.includes(value as string)) {
          reader.error(equalsPair.value as Node, "roles.admin.equals", `expected one of the allowed values of "${attribute.name}" (${attribute.allowedValues.join(", ")}), got ${describe(equalsPair.value)}`);
        } else rules.admin = { attribute: attribute.name, equals: value as string | boolean };
      }
    }
  }
  const groupsPair = pairs.get("fromGroups");
  if (groupsPair !== undefined) {
    const groups = reader.map(groupsPair.value, "roles.fromGroups", ["matchDeclaredRoles", "mappings"]);
    const matchPair = groups?.get("matchDeclaredRoles");
    const matchDeclaredRoles = matchPair === undefined ? true : (reader.boolean(matchPair, "roles.fromGroups.matchDeclaredRoles") ?? true);
    const mappings: Record<string, string> = {};
    const mappingsPair = groups?.get("mappings");
    if (mappingsPair !== undefined) {
      for (const [group, pair] of reader.map(mappingsPair.value, "roles.fromGroups.mappings", []) ?? []) {
        const path = `roles.fromGroups.mappings.${group}`;
        const role = reader.string(pair, path, /\S/, "a role name");
        const declared = context.declaredRoles;
        if (role !== undefined && declared !== undefined && !declared.includes(role)) {
          const known = declared.length === 0 ? "none is declared yet" : `declared: ${declared.join(", ")}`;
          const how = context.declareWith === undefined ? "" : `; declare it first with ${context.declareWith}`;
          reader.error(pair.value as Node, path, `expected a role the application declared (${known})${how}, got ${JSON.stringify(role)}`);
        } else if (role !== undefined) mappings[group] = role;
      }
    }
    if (groups !== undefined) rules.fromGroups = { matchDeclaredRoles, mappings };
  }
  return rules;
}
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

function parseIdentity(reader: Reader, node: unknown, attributes: readonly DeclaredAttribute[]): IdentityRules {
  const pairs = reader.map(node, "identity", ["userNameIsEmail", "emailDomains", "defaults", "timezones"]);
  const base = EMPTY_PROFILE.identity;
  if (pairs === undefined) return base;
  const emailPair = pairs.get("userNameIsEmail");
  const userNameIsEmail = emailPair === undefined ? base.userNameIsEmail : (reader.boolean(emailPair, "identity.userNameIsEmail") ?? false);
  const domainsPair = pairs.get("emailDomains");
  const emailDomains = domainsPair === undefined ? undefined : reader.strings(domainsPair, "identity.emailDomains");
  for (const [index, domain] of (emailDomains ?? []).entries()) {
    if (!DOMAIN.test(domain)) {
      const item = isSeq(domainsPair?.value) ? (domainsPair.value.items[index] as Node) : undefined;
      reader.error(item, `identity.emailDomains[${index}]`, `expected a domain name such as example.com, got ${JSON.stringify(domain)}`);
    }
  }
  const timezonesPair = pairs.get("timezones");
  const timezones = timezonesPair === undefined ? base.timezones : (reader.oneOf(timezonesPair, "identity.timezones", ["any", "iana"] as const) ?? base.timezones);
  const defaults: Record<string, string> = {};
  const defaultsPair = pairs.get("defaults");
  if (defaultsPair !== undefined) {
    const declared = attributes.filter((attribute) => attribute.type === "string" && !attribute.multiValued).map((attribute) => attribute.name);
    const allowed = [...DEFAULTABLE_CORE_ATTRIBUTES, ...declared];
    for (const [name, pair] of reader.map(defaultsPair.value, "identity.defaults", allowed) ?? []) {
      const value = reader.string(pair, `identity.defaults.${name}`, /\S/, "a non-blank string");
      // A default is written into users as if sent: it must fit the attribute (docs/attribute-limits.md).
      const core = USER_SCHEMA.attributes.find((attribute) => attribute.name === name);
      const max = (core === undefined ? attributes.find((attribute) => attribute.name === name)?.maxLength : maxLengthOf(core)) ?? TEXT_MAX_LENGTH;
      if (value !== undefined && isLongerThan(value, max)) {
        reader.error(pair.value as Node, `identity.defaults.${name}`, `expected at most ${max} characters, got ${countCharacters(value)}`);
      } else if (value !== undefined) defaults[name] = value;
    }
  }
  if (timezones === "iana" && defaults["timezone"] !== undefined && !isTimeZone(defaults["timezone"])) {
    reader.error(defaultsPair?.value as Node, "identity.defaults.timezone", `expected an IANA time zone such as Etc/UTC or Europe/Paris, got ${JSON.stringify(defaults["timezone"])}`);
  }
  return { userNameIsEmail, defaults, timezones, ...(emailDomains === undefined ? {} : { emailDomains: emailDomains.map((d) => d.toLowerCase()) }) };
}
const ATTRIBUTE_KEYS = ["namespace", "type", "multiValued", "description", "allowedValues", "commaSeparated", "references", "maxLength"] as const;

function parseNamespace(reader: Reader, pair: Pair<unknown, unknown> | undefined, path: string): AttributeNamespace | undefined {
  if (pair === undefined) return { kind: "core" };
  const value = reader.string(pair, path, undefined, `core, enterprise or a schema URN (urn:…)`);
  if (value === undefined) return undefined;
  if (value === "core") return { kind: "core" };
  if (value === "enterprise" || value === ENTERPRISE_NAMESPACE) return { kind: "enterprise" };
  if (URN.test(value) && !value.startsWith("urn:ietf:params:scim:")) return { kind: "extension", urn: value };
  reader.error(pair.value as Node, path, `expected core, enterprise or a custom schema URN (urn:example:roster:1.0:User), got ${JSON.stringify(value)}`);
  return undefined;
}

function parseAttribute(reader: Reader, name: string, node: unknown, path: string, keyNode: unknown): DeclaredAttribute | undefined {
  if (!ATTRIBUTE_NAME.test(name)) {
    reader.error(keyNode as Node, path, "expected an attribute name of letters, digits, _ and -, starting with a letter");
    return undefined;
  }
  const pairs = reader.map(node, path, ATTRIBUTE_KEYS);
  if (pairs === undefined) return undefined;
  const before = reader.errors.length;
  const namespace = parseNamespace(reader, pairs.get("namespace"), join(path, "namespace"));
  const typePair = pairs.get("type");
  let type: DeclaredType | undefined;
  if (typePair === undefined) reader.error(node as Node, path, `missing "type"; expected one of ${DECLARED_TYPES.join(", ")}`);
  else type = reader.oneOf(typePair, join(path, "type"), DECLARED_TYPES);
  const flag = (key: "multiValued" | "commaSeparated") => {
    const pair = pairs.get(key);
    return pair === undefined ? false : (reader.boolean(pair, join(path, key)) ?? false);
  };
  const multiValued = flag("multiValued");
  const commaSeparated = flag("commaSeparated");
  const descriptionPair = pairs.get("description");
  const description = descriptionPair === undefined ? "" : (reader.string(descriptionPair, join(path, "description")) ?? "");
  const allowedPair = pairs.get("allowedValues");
  const allowedValues = allowedPair === undefined ? undefined : reader.strings(allowedPair, join(path, "allowedValues"));
  const referencesPair = pairs.get("references");
  const references =
    referencesPair === undefined ? undefined : reader.string(referencesPair, join(path, "references"), LIST_NAME, "a list name (a-z, 0-9, _), e.g. roles or record_sets");
  const maxLengthPair = pairs.get("maxLength");
  const maxLength = maxLengthPair === undefined ? undefined : reader.maxLength(maxLengthPair, join(path, "maxLength"));
  if (type !== undefined && type !== "string") {
    for (const key of ["allowedValues", "commaSeparated", "references", "maxLength"] as const) {
      const pair = pairs.get(key);
      if (pair !== undefined) reader.error(pair.key as Node, join(path, key), `applies only to type string, not ${type}`);
    }
  }
  if (commaSeparated && multiValued) reader.error(pairs.get("commaSeparated")?.key as Node, join(path, "commaSeparated"), "cannot be combined with multiValued: true");
  if (namespace !== undefined) {
    const reserved = namespace.kind === "core" ? CORE_NAMES : namespace.kind === "enterprise" ? ENTERPRISE_NAMES : new Set<string>();
    if (reserved.has(name.toLowerCase())) reader.error(keyNode as Node, path, `"${name}" is already defined by RFC 7643 in that schema; choose another name`);
  }
  if (reader.errors.length > before || namespace === undefined || type === undefined) return undefined;
  return {
    name,
    namespace,
    type,
    multiValued,
    description,
    commaSeparated,
    ...(allowedValues === undefined ? {} : { allowedValues }),
    ...(references === undefined ? {} : { references }),
    ...(maxLength === undefined ? {} : { maxLength }),
  };
}

/** Parses and validates a profile; `file` names it in error messages (`fleetio.yaml:12:5: …`). */
export function parseProfile(source: string, file: string, context: ProfileContext = {}): ProfileParseResult {
  const lines = new LineCounter();
  const document = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const reader = new Reader(lines);
  for (const problem of document.errors) {
    const at = problem.linePos?.[0];
    reader.errors.push({ line: at?.line ?? 1, column: at?.col ?? 1, path: null, message: problem.message.split("\n")[0] ?? "invalid YAML" });
  }
  if (reader.errors.length > 0) return refused(file, reader.errors);
  reportUnstorableText(reader, document.contents);
  if (reader.errors.length > 0) return refused(file, reader.errors);
  if (document.contents === null) return { ok: true, value: EMPTY_PROFILE };
  const top = reader.map(document.contents, "", TOP_LEVEL);
  if (top === undefined) return refused(file, reader.errors);

  const attributes: DeclaredAttribute[] = [];
  const attributesPair = top.get("attributes");
  if (attributesPair !== undefined) {
    const declared = reader.map(attributesPair.value, "attributes", []);
    const seen = new Map<string, string>();
    for (const [name, pair] of declared ?? []) {
      const attribute = parseAttribute(reader, name, pair.value, `attributes.${name}`, pair.key);
      if (attribute === undefined) continue;
      const scope = `${attribute.namespace.kind === "extension" ? attribute.namespace.urn : attribute.namespace.kind}:${name.toLowerCase()}`;
      if (seen.has(scope)) reader.error(pair.key as Node, `attributes.${name}`, `declared twice in the same schema (attribute names ignore case)`);
      seen.set(scope, name);
      attributes.push(attribute);
    }
  }

  const rolesPair = top.get("roles");
  const roles = rolesPair === undefined ? EMPTY_PROFILE.roles : parseRoles(reader, rolesPair.value, attributes, context);
  const deprovisioningPair = top.get("deprovisioning");
  const deprovisioning =
    deprovisioningPair === undefined ? EMPTY_PROFILE.deprovisioning : (reader.oneOf(deprovisioningPair, "deprovisioning", DEPROVISIONING_MODES) ?? EMPTY_PROFILE.deprovisioning);
  const syncPair = top.get("sync");
  const sync = syncPair === undefined ? EMPTY_PROFILE.sync : parseSync(reader, syncPair.value, attributes);
  const identityPair = top.get("identity");
  const identity = identityPair === undefined ? EMPTY_PROFILE.identity : parseIdentity(reader, identityPair.value, attributes);

  let unmanagedUsers = EMPTY_PROFILE.unmanagedUsers;
  const unmanagedPair = top.get("unmanagedUsers");
  if (unmanagedPair !== undefined) {
    const pairs = reader.map(unmanagedPair.value, "unmanagedUsers", ["visible", "userNameCollision"]);
    const visiblePair = pairs?.get("visible");
    const collisionPair = pairs?.get("userNameCollision");
    const visible = visiblePair === undefined ? undefined : reader.boolean(visiblePair, "unmanagedUsers.visible");
    const collision: UserNameCollision | undefined =
      collisionPair === undefined ? undefined : reader.oneOf(collisionPair, "unmanagedUsers.userNameCollision", USER_NAME_COLLISIONS);
    unmanagedUsers = { visible: visible ?? unmanagedUsers.visible, userNameCollision: collision ?? unmanagedUsers.userNameCollision };
  }

  if (reader.errors.length > 0) return refused(file, reader.errors);
  return { ok: true, value: { attributes, deprovisioning, roles, identity, sync, unmanagedUsers } };
}

function refused(file: string, problems: readonly ProfileProblem[]): ProfileParseResult {
  // Checks run option by option; a reader fixes the text top to bottom.
  const sorted = [...problems].sort((a, b) => a.line - b.line || a.column - b.column);
  return { ok: false, problems: sorted, errors: sorted.map((problem) => formatProfileProblem(file, problem)) };
}

const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A NUL or a lone surrogate in a key or value (written raw, or as a YAML escape such as
 * "\0" or "\uD800"): PostgreSQL text cannot hold the first, and neither is a character any
 * attribute, role or domain name contains. The walk is bounded by the text's size.
 */
function reportUnstorableText(reader: Reader, contents: unknown): void {
  const stack: [unknown, string][] = [[contents, ""]];
  while (stack.length > 0) {
    const [node, path] = stack.pop() as [unknown, string];
    if (isScalar(node)) {
      if (typeof node.value === "string" && UNSTORABLE.test(node.value)) {
        const what = node.value.includes("\u0000") ? "a NUL character" : "a lone UTF-16 surrogate";
        reader.error(node, path, `the text holds ${what}, which no profile value may contain`);
      }
    } else if (isMap(node)) {
      for (const pair of (node as YAMLMap<unknown, unknown>).items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : "";
        stack.push([pair.value, join(path, key)], [pair.key, path]);
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) stack.push([item, `${path}[${index}]`]);
    }
  }
}
