import { describe, expect, it } from "vitest";
import { powerOfTwoRuns } from "../../src/store/sql/prepared-query.js";

// Multi-row INSERTs (request log, emails, change events) are prepared once per run length:
// the runs are powers of two no longer than the maximum, so few shapes cover any count.

describe("powerOfTwoRuns", () => {
  it("splits any number of rows into power-of-two runs, largest first, in order", () => {
    const items = Array.from({ length: 155 }, (_, i) => i);
    const runs = [...powerOfTwoRuns(items, 64)];
    expect(runs.map((run) => run.length)).toEqual([64, 64, 16, 8, 2, 1]);
    expect(runs.flat()).toEqual(items);
  });

  it("gives one run for a count that is itself a power of two, and none for no rows", () => {
    expect([...powerOfTwoRuns([1, 2, 3, 4], 256)].map((run) => run.length)).toEqual([4]);
    expect([...powerOfTwoRuns(["a"], 256)]).toEqual([["a"]]);
    expect([...powerOfTwoRuns([], 256)]).toEqual([]);
  });

  it("uses at most log2(max) + 1 distinct lengths for every count up to a thousand", () => {
    const lengths = new Set<number>();
    for (let count = 1; count <= 1_000; count++) {
      for (const run of powerOfTwoRuns(Array.from({ length: count }), 256)) lengths.add(run.length);
    }
    expect([...lengths].sort((a, b) => a - b)).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256]);
  });
});
