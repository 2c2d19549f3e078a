import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventTypeMatches } from "../../src/events/patterns.js";
import type { ClaimedDelivery, NewEvent, NewWebhook, Store, StoreSession } from "../../src/store/store.js";

const T0 = "2026-01-01T00:00:00.000Z";
const T1 = "2026-01-01T00:01:00.000Z";
const T2 = "2026-01-01T00:02:00.000Z";
const T3 = "2026-01-01T00:03:00.000Z";
const LATER = "2026-01-02T00:00:00.000Z";

function event(id: string, type: string, resourceId: string): NewEvent {
  const resourceType = type.startsWith("group.") ? "Group" : "User";
  return { id, type, resourceType, resourceId, occurredAt: T0, data: JSON.stringify({ id, type, resource: { type: resourceType, id: resourceId } }) };
}

function webhook(id: string, tenantId: string, events: readonly string[], cursorSeq = 0): NewWebhook {
  return { id, tenantId, url: `https://hooks.example.com/${id}`, events, sealedSecret: `sealed-${id}`, cursorSeq };
}

const fanOut = (s: StoreSession, at = T0) => s.fanOutDeliveries({ webhooks: 100, events: 1000, at, matches: eventTypeMatches });
const claim = (s: StoreSession, at = T1, limit = 100, leaseUntil = LATER) => s.claimDeliveries({ limit, at, leaseUntil });
/** Whether `promise` settles within `ms` (a bound on waiting, not a measurement). */
async function finishesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = await Promise.race([promise.then(() => true, () => true), timeout]);
  clearTimeout(timer);
  return settled;
}

const eventIds = (claimed: readonly ClaimedDelivery[]) => claimed.map((c) => c.delivery.eventId);

/**
 * Conformance for webhooks and deliveries (migrations 0006 and 0007): fan-out, claims with
 * leases and per-resource order, outcomes, listing and replay. Every backend runs it
 * unchanged; `makeStore` returns a fresh, not yet migrated store.
 */
export function describeWebhookConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store conformance, webhooks: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
      await store.migrate();
      await store.transaction(async (s) => {
        await s.createTenant({ id: "t1", slug: "acme", created: T0 });
        await s.createTenant({ id: "t2", slug: "globex", created: T0 });
      });
    });

    afterEach(async () => {
      await store.close();
    });

    describe("webhooks", () => {
      it("stores a webhook and reads it back by id, per tenant and among the sealed secrets", async () => {
        const created = await store.transaction((s) => s.insertWebhook(webhook("w1", "t1", ["user.*", "group.deleted"], 7), T0));
        await store.transaction((s) => s.insertWebhook(webhook("w2", "t2", ["*"]), T1));
        const expected = { id: "w1", tenantId: "t1", url: "https://hooks.example.com/w1", events: ["user.*", "group.deleted"], enabled: true, cursorSeq: 7, created: T0, updated: T0 };
        expect(created).toEqual(expected);
        await store.transaction(async (s) => {
          expect(await s.findWebhook("w1")).toEqual(expected);
          expect(await s.findWebhook("nope")).toBeUndefined();
          expect(await s.listWebhooks("t1")).toEqual([expected]);
          expect((await s.listWebhooks("t2")).map((w) => w.id)).toEqual(["w2"]);
          expect(await s.listWebhookSecrets()).toEqual([
            { webhookId: "w1", tenantId: "t1", sealedSecret: "sealed-w1" },
            { webhookId: "w2", tenantId: "t2", sealedSecret: "sealed-w2" },
          ]);
        });
      });

      it("disables and enables a webhook, moving its cursor when told, and deletes it with its deliveries", async () => {
        await store.transaction((s) => s.insertWebhook(webhook("w1", "t1", ["*"]), T0));
        expect(await store.transaction((s) => s.updateWebhook("w1", { enabled: false }, T1))).toBe(true);
        expect(await store.transaction((s) => s.findWebhook("w1"))).toMatchObject({ enabled: false, cursorSeq: 0, updated: T1 });
        expect(await store.transaction((s) => s.updateWebhook("w1", { enabled: true, cursorSeq: 5 }, T2))).toBe(true);
        expect(await store.transaction((s) => s.findWebhook("w1"))).toMatchObject({ enabled: true, cursorSeq: 5, updated: T2 });
        expect(await store.transaction((s) => s.updateWebhook("nope", { enabled: true }, T2))).toBe(false);

        await store.transaction((s) => s.appendEvents("t1", [event("e1", "user.created", "u1")]));
        await store.transaction((s) => s.updateWebhook("w1", { enabled: true, cursorSeq: 0 }, T2));
        await store.transaction((s) => fanOut(s));
        expect(await store.transaction((s) => s.listDeliveries("w1", { limit: 10 }))).toHaveLength(1);
        expect(await store.transaction((s) => s.deleteWebhook("w1"))).toBe(true);
        expect(await store.transaction((s) => s.deleteWebhook("w1"))).toBe(false);
        expect(await store.transaction((s) => s.listDeliveries("w1", { limit: 10 }))).toEqual([]);
      });
    });

    describe("fan-out", () => {
      it("makes a pending delivery per matching event after the cursor and moves the cursor past every event read", async () => {
        await store.transaction(async (s) => {
          await s.appendEvents("t1", [event("old", "user.created", "u0")]);
        });
        const { last } = await store.transaction((s) => s.eventBounds("t1"));
        await store.transaction(async (s) => {
          await s.insertWebhook(webhook("users", "t1", ["user.*"], last), T0);
          await s.insertWebhook(webhook("deletes", "t1", ["group.deleted", "user.deleted"], last), T0);
          await s.insertWebhook(webhook("other-tenant", "t2", ["*"]), T0);
        });
        await store.transaction((s) =>
          s.appendEvents("t1", [event("e1", "user.created", "u1"), event("e2", "group.created", "g1"), event("e3", "user.deleted", "u1"), event("e4", "group.deleted", "g1")]),
        );
        expect(await store.transaction((s) => fanOut(s))).toEqual({ webhooks: 2, deliveries: 4 });
        expect(await store.transaction((s) => fanOut(s))).toEqual({ webhooks: 0, deliveries: 0 });

        const users = await store.transaction((s) => s.listDeliveries("users", { limit: 10 }));
        expect(users.map((d) => d.eventId)).toEqual(["e3", "e1"]);
        expect(users[1]).toEqual({
          seq: expect.any(Number),
          id: expect.any(String),
          webhookId: "users",
          tenantId: "t1",
          eventSeq: last + 1,
          eventId: "e1",
          eventType: "user.created",
          resourceKey: "User:u1",
          status: "pending",
          attempts: 0,
          nextAttemptAt: T0,
          leaseUntil: null,
          lastAttemptAt: null,
          lastStatus: null,
          lastError: null,
          created: T0,
          completed: null,
        });
        expect((await store.transaction((s) => s.listDeliveries("deletes", { limit: 10 }))).map((d) => d.eventId)).toEqual(["e4", "e3"]);
        expect(await store.transaction((s) => s.listDeliveries("other-tenant", { limit: 10 }))).toEqual([]);
        const bounds = await store.transaction((s) => s.eventBounds("t1"));
        expect((await store.transaction((s) => s.findWebhook("users")))?.cursorSeq).toBe(bounds.last);
        expect((await store.transaction((s) => s.findWebhook("other-tenant")))?.cursorSeq).toBe(0);
      });

      it("reads at most `events` events per webhook per call and continues from the cursor", async () => {
        await store.transaction((s) => s.insertWebhook(webhook("w1", "t1", ["*"]), T0));
        await store.transaction((s) => s.appendEvents("t1", ["a", "b", "c", "d", "e"].map((id) => event(id, "user.updated", "u1"))));
        const step = (s: StoreSession) => s.fanOutDeliveries({ webhooks: 10, events: 2, at: T0, matches: eventTypeMatches });
        expect(await store.transaction(step)).toEqual({ webhooks: 1, deliveries: 2 });
        expect(await store.transaction(step)).toEqual({ webhooks: 1, deliveries: 2 });
        expect(await store.transaction(step)).toEqual({ webhooks: 1, deliveries: 1 });
        expect(await store.transaction(step)).toEqual({ webhooks: 0, deliveries: 0 });
        const ids = (await store.transaction((s) => s.listDeliveries("w1", { limit: 10 }))).map((d) => d.eventId);
        expect(ids).toEqual(["e", "d", "c", "b", "a"]);
      });

      it("leaves a disabled webhook's cursor where it is", async () => {
        await store.transaction(async (s) => {
          await s.insertWebhook(webhook("w1", "t1", ["*"]), T0);
          await s.updateWebhook("w1", { enabled: false }, T0);
          await s.appendEvents("t1", [event("e1", "user.created", "u1")]);
        });
        expect(await store.transaction((s) => fanOut(s))).toEqual({ webhooks: 0, deliveries: 0 });
        expect((await store.transaction((s) => s.findWebhook("w1")))?.cursorSeq).toBe(0);
      });

      it("lets two overlapping fan-outs share the webhooks without making any delivery twice", async () => {
        await store.transaction(async (s) => {
          for (const id of ["w1", "w2", "w3"]) await s.insertWebhook(webhook(id, "t1", ["*"]), T0);
          await s.appendEvents("t1", [event("e1", "user.created", "u1"), event("e2", "user.created", "u2")]);
        });
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let firstLocked!: () => void;
        const locked = new Promise<void>((resolve) => (firstLocked = resolve));
        const first = store.transaction(async (s) => {
          const result = await s.fanOutDeliveries({ webhooks: 1, events: 10, at: T0, matches: eventTypeMatches });
          firstLocked();
          await released;
          return result;
        });
        await locked;
        // PostgreSQL: the second skips the locked webhook and finishes while the first holds it.
        // SQLite: transactions serialise, so the second runs once the first commits.
        const second = store.transaction((s) => fanOut(s));
        if (store.dialect === "postgres") expect(await finishesWithin(second, 10_000)).toBe(true);
        release();
        const [firstResult, secondResult] = await Promise.all([first, second]);
        expect(firstResult).toEqual({ webhooks: 1, deliveries: 2 });
        expect(secondResult).toEqual({ webhooks: 2, deliveries: 4 });
        for (const id of ["w1", "w2", "w3"]) {
          const deliveries = await store.transaction((s) => s.listDeliveries(id, { limit: 10 }));
          expect(deliveries.map((d) => d.eventId).sort(), id).toEqual(["e1", "e2"]);
        }
      });
    });

    describe("claims", () => {
      beforeEach(async () => {
        await store.transaction(async (s) => {
          await s.insertWebhook(webhook("w1", "t1", ["*"]), T0);
          await s.appendEvents("t1", [
            event("u1-a", "user.created", "u1"),
            event("u2-a", "user.created", "u2"),
            event("u1-b", "user.updated", "u1"),
            event("g1-a", "group.created", "g1"),
            event("u1-c", "user.deactivated", "u1"),
          ]);
          await fanOut(s);
        });
      });

      it("claims the first pending delivery of each resource, with its webhook and event, leased and counted", async () => {
        const claimed = await store.transaction((s) => claim(s));
        expect(eventIds(claimed)).toEqual(["u1-a", "u2-a", "g1-a"]);
        const first = claimed[0]!;
        expect(first.url).toBe("https://hooks.example.com/w1");
        expect(first.sealedSecret).toBe("sealed-w1");
        expect(first.event).toEqual({ id: "u1-a", data: JSON.stringify({ id: "u1-a", type: "user.created", resource: { type: "User", id: "u1" } }) });
        expect(first.delivery).toMatchObject({ status: "pending", attempts: 1, leaseUntil: LATER, lastAttemptAt: T1, resourceKey: "User:u1" });
        // Leased: nothing more is due until an outcome is recorded or the lease expires.
        expect(await store.transaction((s) => claim(s))).toEqual([]);
      });

      it("holds a resource's next delivery until the earlier one succeeds or fails, whatever its due time", async () => {
        const [u1a, u2a] = await store.transaction((s) => claim(s, T1, 2));
        expect(eventIds([u1a!, u2a!])).toEqual(["u1-a", "u2-a"]);
        const retry = { status: "pending", attempt: 1, at: T1, nextAttemptAt: T3, httpStatus: 500, error: "HTTP 500" } as const;
        expect(await store.transaction((s) => s.recordDeliveryOutcome({ ...retry, id: u1a!.delivery.id }))).toBe(true);
        // u1-a waits for T3: u1-b is behind it, so only g1-a is due.
        expect(eventIds(await store.transaction((s) => claim(s, T2)))).toEqual(["g1-a"]);
        expect(eventIds(await store.transaction((s) => claim(s, T3)))).toEqual(["u1-a"]);
        const fail = { status: "failed", id: u1a!.delivery.id, attempt: 2, at: T3, httpStatus: null, error: "connection refused" } as const;
        expect(await store.transaction((s) => s.recordDeliveryOutcome(fail))).toBe(true);
        expect(eventIds(await store.transaction((s) => claim(s, T3)))).toEqual(["u1-b"]);
      });

      it("claims a delivery again once its lease has expired, as another attempt, and ignores the stale claim's outcome", async () => {
        const [first] = await store.transaction((s) => claim(s, T1, 1, T2));
        expect(first?.delivery.attempts).toBe(1);
        expect(await store.transaction((s) => claim(s, "2026-01-01T00:01:59.999Z", 1))).toHaveLength(1); // u2-a
        const [again] = await store.transaction((s) => claim(s, T2, 1, T3));
        expect(again?.delivery).toMatchObject({ id: first?.delivery.id, attempts: 2, leaseUntil: T3 });
        const late = { status: "succeeded", id: first!.delivery.id, attempt: 1, at: T2, httpStatus: 200 } as const;
        expect(await store.transaction((s) => s.recordDeliveryOutcome(late))).toBe(false);
        expect(await store.transaction((s) => s.recordDeliveryOutcome({ ...late, attempt: 2 }))).toBe(true);
        const [stored] = await store.transaction((s) => s.listDeliveries("w1", { limit: 1, status: "succeeded" }));
        expect(stored).toMatchObject({ id: first?.delivery.id, status: "succeeded", attempts: 2, leaseUntil: null, lastStatus: 200, lastError: null, completed: T2 });
      });

      it("does not claim the deliveries of a disabled webhook", async () => {
        await store.transaction((s) => s.updateWebhook("w1", { enabled: false }, T1));
        expect(await store.transaction((s) => claim(s))).toEqual([]);
        await store.transaction((s) => s.updateWebhook("w1", { enabled: true }, T1));
        expect(await store.transaction((s) => claim(s))).toHaveLength(3);
      });

      it("records retries and failures with the receiver's status and error", async () => {
        const [u1a] = await store.transaction((s) => claim(s, T1, 1));
        const id = u1a!.delivery.id;
        await store.transaction((s) =>
          s.recordDeliveryOutcome({ status: "pending", id, attempt: 1, at: T1, nextAttemptAt: T2, httpStatus: 503, error: "HTTP 503: busy" }),
        );
        expect((await store.transaction((s) => s.listDeliveries("w1", { limit: 10, status: "pending" }))).find((d) => d.id === id)).toMatchObject({
          status: "pending",
          attempts: 1,
          nextAttemptAt: T2,
          leaseUntil: null,
          lastStatus: 503,
          lastError: "HTTP 503: busy",
          completed: null,
        });
        const again = await store.transaction((s) => claim(s, T2, 10, T3));
        expect(eventIds(again)).toEqual(["u1-a", "u2-a", "g1-a"]);
        expect(again[0]?.delivery).toMatchObject({ id, attempts: 2 });
        await store.transaction((s) => s.recordDeliveryOutcome({ status: "failed", id, attempt: 2, at: T2, httpStatus: null, error: "timed out after 10000 ms" }));
        const failed = await store.transaction((s) => s.listDeliveries("w1", { limit: 10, status: "failed" }));
        expect(failed).toEqual([expect.objectContaining({ id, status: "failed", attempts: 2, lastStatus: null, lastError: "timed out after 10000 ms", completed: T2 })]);
        // A finished delivery takes no further outcome.
        expect(await store.transaction((s) => s.recordDeliveryOutcome({ status: "succeeded", id, attempt: 2, at: T3, httpStatus: 200 }))).toBe(false);
      });

      it("lists deliveries newest first, by status, and pages with `before`", async () => {
        const all = await store.transaction((s) => s.listDeliveries("w1", { limit: 10 }));
        expect(all.map((d) => d.eventId)).toEqual(["u1-c", "g1-a", "u1-b", "u2-a", "u1-a"]);
        const page = await store.transaction((s) => s.listDeliveries("w1", { limit: 2, before: all[1]!.seq }));
        expect(page.map((d) => d.eventId)).toEqual(["u1-b", "u2-a"]);
        expect(await store.transaction((s) => s.listDeliveries("w1", { limit: 10, status: "succeeded" }))).toEqual([]);
      });

      it("gives two overlapping claims disjoint deliveries", async () => {
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let firstClaimed!: () => void;
        const claimedOnce = new Promise<void>((resolve) => (firstClaimed = resolve));
        const first = store.transaction(async (s) => {
          const claimed = await claim(s, T1, 2);
          firstClaimed();
          await released;
          return claimed;
        });
        await claimedOnce;
        // PostgreSQL: the second skips the rows the first holds and returns without waiting;
        // SQLite: it runs after the first commits and sees their leases.
        const second = store.transaction((s) => claim(s, T1, 10));
        if (store.dialect === "postgres") expect(await finishesWithin(second, 10_000)).toBe(true);
        release();
        const [firstResult, secondClaimed] = await Promise.all([first, second]);
        const firstIds = eventIds(firstResult);
        expect(firstIds).toEqual(["u1-a", "u2-a"]);
        expect(eventIds(secondClaimed)).toEqual(["g1-a"]);
      });
    });

    it("prunes finished deliveries completed before a time, never a pending one, of one tenant only", async () => {
      await store.transaction(async (s) => {
        await s.insertWebhook(webhook("w1", "t1", ["*"]), T0);
        await s.insertWebhook(webhook("w2", "t2", ["*"]), T0);
        await s.appendEvents("t1", [event("a", "user.created", "u1"), event("b", "user.created", "u2"), event("c", "user.created", "u3")]);
        await s.appendEvents("t2", [event("x", "user.created", "u1")]);
        await fanOut(s);
      });
      const claimed = await store.transaction((s) => claim(s, T0));
      const outcome = (eventId: string, status: "succeeded" | "failed", at: string) => {
        const c = claimed.find((d) => d.delivery.eventId === eventId)!;
        return status === "succeeded"
          ? ({ status, id: c.delivery.id, attempt: 1, at, httpStatus: 200 } as const)
          : ({ status, id: c.delivery.id, attempt: 1, at, httpStatus: 500, error: "HTTP 500" } as const);
      };
      await store.transaction(async (s) => {
        await s.recordDeliveryOutcome(outcome("a", "succeeded", T0));
        await s.recordDeliveryOutcome(outcome("b", "failed", T2));
        await s.recordDeliveryOutcome(outcome("x", "succeeded", T0));
      });
      expect(await store.transaction((s) => s.pruneDeliveries("t1", T1))).toBe(1);
      expect((await store.transaction((s) => s.listDeliveries("w1", { limit: 10 }))).map((d) => d.eventId)).toEqual(["c", "b"]);
      expect(await store.transaction((s) => s.pruneDeliveries("t1", LATER))).toBe(1);
      expect((await store.transaction((s) => s.listDeliveries("w1", { limit: 10 }))).map((d) => d.eventId)).toEqual(["c"]);
      expect(await store.transaction((s) => s.listDeliveries("w2", { limit: 10 }))).toHaveLength(1);
    });

    describe("hasDeliveryWork", () => {
      it("is true exactly while fan-out or a claim would find something", async () => {
        const work = (at: string) => store.read((s) => s.hasDeliveryWork(at));
        expect(await work(T1)).toBe(false);
        await store.transaction(async (s) => {
          await s.insertWebhook(webhook("w1", "t1", ["user.*"]), T0);
          await s.appendEvents("t1", [event("g", "group.created", "g1")]);
        });
        expect(await work(T1)).toBe(true);
        await store.transaction((s) => fanOut(s));
        // Fan-out moved the cursor past an event no pattern matched: nothing to do.
        expect(await work(T1)).toBe(false);
        await store.transaction(async (s) => {
          await s.appendEvents("t1", [event("a", "user.created", "u1"), event("b", "user.updated", "u1")]);
          await fanOut(s);
        });
        expect(await work(T1)).toBe(true);
        const [a] = await store.transaction((s) => claim(s, T1, 10, T2));
        // a is leased until T2 and b is behind it.
        expect(await work(T1)).toBe(false);
        expect(await work(T2)).toBe(true);
        await store.transaction((s) => s.recordDeliveryOutcome({ status: "pending", id: a!.delivery.id, attempt: 1, at: T1, nextAttemptAt: T3, httpStatus: 500, error: "HTTP 500" }));
        expect(await work(T2)).toBe(false);
        expect(await work(T3)).toBe(true);
        await store.transaction((s) => s.updateWebhook("w1", { enabled: false }, T1));
        expect(await work(T3)).toBe(false);
      });
    });

    describe("replay", () => {
      it("makes new deliveries for the matching events after a sequence number, up to the cursor, one replay pending at a time", async () => {
        await store.transaction(async (s) => {
          await s.insertWebhook(webhook("w1", "t1", ["user.*"]), T0);
          await s.appendEvents("t1", [event("e1", "user.created", "u1"), event("e2", "group.created", "g1"), event("e3", "user.updated", "u1")]);
          await fanOut(s);
          await s.appendEvents("t1", [event("e4", "user.deleted", "u1")]);
        });
        const [e1, , e3] = await store.transaction((s) => s.listEvents("t1", 0, 3));
        const replay = (id: string, after: number, limit = 100) => store.transaction((s) => s.replayDeliveries(id, after, T1, eventTypeMatches, limit));
        expect(await replay("w1", e1!.seq)).toEqual({ ok: true, deliveries: 1, through: e3!.seq, complete: true });
        // A second replay is refused while the first one's delivery is pending, and allowed once it is sent.
        expect(await replay("w1", 0)).toEqual({ ok: false, pending: 1 });
        for (let round = 0; round < 3; round += 1) {
          for (const claimed of await store.transaction((s) => claim(s, T1, 10, T2))) {
            await store.transaction((s) => s.recordDeliveryOutcome({ status: "succeeded", id: claimed.delivery.id, attempt: 1, at: T1, httpStatus: 200 }));
          }
        }
        expect(await store.transaction((s) => s.listDeliveries("w1", { status: "pending", limit: 10 }))).toEqual([]);
        expect(await replay("w1", 0)).toEqual({ ok: true, deliveries: 2, through: e3!.seq, complete: true });
        expect(await replay("nope", 0)).toEqual({ ok: true, deliveries: 0, through: 0, complete: true });
        const deliveries = await store.transaction((s) => s.listDeliveries("w1", { limit: 10 }));
        expect(deliveries.map((d) => `${d.eventId}@${d.created}`)).toEqual(["e3@" + T1, "e1@" + T1, "e3@" + T1, "e3@" + T0, "e1@" + T0]);
        // e4 is after the cursor: fan-out, not replay, makes its delivery.
        expect(await store.transaction((s) => fanOut(s))).toEqual({ webhooks: 1, deliveries: 1 });
      });

      it("stops at the limit, at the last event it made a delivery for", async () => {
        await store.transaction(async (s) => {
          await s.insertWebhook(webhook("w2", "t1", ["*"]), T0);
          await s.appendEvents("t1", [event("f1", "user.created", "u1"), event("f2", "group.created", "g1"), event("f3", "user.updated", "u2")]);
          await fanOut(s);
        });
        const [, f2] = await store.transaction((s) => s.listEvents("t1", 0, 3));
        expect(await store.transaction((s) => s.replayDeliveries("w2", 0, T1, eventTypeMatches, 2))).toEqual({ ok: true, deliveries: 2, through: f2!.seq, complete: false });
        expect((await store.transaction((s) => s.listDeliveries("w2", { limit: 10 }))).map((d) => `${d.eventId}@${d.created}`)).toEqual([
          "f2@" + T1,
          "f1@" + T1,
          "f3@" + T0,
          "f2@" + T0,
          "f1@" + T0,
        ]);
      });
    });
  });
}
