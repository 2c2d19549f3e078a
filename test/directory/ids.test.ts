import { describe, expect, it } from "vitest";
import { newTimeOrderedId } from "../../src/directory/ids.js";

// UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, version 7, variant 10, 74 random bits,
// the random part drawn from a pool refilled 4 KB at a time.

describe("newTimeOrderedId", () => {
  it("is a version 7 UUID carrying the time given", () => {
    const at = Date.UTC(2026, 11, 6, 3, 0, 0, 123);
    const id = newTimeOrderedId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16)).toBe(at);
  });

  it("never repeats, across many refills of the pool, even within one millisecond", () => {
    const at = Date.now();
    const ids = Array.from({ length: 20_000 }, () => newTimeOrderedId(at));
    expect(new Set(ids).size).toBe(ids.length);
    // The random part is spread over every hex digit (not a counter, not a constant).
    const randomDigits = new Set(ids.flatMap((id) => [...id.slice(24)]));
    expect(randomDigits.size).toBe(16);
  });

  it("sorts by time", () => {
    const earlier = newTimeOrderedId(1_700_000_000_000);
    const later = newTimeOrderedId(1_700_000_000_001);
    expect(earlier < later).toBe(true);
  });
});
