/** Timestamps as stored and served: ISO-8601 UTC with milliseconds, so string order is time order. */
export function now(): string {
  return isoTimestamp(Date.now());
}

// `Date.prototype.toISOString` formats in C++ behind a call out of JavaScript: 1.6 µs on
// this machine, paid by every request for its request log entry and by every write. Within
// one second only the milliseconds change, so the rest is formatted once per second.
let cachedSecond = Number.NaN;
let cachedPrefix = "";

/** `new Date(ms).toISOString()` for an integer `ms` (docs/benchmarks.md). */
export function isoTimestamp(ms: number): string {
  // A fraction, NaN or a time out of range: toISOString truncates, formats or throws as it does.
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const full = new Date(second * 1000).toISOString();
    // Only the common form `YYYY-MM-DDTHH:MM:SS.mmmZ` is cut; a six-digit year (after 9999 or
    // before year 0) is formatted whole every time.
    if (full.length !== 24) return new Date(ms).toISOString();
    cachedSecond = second;
    cachedPrefix = full.slice(0, 20);
  }
  const millis = ms - second * 1000;
  return `${cachedPrefix}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
}
