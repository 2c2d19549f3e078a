import { fail, ok, type Result } from "../errors.js";
import type { Filter } from "./ast.js";
import { checkFilterBudget } from "./budget.js";
import { FilterParser } from "./parser.js";
import { SyntaxFault, tokenize } from "./tokenize.js";

export { MAX_FILTER_DEPTH } from "./parser.js";
export { formatScimFilter } from "./format.js";
export { DEFAULT_FILTER_BUDGET, type FilterBudget } from "./budget.js";

export const MAX_FILTER_LENGTH = 10_000;

/**
 * RFC 7644 §3.4.2.2: parses a `filter` parameter. Errors are `invalidFilter` (`invalidValue`
 * for a string that is not valid Unicode) and give the column; a filter past the complexity
 * budget (budget.ts) is `invalidFilter` naming the limit.
 */
export function parseScimFilter(text: string): Result<Filter> {
  if (text.length > MAX_FILTER_LENGTH) {
    return fail("invalidFilter", `filter: longer than ${MAX_FILTER_LENGTH} characters (${text.length})`);
  }
  if (text.trim().length === 0) return fail("invalidFilter", "filter: empty filter");
  try {
    const parser = new FilterParser(tokenize(text));
    const filter = parser.parseFilter();
    parser.expectEnd('expected "and", "or" or end of input');
    const budget = checkFilterBudget(filter);
    return budget.ok ? ok(filter) : budget;
  } catch (error) {
    if (error instanceof SyntaxFault) return fail(error.code ?? "invalidFilter", `filter: ${error.detail}`);
    throw error;
  }
}
