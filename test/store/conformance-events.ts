import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NewEvent, Store } from "../../src/store/store.js";

function event(id: string, occurredAt: string, resourceId = "u1"): NewEvent {
  return { id, type: "user.updated", resourceType: "User", resourceId, occurredAt, data: JSON.stringify({ id }) };
}

/**
 * Conformance for the change-event feed (migration 0006). Every backend runs it unchanged;
 * `makeStore` returns a fresh, not yet migrated store.
 */
export function describeEventConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store conformance, events: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
      await store.migrate();
      await store.transaction(async (s) => {
        await s.createTenant({ id: "t1", slug: "acme", created: "2026-01-01T00:00:00.000Z" });
        await s.createTenant({ id: "t2", slug: "globex", created: "2026-01-01T00:00:00.000Z" });
      });
    });

    afterEach(async () => {
      await store.close();
    });

    it("appends events in order and reads them back per tenant after a sequence number", async () => {
      await store.transaction((s) => s.appendEvents("t1", [event("e1", "2026-01-01T00:00:01.000Z"), event("e2", "2026-01-01T00:00:02.000Z")]));
      await store.transaction((s) => s.appendEvents("t2", [event("x1", "2026-01-01T00:00:01.500Z")]));
      await store.transaction((s) => s.appendEvents("t1", [event("e3", "2026-01-01T00:00:03.000Z", "u2")]));
      await store.transaction(async (s) => {
        const all = await s.listEvents("t1", 0, 10);
        expect(all.map((e) => e.id)).toEqual(["e1", "e2", "e3"]);
        expect(all[2]).toMatchObject({ tenantId: "t1", type: "user.updated", resourceType: "User", resourceId: "u2", data: '{"id":"e3"}' });
        expect(all[0]!.seq).toBeLessThan(all[1]!.seq);
        expect((await s.listEvents("t1", all[0]!.seq, 1)).map((e) => e.id)).toEqual(["e2"]);
        expect(await s.listEvents("t1", all[2]!.seq, 10)).toEqual([]);
        expect((await s.listEvents("t2", 0, 10)).map((e) => e.id)).toEqual(["x1"]);
        expect(await s.eventBounds("t1")).toEqual({ last: all[2]!.seq, pruned: 0 });
        expect(await s.eventSeqBefore("t1", "2026-01-01T00:00:02.000Z")).toBe(all[0]!.seq);
        expect(await s.eventSeqBefore("t1", "2027-01-01T00:00:00.000Z")).toBe(all[2]!.seq);
      });
    });

    it("numbers each tenant's events 1, 2, 3… whatever other tenants write in between", async () => {
      await store.transaction((s) => s.appendEvents("t1", [event("a1", "2026-01-01T00:00:01.000Z"), event("a2", "2026-01-01T00:00:01.000Z")]));
      await store.transaction((s) => s.appendEvents("t2", [event("b1", "2026-01-01T00:00:02.000Z"), event("b2", "2026-01-01T00:00:02.000Z")]));
      await store.transaction((s) => s.appendEvents("t2", [event("b3", "2026-01-01T00:00:03.000Z")]));
      await store.transaction((s) => s.appendEvents("t1", [event("a3", "2026-01-01T00:00:04.000Z")]));
      const t1 = await store.transaction((s) => s.listEvents("t1", 0, 10));
      const t2 = await store.transaction((s) => s.listEvents("t2", 0, 10));
      expect(t1.map((e) => [e.id, e.seq])).toEqual([["a1", 1], ["a2", 2], ["a3", 3]]);
      expect(t2.map((e) => [e.id, e.seq])).toEqual([["b1", 1], ["b2", 2], ["b3", 3]]);
      expect(await store.transaction((s) => s.eventBounds("t1"))).toEqual({ last: 3, pruned: 0 });
    });

    it("leaves no gap in a tenant's numbers for a rolled-back transaction", async () => {
      await store.transaction((s) => s.appendEvents("t1", [event("kept1", "2026-01-01T00:00:01.000Z")]));
      await expect(
        store.transaction(async (s) => {
          await s.appendEvents("t1", [event("lost", "2026-01-01T00:00:02.000Z")]);
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      await store.transaction((s) => s.appendEvents("t1", [event("kept2", "2026-01-01T00:00:03.000Z")]));
      expect((await store.transaction((s) => s.listEvents("t1", 0, 10))).map((e) => [e.id, e.seq])).toEqual([["kept1", 1], ["kept2", 2]]);
    });

    it("gives concurrent writers of one tenant unique, gap-free numbers, each writer's together", async () => {
      const writers = 24;
      const commits: string[] = [];
      await Promise.all(
        Array.from({ length: writers }, (_, n) =>
          store
            .transaction(async (s) => {
              // Some writers fail after appending: their numbers are not lost.
              await s.appendEvents("t1", Array.from({ length: 1 + (n % 3) }, (_, i) => event(`w${n}-${i}`, "2026-01-01T00:00:01.000Z", `u${n}`)));
              if (n % 5 === 4) throw new Error(`writer ${n} fails`);
            })
            .then(
              () => commits.push(...Array.from({ length: 1 + (n % 3) }, (_, i) => `w${n}-${i}`)),
              () => undefined,
            ),
        ),
      );
      const listed = await store.transaction((s) => s.listEvents("t1", 0, 1000));
      expect(listed.map((e) => e.seq)).toEqual(Array.from({ length: listed.length }, (_, i) => i + 1));
      // Exactly the committed writers' events. Their order is not compared with the order the
      // commits were seen in here: on PostgreSQL each writer answers on its own connection, and
      // two COMMIT answers can be read in either order. Commit order itself is the next tests'.
      expect(listed.map((e) => e.id).sort()).toEqual([...commits].sort());
      expect(listed.some((e) => e.id.startsWith("w4-"))).toBe(false);
      // One writer's events are numbered together, in the order it appended them.
      for (let n = 0; n < writers; n += 1) {
        const own = listed.filter((e) => e.id.startsWith(`w${n}-`));
        expect(own.map((e) => e.id)).toEqual(own.map((_, i) => `w${n}-${i}`));
        expect(own.map((e) => e.seq)).toEqual(own.map((_, i) => (own[0]?.seq ?? 0) + i));
      }
    });

    it("keeps nothing of a rolled-back transaction", async () => {
      await expect(
        store.transaction(async (s) => {
          await s.appendEvents("t1", [event("e1", "2026-01-01T00:00:01.000Z")]);
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect(await store.transaction((s) => s.listEvents("t1", 0, 10))).toEqual([]);
    });

    it("numbers a tenant's events in commit order when writers overlap", async () => {
      let releaseFirst!: () => void;
      const held = new Promise<void>((resolve) => (releaseFirst = resolve));
      const commits: string[] = [];
      let firstAppended!: () => void;
      const appended = new Promise<void>((resolve) => (firstAppended = resolve));
      const first = store.transaction(async (s) => {
        await s.appendEvents("t1", [event("first", "2026-01-01T00:00:01.000Z")]);
        firstAppended();
        await held;
      }).then(() => commits.push("first"));
      await appended;
      const second = store.transaction((s) => s.appendEvents("t1", [event("second", "2026-01-01T00:00:02.000Z")])).then(() => commits.push("second"));
      setTimeout(releaseFirst, 100);
      await Promise.all([first, second]);
      const ids = (await store.transaction((s) => s.listEvents("t1", 0, 10))).map((e) => e.id);
      expect(ids).toEqual(commits);
    });

    it("prunes old events, never one a pending delivery needs, and marks the feed as pruned up to there", async () => {
      await store.transaction((s) =>
        s.appendEvents("t1", [event("e1", "2026-01-01T00:00:01.000Z"), event("e2", "2026-01-01T00:00:02.000Z"), event("e3", "2026-01-02T00:00:00.000Z")]),
      );
      const [e1, e2, e3] = await store.transaction((s) => s.listEvents("t1", 0, 10));
      expect(await store.transaction((s) => s.pruneEvents("t1", "2026-01-01T00:00:01.500Z"))).toBe(1);
      expect(await store.transaction((s) => s.eventBounds("t1"))).toEqual({ last: e3!.seq, pruned: e1!.seq });
      expect((await store.transaction((s) => s.listEvents("t1", 0, 10))).map((e) => e.id)).toEqual(["e2", "e3"]);
      // Pruning everything leaves the bounds where they were: a new cursor starts after e3.
      expect(await store.transaction((s) => s.pruneEvents("t1", "2027-01-01T00:00:00.000Z"))).toBe(2);
      expect(await store.transaction((s) => s.eventBounds("t1"))).toEqual({ last: e3!.seq, pruned: e3!.seq });
      expect(e2!.seq).toBeGreaterThan(e1!.seq);
      // The next event follows the removed ones: a number is never handed out twice.
      await store.transaction((s) => s.appendEvents("t1", [event("e4", "2027-01-02T00:00:00.000Z")]));
      expect((await store.transaction((s) => s.listEvents("t1", e3!.seq, 10))).map((e) => [e.id, e.seq])).toEqual([["e4", e3!.seq + 1]]);
      // Another tenant's feed is untouched.
      expect(await store.transaction((s) => s.pruneEvents("t2", "2027-01-01T00:00:00.000Z"))).toBe(0);
    });
  });
}
