import { type RawBuilder, type SqlBool, sql } from "kysely";
import type { CompareOperator, FilterValue, ResolvedFilter, ResolvedPath } from "../../scim/filter/ast.js";
import { SCIM_GROUP_SCHEMA, SCIM_USER_SCHEMA } from "../../scim/schema/core-schemas.js";
import type { AttributeDefinition } from "../../scim/schema/types.js";
import type { ResourceKind } from "../store.js";
import {
  Aliases,
  type Collection,
  type Element,
  documentPath,
  emailCollection,
  jsonCollection,
  jsonObjectElement,
  jsonScalar,
  membershipCollection,
} from "./collections.js";
import type { SqlDialect } from "./dialect.js";
import { FALSE, type Scalar, columnPresent, compareScalar, negate } from "./scalar.js";

/** The resource row a filter is compiled against: `alias` names the `resources` row in the outer query. */
export interface ResourceScope {
  readonly kind: ResourceKind;
  readonly alias: string;
}

/** Where one resolved path's values live. */
type Location =
  | { readonly kind: "scalar"; readonly scalar: Scalar }
  | { readonly kind: "collection"; readonly collection: Collection; readonly sub: AttributeDefinition | undefined }
  | { readonly kind: "absent" };

const CORE_SCHEMA: Record<ResourceKind, string> = { User: SCIM_USER_SCHEMA, Group: SCIM_GROUP_SCHEMA };

/** `W/"3"` → 3: meta.version compares against the integer column. */
function versionLiteral(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^W\/"(\d+)"$/.exec(value);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export class FilterCompiler {
  private readonly aliases = new Aliases();

  constructor(
    private readonly dialect: SqlDialect,
    private readonly scope: ResourceScope,
  ) {}

  /** A two-valued SQL condition equivalent to the in-memory evaluator (src/scim/filter/evaluate.ts). */
  compile(filter: ResolvedFilter): RawBuilder<SqlBool> {
    return this.node(filter, (path) => this.locate(path));
  }

  /** Compiles a filter over one element (a valuePath's inner filter, or listMembers' member filter). */
  compileElement(filter: ResolvedFilter, element: Element): RawBuilder<SqlBool> {
    return this.node(
      filter,
      (path) => {
        const scalar = element.scalar(path.subAttribute ?? path.attribute);
        return scalar === undefined ? { kind: "absent" } : { kind: "scalar", scalar };
      },
      true,
    );
  }

  /** The value to sort by: the path's value, or the primary/first value of a multi-valued one; case-folded unless caseExact. */
  sortKey(path: ResolvedPath): RawBuilder<unknown> {
    const location = this.locate(path, true);
    switch (location.kind) {
      case "absent":
        return sql`cast(null as text)`;
      case "scalar":
        return this.foldForSort(location.scalar.expression, location.scalar);
      case "collection": {
        const first = location.collection.first(location.sub);
        const attribute = location.sub ?? path.attribute;
        if (first === undefined) return sql`cast(null as text)`;
        const folded = path.attribute.name === "emails" && location.sub?.name === "value" && !attribute.caseExact;
        return folded ? first : this.foldForSort(first, { attribute, folded: false });
      }
    }
  }

  private foldForSort(expression: RawBuilder<unknown>, scalar: Pick<Scalar, "attribute" | "folded">): RawBuilder<unknown> {
    const text = scalar.attribute.type === "string" || scalar.attribute.type === "reference";
    return text && !scalar.attribute.caseExact && !scalar.folded ? this.dialect.fold(expression) : expression;
  }

  private node(filter: ResolvedFilter, locate: (path: ResolvedPath) => Location, nested = false): RawBuilder<SqlBool> {
    switch (filter.kind) {
      case "and":
        return sql<SqlBool>`(${this.node(filter.left, locate, nested)} and ${this.node(filter.right, locate, nested)})`;
      case "or":
        return sql<SqlBool>`(${this.node(filter.left, locate, nested)} or ${this.node(filter.right, locate, nested)})`;
      case "not":
        return negate(this.node(filter.filter, locate, nested));
      case "present":
        return this.present(locate(filter.path));
      case "compare": {
        const location = locate(filter.path);
        // evaluate.ts: `eq null` is `not pr`, `ne null` is `pr`.
        if (filter.value === null) return filter.op === "eq" ? negate(this.present(location)) : filter.op === "ne" ? this.present(location) : FALSE;
        if (filter.op === "ne") return negate(this.compare(location, "eq", filter.value));
        return this.compare(location, filter.op, filter.value);
      }
      case "valuePath":
        return nested ? FALSE : this.valuePath(filter.path, filter.filter);
    }
  }

  private present(location: Location): RawBuilder<SqlBool> {
    switch (location.kind) {
      case "absent":
        return FALSE;
      case "scalar":
        return location.scalar.present;
      case "collection": {
        const sub = location.sub;
        return location.collection.exists((element) => {
          if (sub === undefined) return sql<SqlBool>`(1 = 1)`;
          const scalar = element.scalar(sub);
          return scalar === undefined ? FALSE : scalar.present;
        });
      }
    }
  }

  private compare(location: Location, op: CompareOperator, value: FilterValue): RawBuilder<SqlBool> {
    switch (location.kind) {
      case "absent":
        return FALSE;
      case "scalar":
        return compareScalar(this.dialect, location.scalar, op, value);
      case "collection":
        return location.collection.exists((element) => {
          const scalar = element.scalar(location.sub);
          return scalar === undefined ? FALSE : compareScalar(this.dialect, scalar, op, value);
        });
    }
  }

  private valuePath(path: ResolvedPath, inner: ResolvedFilter): RawBuilder<SqlBool> {
    const attribute = path.attribute;
    const keys = documentPath(path, false);
    if (!attribute.multiValued) {
      return this.compileElement(inner, jsonObjectElement(this.dialect, this.data, keys));
    }
    const collection = this.collectionFor(path, innerSubs(inner));
    return collection.exists((element) => this.compileElement(inner, element));
  }

  private get data(): string {
    return `${this.scope.alias}.data`;
  }

  private column(name: string): RawBuilder<unknown> {
    return sql.ref(`${this.scope.alias}.${name}`) as RawBuilder<unknown>;
  }

  private isCore(path: ResolvedPath): boolean {
    return !path.extension && (path.schema === CORE_SCHEMA[this.scope.kind] || path.attribute.name === "id" || path.attribute.name === "externalId" || path.attribute.name === "meta");
  }

  /** Picks the indexed column or side table for a path when one holds it, JSON otherwise. */
  private locate(path: ResolvedPath, forSort = false): Location {
    const attribute = path.attribute;
    const sub = path.subAttribute;
    if (this.isCore(path)) {
      const indexed = this.indexedColumn(attribute, sub);
      if (indexed !== undefined) return indexed;
    }
    const membership = this.isCore(path) && ((this.scope.kind === "Group" && attribute.name === "members") || (this.scope.kind === "User" && attribute.name === "groups"));
    if (attribute.multiValued && (sub !== undefined || attribute.type !== "complex" || membership)) {
      return { kind: "collection", collection: this.collectionFor(path, [{ sub, presence: !forSort }]), sub };
    }
    return { kind: "scalar", scalar: jsonScalar(this.dialect, { kind: "column", column: this.data }, documentPath(path), sub ?? attribute) };
  }

  private collectionFor(path: ResolvedPath, uses: readonly { sub: AttributeDefinition | undefined; presence: boolean }[]): Collection {
    const name = path.attribute.name;
    if (this.isCore(path)) {
      if (this.scope.kind === "Group" && name === "members") return membershipCollection(this.aliases, this.scope.alias, "group");
      if (this.scope.kind === "User" && name === "groups") return membershipCollection(this.aliases, this.scope.alias, "member");
      if (this.scope.kind === "User" && name === "emails") {
        const emails = emailCollection(this.aliases, this.scope.alias);
        if (uses.every((use) => emails.supports(use.sub, use.presence))) return emails;
      }
    }
    const keys = documentPath(path, false);
    return jsonCollection(this.dialect, this.aliases, this.data, keys, path.attribute);
  }

  private indexedColumn(attribute: AttributeDefinition, sub: AttributeDefinition | undefined): Location | undefined {
    // Columns derived from the document answer comparisons; `pr` asks the document itself,
    // so a value of the wrong JSON type still counts as present (evaluate.ts).
    const scalar = (column: string, definition: AttributeDefinition, folded: boolean): Location => {
      const expression = this.column(column);
      const fromDocument = column !== "id" && column !== "kind" && column !== "created" && column !== "last_modified";
      const present = fromDocument ? this.dialect.jsonPresent({ kind: "column", column: this.data }, [attribute.name]) : columnPresent(expression, definition);
      return { kind: "scalar", scalar: { expression, attribute: definition, folded, present } };
    };
    switch (attribute.name) {
      case "id":
        return scalar("id", attribute, false);
      case "externalId":
        return scalar("external_id", attribute, false);
      case "userName":
        return this.scope.kind === "User" && !attribute.caseExact ? scalar("name_ci", attribute, true) : undefined;
      case "displayName":
        if (attribute.caseExact) return undefined;
        return scalar(this.scope.kind === "User" ? "display_name_ci" : "name_ci", attribute, true);
      case "active":
        return this.scope.kind === "User" && attribute.type === "boolean" ? scalar("active", attribute, false) : undefined;
      case "meta":
        switch (sub?.name) {
          case undefined:
            return { kind: "scalar", scalar: { expression: sql`null`, attribute, folded: false, present: sql<SqlBool>`(1 = 1)` } };
          case "created":
            return scalar("created", sub, false);
          case "lastModified":
            return scalar("last_modified", sub, false);
          case "resourceType":
            return scalar("kind", sub, false);
          case "version": {
            const expression = this.column("version");
            return { kind: "scalar", scalar: { expression, attribute: sub, folded: false, present: sql<SqlBool>`(1 = 1)`, literal: versionLiteral } };
          }
          default:
            return { kind: "absent" };
        }
      default:
        return undefined;
    }
  }
}

/**
 * Whether a comparison on `path` reads a column of the `resources` row (FilterCompiler's
 * indexedColumn) rather than a side table or the JSON document: the filter budget
 * (src/scim/filter/budget.ts) counts substring comparisons on the others.
 */
export function isIndexedFilterPath(kind: ResourceKind, path: ResolvedPath): boolean {
  const attribute = path.attribute;
  const core = !path.extension && (path.schema === CORE_SCHEMA[kind] || attribute.name === "id" || attribute.name === "externalId" || attribute.name === "meta");
  if (!core) return false;
  switch (attribute.name) {
    case "id":
    case "externalId":
    case "meta":
      return true;
    case "userName":
      return kind === "User" && !attribute.caseExact;
    case "displayName":
      return !attribute.caseExact;
    default:
      return false;
  }
}

/** The sub-attributes a valuePath's inner filter reads, and whether only for `pr`. */
function innerSubs(filter: ResolvedFilter): { sub: AttributeDefinition | undefined; presence: boolean }[] {
  switch (filter.kind) {
    case "and":
    case "or":
      return [...innerSubs(filter.left), ...innerSubs(filter.right)];
    case "not":
      return innerSubs(filter.filter);
    case "present":
      return [{ sub: filter.path.subAttribute ?? filter.path.attribute, presence: true }];
    case "compare":
      return [{ sub: filter.path.subAttribute ?? filter.path.attribute, presence: filter.value === null }];
    case "valuePath":
      return [{ sub: undefined, presence: true }];
  }
}
