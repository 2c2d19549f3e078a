import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LruMap } from "../../src/store/sql/prepared-query.js";

/** The obvious least-recently-used map: keys in use order, oldest first. */
class ModelLru {
  readonly order: string[] = [];
  readonly values = new Map<string, number>();
  constructor(private readonly limit: number) {}
  get(key: string): number | undefined {
    const value = this.values.get(key);
    if (value !== undefined) this.touch(key);
    return value;
  }
  set(key: string, value: number): void {
    this.values.set(key, value);
    this.touch(key);
    if (this.order.length > this.limit) this.values.delete(this.order.shift()!);
  }
  private touch(key: string): void {
    const at = this.order.indexOf(key);
    if (at !== -1) this.order.splice(at, 1);
    this.order.push(key);
  }
}

const operation = fc.oneof(
  fc.record({ op: fc.constant("get" as const), key: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ op: fc.constant("set" as const), key: fc.integer({ min: 0, max: 3 }), value: fc.integer() }),
);

describe("LruMap", () => {
  it("answers and evicts as a least-recently-used map, whatever the order of gets and sets", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.array(operation, { maxLength: 40 }), (limit, operations) => {
        const lru = new LruMap<number>(limit);
        const model = new ModelLru(limit);
        for (const step of operations) {
          // Keys built afresh each time, as callers build them: equal strings, not the same one.
          const key = `shape-${String(step.key)}`;
          if (step.op === "get") expect(lru.get(key)).toBe(model.get(key));
          else {
            lru.set(key, step.value);
            model.set(key, step.value);
          }
        }
        for (let key = 0; key <= 3; key++) expect(lru.get(`shape-${String(key)}`)).toBe(model.values.get(`shape-${String(key)}`));
      }),
      { numRuns: 2_000 },
    );
  });

  it("keeps the entry used last when a new one pushes the oldest out", () => {
    const lru = new LruMap<number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    expect(lru.get("a")).toBe(1);
    expect(lru.get("a")).toBe(1);
    lru.set("c", 3);
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBe(1);
    expect(lru.get("c")).toBe(3);
  });

  it("moves an entry used again after another was set", () => {
    const lru = new LruMap<number>(2);
    lru.set("x", 1);
    lru.set("y", 2);
    expect(lru.get("x")).toBe(1);
    lru.set("y", 3);
    expect(lru.get("x")).toBe(1);
    lru.set("z", 4);
    expect(lru.get("y")).toBeUndefined();
    expect(lru.get("x")).toBe(1);
  });
});
