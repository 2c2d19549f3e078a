import { describe, expect, it } from "vitest";
import { SQLITE_DIALECT } from "../../src/store/sql/dialect-sqlite.js";
import { ListMemo } from "../../src/store/sql/query-resources.js";

// Where an index page resumes: the nearest position a page of the same query ended on, under
// the same data version (query-resources.ts). Several processes each remember the pages they
// served; a page after one another process served starts one page back.

describe("ListMemo positions", () => {
  it("finds the nearest remembered position at or before the one asked, under the same version only", () => {
    const memo = new ListMemo(SQLITE_DIALECT);
    expect(memo.floor("q", 100, "v1")).toBeUndefined();
    memo.rememberPosition("q", 200, "v1", "id200");
    memo.rememberPosition("q", 100, "v1", "id100");
    memo.rememberPosition("q", 400, "v1", "id400");
    expect(memo.floor("q", 99, "v1")).toBeUndefined();
    expect(memo.floor("q", 100, "v1")).toEqual({ position: 100, id: "id100" });
    expect(memo.floor("q", 300, "v1")).toEqual({ position: 200, id: "id200" });
    expect(memo.floor("q", 10_000, "v1")).toEqual({ position: 400, id: "id400" });
    expect(memo.floor("q", 300, "v2"), "another version").toBeUndefined();
    expect(memo.floor("other", 300, "v1"), "another query").toBeUndefined();
    // A position remembered under a new version replaces everything remembered before it.
    memo.rememberPosition("q", 500, "v2", "id500");
    expect(memo.floor("q", 450, "v1")).toBeUndefined();
    expect(memo.floor("q", 450, "v2")).toBeUndefined();
    expect(memo.floor("q", 500, "v2")).toEqual({ position: 500, id: "id500" });
  });

  it("stays bounded for a long import and keeps its furthest positions", () => {
    const memo = new ListMemo(SQLITE_DIALECT);
    const pages = 10_000;
    for (let page = 1; page <= pages; page++) memo.rememberPosition("import", page * 100, "v", `id${page * 100}`);
    // The furthest page is always there, so the next page resumes exactly.
    expect(memo.floor("import", pages * 100, "v")).toEqual({ position: pages * 100, id: `id${pages * 100}` });
    // Any earlier page resumes from a position at or before it (never after it); the last
    // thousand pages from at most one page back, older ones from further back.
    for (const asked of [150, 5_000, 123_456, 900_050, 950_000, 999_901]) {
      const found = memo.floor("import", asked, "v");
      if (found === undefined) continue;
      expect(found.position, String(asked)).toBeLessThanOrEqual(asked);
      expect(found.id).toBe(`id${found.position}`);
      if (asked > (pages - 1_000) * 100) expect(asked - found.position, String(asked)).toBeLessThan(200);
    }
    expect(memo.floor("import", 123_456, "v"), "an old page still finds a position").toBeDefined();
    // Each position is kept once however often it is remembered.
    memo.rememberPosition("import", pages * 100, "v", `id${pages * 100}`);
    expect(memo.floor("import", pages * 100 + 50, "v")).toEqual({ position: pages * 100, id: `id${pages * 100}` });
  });
});
