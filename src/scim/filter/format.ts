import type { Filter, FilterValue } from "./ast.js";
import { formatAttributePath } from "./attr-path.js";

/** Prints a filter so that `parseScimFilter(formatScimFilter(f))` gives `f` back. */
export function formatScimFilter(filter: Filter): string {
  switch (filter.kind) {
    case "compare":
      return `${formatAttributePath(filter.path)} ${filter.op} ${formatValue(filter.value)}`;
    case "present":
      return `${formatAttributePath(filter.path)} pr`;
    case "and":
      return `${operand(filter.left, filter.left.kind === "or")} and ${operand(filter.right, filter.right.kind === "or" || filter.right.kind === "and")}`;
    case "or":
      return `${operand(filter.left, false)} or ${operand(filter.right, filter.right.kind === "or")}`;
    case "not":
      return `not (${formatScimFilter(filter.filter)})`;
    case "valuePath":
      return `${formatAttributePath(filter.path)}[${formatScimFilter(filter.filter)}]`;
  }
}

function operand(filter: Filter, parenthesise: boolean): string {
  const text = formatScimFilter(filter);
  return parenthesise ? `(${text})` : text;
}

function formatValue(value: FilterValue): string {
  if (typeof value === "number" && Object.is(value, -0)) return "-0";
  return JSON.stringify(value);
}
