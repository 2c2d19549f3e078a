import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoTimestamp, now } from "../../src/directory/clock.js";

const MAX_TIME = 8.64e15; // the largest time a Date holds (ECMA-262 §21.4.1.1)

describe("isoTimestamp", () => {
  it("formats every integer time exactly as toISOString, in any order of calls", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -MAX_TIME, max: MAX_TIME }), { minLength: 1, maxLength: 20 }), (times) => {
        for (const ms of times) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
      }),
    );
  });

  it("formats times near one another (the cached second) exactly as toISOString", () => {
    const base = Date.UTC(2026, 11, 31, 23, 59, 58, 990);
    // Forwards across second, minute, day and year boundaries, then backwards again.
    const times = Array.from({ length: 2_100 }, (_, i) => base + i);
    for (const ms of [...times, ...times.reverse()]) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
  });

  it("pads the milliseconds and handles the edges of the four-digit years", () => {
    const cases = [
      0, 1, 9, 10, 99, 100, 999, 1000, -1, -999, -1000, -1001,
      Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1), Date.UTC(0, 0, 1) - 1, Date.UTC(-1, 0, 1),
      MAX_TIME, -MAX_TIME,
    ];
    for (const ms of cases) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
    expect(isoTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5, 7))).toBe("2026-01-02T03:04:05.007Z");
  });

  it("treats a fraction, NaN and an out-of-range time as toISOString does", () => {
    expect(isoTimestamp(1.9)).toBe(new Date(1.9).toISOString());
    expect(isoTimestamp(-0.5)).toBe(new Date(-0.5).toISOString());
    expect(() => isoTimestamp(Number.NaN)).toThrow(RangeError);
    expect(() => isoTimestamp(MAX_TIME + 1)).toThrow(RangeError);
    expect(() => isoTimestamp(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe("now", () => {
  it("is the current time in toISOString form", () => {
    const before = Date.now();
    const stamp = now();
    const after = Date.now();
    expect(stamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const at = Date.parse(stamp);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
  });
});
