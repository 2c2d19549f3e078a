/** Timestamps as stored and served: ISO-8601 UTC with milliseconds, so string order is time order. */
export function now(): string {
  return new Date().toISOString();
}
