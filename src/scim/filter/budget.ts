import { fail, ok, type Result } from "../errors.js";
import type { CompareOperator, Filter } from "./ast.js";

/**
 * How much work one filter may ask of the database (docs/filters.md, "Complexity budget";
 * ADR 0024). Identity providers send one to a few terms (`userName eq "x"`,
 * `externalId eq "x"`, `members[value eq "x"]`); these bounds sit far above that and far
 * below what a hostile filter needs to keep a connection busy for seconds.
 */
export interface FilterBudget {
  /** Comparisons and `pr` terms, inside value paths included. */
  readonly maxTerms: number;
  /** Value paths (`emails[…]`): each is a subquery per candidate row. */
  readonly maxValuePaths: number;
  /** Levels of `and`/`or` alternation, `not` and value paths (parentheses that change nothing do not count). */
  readonly maxDepth: number;
  /** `co`, `sw`, `ew` on attributes no column holds: each is a LIKE over a value read from the JSON document of every candidate row. */
  readonly maxUnindexedSubstrings: number;
}

export const DEFAULT_FILTER_BUDGET: FilterBudget = {
  maxTerms: 100,
  maxValuePaths: 10,
  maxDepth: 10,
  maxUnindexedSubstrings: 10,
};

const SUBSTRING: readonly CompareOperator[] = ["co", "sw", "ew"];

interface Cost {
  terms: number;
  valuePaths: number;
  depth: number;
}

/**
 * Refuses a parsed filter that exceeds the structural parts of the budget (terms, value
 * paths, depth) with `invalidFilter`, naming the limit and the number seen. Runs before the
 * filter is resolved or compiled; iterative over and/or chains, so a long chain costs no stack.
 */
export function checkFilterBudget<P>(filter: Filter<P>, budget: FilterBudget = DEFAULT_FILTER_BUDGET): Result<null> {
  const cost: Cost = { terms: 0, valuePaths: 0, depth: 0 };
  measure(filter, 0, cost);
  if (cost.valuePaths > budget.maxValuePaths) {
    return fail("invalidFilter", `filter: ${cost.valuePaths} value paths (attribute[…]); at most ${budget.maxValuePaths} are allowed in one filter`);
  }
  if (cost.depth > budget.maxDepth) {
    return fail(
      "invalidFilter",
      `filter: nested ${cost.depth} levels deep (and/or groups, not, value paths); at most ${budget.maxDepth} levels are allowed`,
    );
  }
  if (cost.terms > budget.maxTerms) {
    return fail("invalidFilter", `filter: ${cost.terms} terms (comparisons and pr); at most ${budget.maxTerms} are allowed in one filter`);
  }
  return ok(null);
}

/**
 * Refuses a filter with more substring comparisons (`co`, `sw`, `ew`) on attributes that
 * `indexed` says no column holds than the budget allows. Takes the resolved filter and the
 * store's answer, so the pure core does not need to know the store's columns.
 */
export function checkSubstringBudget<P>(
  filter: Filter<P>,
  indexed: (path: P) => boolean,
  budget: FilterBudget = DEFAULT_FILTER_BUDGET,
): Result<null> {
  let count = 0;
  const stack: Filter<P>[] = [filter];
  // Bounded by the filter's size: each node is pushed once.
  while (stack.length > 0) {
    const node = stack.pop()!;
    switch (node.kind) {
      case "and":
      case "or":
        stack.push(node.left, node.right);
        break;
      case "not":
      case "valuePath":
        stack.push(node.filter);
        break;
      case "compare":
        if (SUBSTRING.includes(node.op) && !indexed(node.path)) count++;
        break;
      case "present":
        break;
    }
  }
  if (count > budget.maxUnindexedSubstrings) {
    return fail(
      "invalidFilter",
      `filter: ${count} substring comparisons (co, sw, ew) on attributes without an index; at most ${budget.maxUnindexedSubstrings} are allowed (see docs/filters.md for the indexed attributes)`,
    );
  }
  return ok(null);
}

/**
 * Adds `filter`'s terms and value paths to `cost` and raises `cost.depth` to its deepest
 * level. An and/or chain is one level however long and is walked with a stack; recursion
 * happens only where a new level opens, so it is bounded by the parser's nesting limit.
 */
function measure<P>(filter: Filter<P>, level: number, cost: Cost): void {
  switch (filter.kind) {
    case "compare":
    case "present":
      cost.terms++;
      return;
    case "not":
      cost.depth = Math.max(cost.depth, level + 1);
      measure(filter.filter, level + 1, cost);
      return;
    case "valuePath":
      cost.valuePaths++;
      cost.depth = Math.max(cost.depth, level + 1);
      measure(filter.filter, level + 1, cost);
      return;
    case "and":
    case "or": {
      cost.depth = Math.max(cost.depth, level + 1);
      const pending: Filter<P>[] = [filter.left, filter.right];
      while (pending.length > 0) {
        const node = pending.pop()!;
        if (node.kind === filter.kind) pending.push(node.left, node.right);
        else measure(node, level + 1, cost);
      }
      return;
    }
  }
}
