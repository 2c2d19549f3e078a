import { EVENT_TYPES } from "./event-types.js";

/** What a webhook created without a list of event types receives: everything. */
export const ALL_EVENTS = "*";

const CATEGORIES = [...new Set(EVENT_TYPES.map((type) => type.slice(0, type.indexOf("."))))];

/** The patterns a webhook accepts: `*`, a category wildcard (`user.*`, `group.*`, `role.*`) or an exact event type. */
export const EVENT_PATTERN_HELP = `${ALL_EVENTS}, ${CATEGORIES.map((category) => `${category}.*`).join(", ")} or an event type (${EVENT_TYPES.join(", ")})`;

export type PatternResult = { readonly ok: true; readonly value: readonly string[] } | { readonly ok: false; readonly issue: string };

/** Validates a list of event type patterns; duplicates are dropped, order kept. `where` names the input in messages. */
export function parseEventPatterns(patterns: readonly unknown[], where: string): PatternResult {
  if (patterns.length === 0) return { ok: false, issue: `${where}: give at least one event type pattern: ${EVENT_PATTERN_HELP}` };
  if (patterns.length > 50) return { ok: false, issue: `${where}: at most 50 patterns, got ${patterns.length}` };
  const seen = new Set<string>();
  for (const [index, pattern] of patterns.entries()) {
    if (typeof pattern !== "string") return { ok: false, issue: `${where}[${index}]: expected a string, got ${JSON.stringify(pattern)}` };
    if (!isKnownPattern(pattern)) {
      return { ok: false, issue: `${where}: ${JSON.stringify(pattern)} is not an event type pattern; expected ${EVENT_PATTERN_HELP}` };
    }
    seen.add(pattern);
  }
  return { ok: true, value: [...seen] };
}

function isKnownPattern(pattern: string): boolean {
  if (pattern === ALL_EVENTS) return true;
  if (pattern.endsWith(".*")) return CATEGORIES.includes(pattern.slice(0, -2));
  return (EVENT_TYPES as readonly string[]).includes(pattern);
}

/** Whether an event of `type` goes to a webhook with these (validated) patterns. */
export function eventTypeMatches(patterns: readonly string[], type: string): boolean {
  return patterns.some((pattern) => pattern === ALL_EVENTS || pattern === type || (pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1))));
}
