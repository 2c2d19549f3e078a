import { type RawBuilder, type SqlBool, sql } from "kysely";
import type { CompareOperator, FilterValue } from "../../scim/filter/ast.js";
import { foldCase, parseDateTime } from "../../scim/filter/values.js";
import type { AttributeDefinition } from "../../scim/schema/types.js";
import type { JsonReadAs, SqlDialect } from "./dialect.js";

/** One value a filter leaf can compare: an SQL expression and the attribute it holds. */
export interface Scalar {
  readonly expression: RawBuilder<unknown>;
  readonly attribute: AttributeDefinition;
  /** The expression is already case-folded (an `_ci` column): compare folded literals to it. */
  readonly folded: boolean;
  /** RFC 7644 §3.4.2.2 `pr` for this value. */
  readonly present: RawBuilder<SqlBool>;
  /** How a literal is compared to the expression when it is not the generic form (meta.version). */
  readonly literal?: (value: FilterValue) => unknown;
}

export const TRUE = sql<SqlBool>`(1 = 1)`;
export const FALSE = sql<SqlBool>`(1 = 0)`;

export function readAs(attribute: AttributeDefinition): JsonReadAs {
  switch (attribute.type) {
    case "integer":
    case "decimal":
      return "number";
    case "boolean":
      return "boolean";
    case "dateTime":
      return "dateTime";
    case "string":
    case "reference":
    case "binary":
    case "complex":
      return "text";
  }
}

const ORDER: Partial<Record<CompareOperator, string>> = { eq: "=", gt: ">", ge: ">=", lt: "<", le: "<=" };

/** `ne` is `not eq` (absent values are "not equal"), everything else is the positive comparison. */
export function compareScalar(dialect: SqlDialect, scalar: Scalar, op: CompareOperator, value: FilterValue): RawBuilder<SqlBool> {
  if (op === "ne") return negate(compareScalar(dialect, scalar, "eq", value));
  if (value === null) return op === "eq" ? negate(scalar.present) : FALSE;
  const operator = ORDER[op];
  if (scalar.literal !== undefined) {
    const literal = scalar.literal(value);
    return literal === undefined || operator === undefined ? FALSE : sql<SqlBool>`(${scalar.expression} ${sql.raw(operator)} ${literal})`;
  }
  const attribute = scalar.attribute;
  switch (attribute.type) {
    case "string":
    case "reference":
    case "binary": {
      if (typeof value !== "string") return FALSE;
      const insensitive = !attribute.caseExact || scalar.folded;
      const left = insensitive && !scalar.folded ? dialect.fold(scalar.expression) : scalar.expression;
      const right = insensitive ? foldCase(value) : value;
      if (operator !== undefined) return sql<SqlBool>`(${left} ${sql.raw(operator)} ${right})`;
      const escaped = dialect.escapeLike(right);
      const pattern = op === "co" ? `%${escaped}%` : op === "sw" ? `${escaped}%` : `%${escaped}`;
      return dialect.like(left, pattern);
    }
    case "integer":
    case "decimal":
      if (typeof value !== "number" || operator === undefined) return FALSE;
      return sql<SqlBool>`(${scalar.expression} ${sql.raw(operator)} ${value})`;
    case "dateTime": {
      if (typeof value !== "string" || operator === undefined) return FALSE;
      const instant = parseDateTime(value);
      if (instant === undefined) return FALSE;
      return sql<SqlBool>`(${scalar.expression} ${sql.raw(operator)} ${new Date(instant).toISOString()})`;
    }
    case "boolean":
      if (typeof value !== "boolean" || op !== "eq") return FALSE;
      return sql<SqlBool>`(${scalar.expression} = ${value ? 1 : 0})`;
    case "complex":
      return FALSE;
  }
}

/** Two-valued NOT: an unknown (NULL) inner condition counts as false, so its negation holds. */
export function negate(condition: RawBuilder<SqlBool>): RawBuilder<SqlBool> {
  return sql<SqlBool>`(not ((${condition}) is true))`;
}

/** `pr` for a text or number column. */
export function columnPresent(expression: RawBuilder<unknown>, attribute: AttributeDefinition): RawBuilder<SqlBool> {
  return readAs(attribute) === "text" ? sql<SqlBool>`(${expression} is not null and ${expression} <> '')` : sql<SqlBool>`(${expression} is not null)`;
}
