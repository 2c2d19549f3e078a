import { type RawBuilder, type SqlBool, sql } from "kysely";
import type { ResolvedPath } from "../../scim/filter/ast.js";
import type { AttributeDefinition } from "../../scim/schema/types.js";
import type { JsonSource, SqlDialect } from "./dialect.js";
import { type Scalar, columnPresent, readAs } from "./scalar.js";

/** One element of a multi-valued attribute (or a single complex value): its sub-attributes as scalars. */
export interface Element {
  /** Undefined when this storage cannot produce that sub-attribute: it then counts as absent. */
  scalar(sub: AttributeDefinition | undefined): Scalar | undefined;
}

/** The values of a multi-valued attribute, wherever they are stored. */
export interface Collection {
  /** Which sub-attributes this storage can answer; otherwise the caller falls back to JSON. */
  supports(sub: AttributeDefinition | undefined, forPresence: boolean): boolean;
  /** EXISTS (one element for which `condition` holds). */
  exists(condition: (element: Element) => RawBuilder<SqlBool>): RawBuilder<SqlBool>;
  /** RFC 7644 §3.4.2.3: the primary value's sub-attribute, else the first one's. */
  first(sub: AttributeDefinition | undefined): RawBuilder<unknown> | undefined;
}

/** Fresh SQL aliases for nested subqueries. */
export class Aliases {
  private next = 0;
  take(prefix: string): string {
    this.next += 1;
    return `${prefix}${this.next}`;
  }
}

/** The document keys of a resolved path: `[urn, attribute, sub]` for extensions. */
export function documentPath(path: ResolvedPath, withSubAttribute = true): string[] {
  const keys = path.extension ? [path.schema, path.attribute.name] : [path.attribute.name];
  return path.subAttribute === undefined || !withSubAttribute ? keys : [...keys, path.subAttribute.name];
}

export function jsonScalar(dialect: SqlDialect, source: JsonSource, path: readonly string[], attribute: AttributeDefinition): Scalar {
  return {
    expression: dialect.jsonValue(source, path, readAs(attribute)),
    attribute,
    folded: false,
    present: dialect.jsonPresent(source, path),
  };
}

function jsonElement(dialect: SqlDialect, source: JsonSource, outer: AttributeDefinition): Element {
  return {
    scalar: (sub) => (sub === undefined ? jsonScalar(dialect, source, [], outer) : jsonScalar(dialect, source, [sub.name], sub)),
  };
}

/** The array at `path` inside the document column `column`. */
export function jsonCollection(dialect: SqlDialect, aliases: Aliases, column: string, path: readonly string[], attribute: AttributeDefinition): Collection {
  const from = (alias: string) => dialect.jsonArrayElements({ kind: "column", column }, path, alias);
  return {
    supports: () => true,
    exists(condition) {
      const alias = aliases.take("j");
      const element = jsonElement(dialect, { kind: "element", alias }, attribute);
      return sql<SqlBool>`exists (select 1 from ${from(alias)} where ${condition(element)})`;
    },
    first(sub) {
      const alias = aliases.take("j");
      const source: JsonSource = { kind: "element", alias };
      const value = jsonElement(dialect, source, attribute).scalar(sub);
      if (value === undefined) return undefined;
      const primary = attribute.subAttributes?.some((a) => a.name === "primary") === true ? dialect.jsonValue(source, ["primary"], "boolean") : sql`0`;
      return sql`(select ${value.expression} from ${from(alias)} order by coalesce(${primary}, 0) desc, ${dialect.jsonElementIndex(alias)} limit 1)`;
    },
  };
}

/** A single complex value (`name`), addressed by `name[givenName eq "x"]`. */
export function jsonObjectElement(dialect: SqlDialect, column: string, path: readonly string[]): Element {
  return {
    scalar: (sub) => (sub === undefined ? undefined : jsonScalar(dialect, { kind: "column", column }, [...path, sub.name], sub)),
  };
}

/** User `emails` through the `resource_emails` rows: value (folded), type and primary. */
export function emailCollection(aliases: Aliases, resource: string): Collection {
  const columnFor = (sub: AttributeDefinition | undefined, alias: string): Scalar | undefined => {
    if (sub === undefined) return undefined;
    const column = (name: string) => sql.ref(`${alias}.${name}`) as RawBuilder<unknown>;
    switch (sub.name) {
      case "value": {
        if (sub.caseExact) return undefined;
        const expression = column("value_ci");
        return { expression, attribute: sub, folded: true, present: columnPresent(expression, sub) };
      }
      case "type": {
        const expression = column("type");
        return { expression, attribute: sub, folded: false, present: columnPresent(expression, sub) };
      }
      case "primary":
        return { expression: column("is_primary"), attribute: sub, folded: false, present: sql<SqlBool>`(${column("is_primary")} = 1)` };
      default:
        return undefined;
    }
  };
  const correlated = (alias: string) =>
    sql`resource_emails as ${sql.id(alias)} where ${sql.ref(`${alias}.tenant_id`)} = ${sql.ref(`${resource}.tenant_id`)} and ${sql.ref(`${alias}.resource_id`)} = ${sql.ref(`${resource}.id`)}`;
  return {
    // `primary` needs JSON: the rows store a missing primary and `false` alike (`emails[primary eq false]`, `primary pr`).
    supports: (sub) => columnFor(sub, "x") !== undefined && sub?.name !== "primary",
    exists(condition) {
      const alias = aliases.take("e");
      return sql<SqlBool>`exists (select 1 from ${correlated(alias)} and ${condition({ scalar: (sub) => columnFor(sub, alias) })})`;
    },
    first(sub) {
      const alias = aliases.take("e");
      const value = columnFor(sub, alias);
      if (value === undefined) return undefined;
      return sql`(select ${value.expression} from ${correlated(alias)} order by ${sql.ref(`${alias}.is_primary`)} desc, ${sql.ref(`${alias}.position`)} limit 1)`;
    },
  };
}

/**
 * Group `members` (side "group") or User `groups` (side "member") through `group_members`,
 * joined to the other resource for `display` (displayName, falling back to userName).
 */
export function membershipCollection(aliases: Aliases, resource: string, side: "group" | "member"): Collection {
  const own = side === "group" ? "group_id" : "member_id";
  const other = side === "group" ? "member_id" : "group_id";
  const columnFor = (sub: AttributeDefinition | undefined, m: string, o: string): Scalar | undefined => {
    if (sub === undefined) return undefined;
    const make = (expression: RawBuilder<unknown>): Scalar => ({ expression, attribute: sub, folded: false, present: columnPresent(expression, sub) });
    switch (sub.name) {
      case "value":
        return make(sql.ref(`${m}.${other}`) as RawBuilder<unknown>);
      case "display":
        return make(sql.ref(`${o}.display`) as RawBuilder<unknown>);
      case "type":
        return make(side === "group" ? (sql.ref(`${m}.member_kind`) as RawBuilder<unknown>) : sql`'direct'`);
      default:
        return undefined;
    }
  };
  const correlated = (m: string, o: string) =>
    sql`group_members as ${sql.id(m)} inner join resources as ${sql.id(o)} on ${sql.ref(`${o}.tenant_id`)} = ${sql.ref(`${m}.tenant_id`)} and ${sql.ref(`${o}.id`)} = ${sql.ref(`${m}.${other}`)}
      where ${sql.ref(`${m}.tenant_id`)} = ${sql.ref(`${resource}.tenant_id`)} and ${sql.ref(`${m}.${own}`)} = ${sql.ref(`${resource}.id`)}`;
  return {
    supports: () => true,
    exists(condition) {
      const m = aliases.take("m");
      const o = aliases.take("o");
      return sql<SqlBool>`exists (select 1 from ${correlated(m, o)} and ${condition({ scalar: (sub) => columnFor(sub, m, o) })})`;
    },
    first(sub) {
      const m = aliases.take("m");
      const o = aliases.take("o");
      const value = columnFor(sub, m, o);
      if (value === undefined) return undefined;
      return sql`(select ${value.expression} from ${correlated(m, o)} order by ${sql.ref(`${m}.${other}`)} limit 1)`;
    },
  };
}

/** The member side of `group_members` as the element itself (listMembers' filter). */
export function memberRowElement(membership: string, member: string): Element {
  return {
    scalar(sub) {
      if (sub === undefined) return undefined;
      const make = (expression: RawBuilder<unknown>): Scalar => ({ expression, attribute: sub, folded: false, present: columnPresent(expression, sub) });
      switch (sub.name) {
        case "value":
          return make(sql.ref(`${membership}.member_id`) as RawBuilder<unknown>);
        case "type":
          return make(sql.ref(`${membership}.member_kind`) as RawBuilder<unknown>);
        case "display":
          return make(sql.ref(`${member}.display`) as RawBuilder<unknown>);
        default:
          return undefined;
      }
    },
  };
}
