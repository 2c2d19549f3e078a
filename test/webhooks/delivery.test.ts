import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Dispatcher, startDispatcher } from "../../src/events/dispatcher.js";
import type { DispatcherSettings } from "../../src/events/dispatcher-settings.js";
import { EVENT_TYPES } from "../../src/events/event-types.js";
import type { SecretKey } from "../../src/events/secret-box.js";
import { type CreatedWebhook, createWebhook, listWebhookDeliveries, replayWebhook, setWebhookEnabled } from "../../src/events/webhooks.js";
import type { Tenant } from "../../src/store/store.js";
import { startTestRoster, type TestRoster } from "../helpers/roster.js";
import { startReceiver, type Receiver } from "./receiver.js";
import { appendTestEvents, eventually, fastSettings, LOOPBACK_RECEIVERS, newKey, type TestEventSpec } from "./support.js";

// The dispatcher of one process against a real HTTP receiver on 127.0.0.1, on SQLite and on
// PostgreSQL (ROSTER_TEST_DATABASE). Events are appended as a directory write would append them.

let roster: TestRoster;
let tenant: Tenant;
let receiver: Receiver;
let key: SecretKey;
let dispatchers: Dispatcher[] = [];

beforeEach(async () => {
  roster = await startTestRoster();
  tenant = (await roster.addTenant("acme")).tenant;
  receiver = await startReceiver();
  key = newKey();
});

afterEach(async () => {
  await Promise.all(dispatchers.map((dispatcher) => dispatcher.close()));
  dispatchers = [];
  await receiver.close();
  await roster.close();
});

function dispatch(settings: Partial<DispatcherSettings> = {}): Dispatcher {
  const dispatcher = startDispatcher({ store: roster.store, key, settings: fastSettings(settings) });
  dispatchers.push(dispatcher);
  return dispatcher;
}

function webhook(path = "/hook", events?: readonly string[]): Promise<CreatedWebhook> {
  return createWebhook(roster.store, tenant, "cli", { url: `${receiver.url}${path}`, ...(events === undefined ? {} : { events }) }, key, LOOPBACK_RECEIVERS);
}

const append = (specs: readonly TestEventSpec[]) => appendTestEvents(roster.store, tenant, specs);

const deliveries = (id: string, status?: "pending" | "succeeded" | "failed") =>
  listWebhookDeliveries(roster.store, tenant, id, { limit: 1000, ...(status === undefined ? {} : { status }) }).then((page) => page.data);

describe("webhook delivery", () => {
  it("signs every delivery so that the standardwebhooks library verifies it, with the stored event as the body", async () => {
    const created = await webhook();
    const events = await append([
      { type: "user.created", resourceId: "u1" },
      { type: "group.member_added", resourceId: "g1", data: { group: { id: "g1" }, members: [{ id: "u1", type: "User", display: "Dána ✓" }] } },
      { type: "role.granted", resourceId: "u1", data: { user: { id: "u1" }, role: "Mechanic" } },
    ]);
    dispatch();
    await receiver.waitFor("3 accepted deliveries", () => receiver.accepted().length === 3);
    const verifier = new Webhook(created.secret);
    expect(receiver.accepted().map((r) => r.id).sort()).toEqual(events.map((e) => e.id).sort());
    for (const request of receiver.accepted()) {
      const event = events.find((candidate) => candidate.id === request.id);
      expect(request.headers["content-type"]).toBe("application/json");
      expect(request.headers["webhook-timestamp"]).toMatch(/^\d{10}$/);
      expect(request.body).toBe(event?.data);
      expect(verifier.verify(request.body, request.headers)).toEqual(JSON.parse(event?.data ?? ""));
    }
    const stored = await eventually("3 succeeded deliveries", () => deliveries(created.id, "succeeded"), (d) => d.length === 3);
    expect(stored.map((d) => d.eventId)).toEqual(events.map((e) => e.id).reverse());
    expect(stored[0]).toMatchObject({ status: "succeeded", attempts: 1, lastStatus: 200, lastError: null, nextAttemptAt: null, completedAt: expect.any(String) });
  });

  it("delivers every event to a receiver that answers 500, 500, then times out, then recovers: in order per resource, with one webhook-id per event", async () => {
    const created = await webhook();
    const specs: TestEventSpec[] = [
      { type: "user.created", resourceId: "u1" },
      { type: "user.created", resourceId: "u2" },
      { type: "user.updated", resourceId: "u1" },
      { type: "group.created", resourceId: "g1" },
      { type: "user.updated", resourceId: "u2" },
      { type: "group.member_added", resourceId: "g1" },
      { type: "user.deactivated", resourceId: "u1" },
      { type: "user.deleted", resourceId: "u2" },
    ];
    const events = [...(await append(specs.slice(0, 4))), ...(await append(specs.slice(4)))];
    const failing = events[0]!.id;
    receiver.behave((request) => {
      if (request.id !== failing || request.attempt > 3) return { status: 200 };
      return request.attempt === 3 ? { hold: true } : { status: 500 };
    });
    dispatch({ timeoutMs: 800, leaseMs: 5000 });
    await receiver.waitFor("every event accepted", () => receiver.accepted().length === events.length);

    const attempts = receiver.requests.filter((request) => request.id === failing);
    expect(attempts.map((request) => request.answer).slice(0, 4)).toEqual([500, 500, "unanswered", 200]);
    expect(new Set(attempts.map((request) => JSON.parse(request.body).id))).toEqual(new Set([failing]));
    for (const request of receiver.requests) expect(request.id).toBe(JSON.parse(request.body).id);

    const order = (resource: string) => receiver.accepted().filter((r) => r.resource === resource).map((r) => r.id);
    for (const resource of ["User:u1", "User:u2", "Group:g1"]) {
      expect(order(resource), resource).toEqual(events.filter((e) => `${e.resourceType}:${e.resourceId}` === resource).map((e) => e.id));
    }
    // u1's later events were not even sent before its first one was accepted.
    const firstAccepted = receiver.accepted().find((r) => r.id === failing)!.index;
    expect(receiver.requests.filter((r) => r.resource === "User:u1" && r.id !== failing).every((r) => r.index > firstAccepted)).toBe(true);
    expect(receiver.overlaps).toEqual([]);

    const stored = await eventually("every delivery succeeded", () => deliveries(created.id, "succeeded"), (d) => d.length === events.length);
    expect(stored.find((d) => d.eventId === failing)).toMatchObject({ attempts: attempts.length, lastStatus: 200 });
  });

  it("keeps delivering other resources while one resource's delivery keeps failing", async () => {
    const created = await webhook();
    const [stuck, ...others] = await append([
      { type: "user.created", resourceId: "stuck" },
      { type: "user.created", resourceId: "u2" },
      { type: "user.created", resourceId: "u3" },
      { type: "user.updated", resourceId: "stuck" },
    ]);
    receiver.behave((request) => (request.resource === "User:stuck" ? { status: 503 } : { status: 200 }));
    dispatch({ maxAttempts: 1000 });
    await receiver.waitFor("u2 and u3 accepted", () => receiver.accepted().length === 2);
    expect(receiver.accepted().map((r) => r.resource)).toEqual(["User:u2", "User:u3"]);
    await receiver.waitFor("a second attempt at the stuck user", () => receiver.requests.filter((r) => r.id === stuck!.id).length >= 2);
    // The stuck user's second event waits behind its first.
    expect(receiver.requests.some((r) => r.id === others[2]!.id)).toBe(false);
    const pending = await deliveries(created.id, "pending");
    expect(pending.map((d) => d.eventId).sort()).toEqual([stuck!.id, others[2]!.id].sort());
    expect(pending.find((d) => d.eventId === stuck!.id)).toMatchObject({ lastStatus: 503, lastError: "HTTP 503: receiver says 503" });
  });

  it("marks a delivery failed after its last attempt, lists it, and sends it again on replay", async () => {
    const created = await webhook();
    const [doomed, fine] = await append([
      { type: "user.created", resourceId: "u1" },
      { type: "group.created", resourceId: "g1" },
    ]);
    receiver.behave((request) => (request.id === doomed!.id ? { status: 500 } : { status: 200 }));
    dispatch({ maxAttempts: 3 });
    const failed = await eventually("the delivery failed", () => deliveries(created.id, "failed"), (d) => d.length === 1);
    expect(failed[0]).toMatchObject({
      eventId: doomed!.id,
      eventType: "user.created",
      resource: { type: "User", id: "u1" },
      status: "failed",
      attempts: 3,
      lastStatus: 500,
      lastError: "HTTP 500: receiver says 500",
      nextAttemptAt: null,
    });
    expect(receiver.requests.filter((r) => r.id === doomed!.id).map((r) => r.answer)).toEqual([500, 500, 500]);
    await receiver.waitFor("the other event accepted", () => receiver.accepted().some((r) => r.id === fine!.id));

    receiver.behave(() => ({ status: 200 }));
    const replayed = await replayWebhook(roster.store, tenant, "cli", created.id, String(failed[0]!.eventSequence - 1));
    expect(replayed).toEqual({ deliveries: 2, after: failed[0]!.eventSequence - 1, through: expect.any(Number), complete: true });
    await receiver.waitFor("the failed event accepted after replay", () => receiver.accepted().some((r) => r.id === doomed!.id));
    await receiver.waitFor("the other event sent again", () => receiver.requests.filter((r) => r.id === fine!.id).length === 2);
    const all = await eventually("both replayed deliveries succeeded", () => deliveries(created.id, "succeeded"), (d) => d.length === 3);
    expect(all.filter((d) => d.eventId === doomed!.id)).toHaveLength(1);
    expect(await deliveries(created.id, "failed")).toHaveLength(1);
  });

  it("replays the events since a time", async () => {
    const created = await webhook();
    await append([{ type: "user.created", resourceId: "early" }]);
    dispatch();
    await receiver.waitFor("the early event", () => receiver.accepted().length === 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const since = new Date().toISOString();
    const [late] = await append([{ type: "user.created", resourceId: "late" }]);
    await receiver.waitFor("the late event", () => receiver.accepted().length === 2);
    expect(await replayWebhook(roster.store, tenant, "cli", created.id, since)).toMatchObject({ deliveries: 1 });
    await receiver.waitFor("the late event sent again", () => receiver.requests.filter((r) => r.id === late!.id).length === 2);
    expect(receiver.requests.filter((r) => r.resource === "User:early")).toHaveLength(1);
  });

  it("sends nothing to a disabled webhook, not even the events of that time once enabled again", async () => {
    const off = await webhook("/off");
    const on = await webhook("/on");
    await setWebhookEnabled(roster.store, tenant, "cli", off.id, false);
    dispatch();
    const before = await append([
      { type: "user.created", resourceId: "u1" },
      { type: "user.updated", resourceId: "u1" },
    ]);
    await receiver.waitFor("both events at /on", () => receiver.accepted("/on").length === 2);
    expect(receiver.requests.filter((r) => r.path === "/off")).toEqual([]);
    expect(await deliveries(off.id)).toEqual([]);

    await setWebhookEnabled(roster.store, tenant, "cli", off.id, true);
    const [after] = await append([{ type: "user.deleted", resourceId: "u1" }]);
    await receiver.waitFor("the new event at /off", () => receiver.accepted("/off").length === 1);
    await receiver.waitFor("all three at /on", () => receiver.accepted("/on").length === 3);
    expect(receiver.accepted("/off").map((r) => r.id)).toEqual([after!.id]);
    expect((await deliveries(off.id)).map((d) => d.eventId)).toEqual([after!.id]);
    expect(before.map((e) => e.id).every((id) => receiver.requests.every((r) => r.path !== "/off" || r.id !== id))).toBe(true);
  });

  it("sends each webhook only the event types its patterns select", async () => {
    const all = await webhook("/all");
    const users = await webhook("/users", ["user.*"]);
    const picked = await webhook("/picked", ["group.member_added", "role.*", "user.deleted"]);
    await append(EVENT_TYPES.map((type, i) => ({ type, resourceId: `r${i}` })));
    dispatch();
    await receiver.waitFor("every type at /all", () => receiver.accepted("/all").length === EVENT_TYPES.length);
    await receiver.waitFor("5 user events at /users", () => receiver.accepted("/users").length === 5);
    await receiver.waitFor("4 picked events at /picked", () => receiver.accepted("/picked").length === 4);
    // Each event is about its own resource: they may arrive in any order.
    const typesAt = (path: string) => receiver.accepted(path).map((r) => JSON.parse(r.body).type as string).sort();
    expect(typesAt("/all")).toEqual([...EVENT_TYPES].sort());
    expect(typesAt("/users")).toEqual(["user.created", "user.deactivated", "user.deleted", "user.reactivated", "user.updated"]);
    expect(typesAt("/picked")).toEqual(["group.member_added", "role.granted", "role.revoked", "user.deleted"]);
    // Nothing else was made for them to send later.
    expect(await deliveries(users.id)).toHaveLength(5);
    expect(await deliveries(picked.id)).toHaveLength(4);
    expect(await deliveries(all.id)).toHaveLength(EVENT_TYPES.length);
  });

  it("starts a new webhook after the events that were already there", async () => {
    await append([{ type: "user.created", resourceId: "before" }]);
    const created = await webhook();
    const [after] = await append([{ type: "user.created", resourceId: "after" }]);
    dispatch();
    await receiver.waitFor("the event after creation", () => receiver.accepted().length === 1);
    expect(receiver.accepted()[0]?.id).toBe(after!.id);
    expect((await deliveries(created.id)).map((d) => d.eventId)).toEqual([after!.id]);
  });

  it("releases an attempt in flight when closed, and another dispatcher sends it", async () => {
    const created = await webhook();
    const [event] = await append([{ type: "user.created", resourceId: "u1" }]);
    receiver.behave(() => ({ hold: true }));
    const first = dispatch({ timeoutMs: 30_000, leaseMs: 60_000 });
    await receiver.waitFor("the held request", () => receiver.held().length === 1);
    await first.close();
    const [released] = await deliveries(created.id, "pending");
    expect(released).toMatchObject({ eventId: event!.id, attempts: 1, lastError: "abandoned: the dispatcher stopped during the attempt" });
    expect(Date.parse(released!.nextAttemptAt!)).toBeLessThanOrEqual(Date.now());

    receiver.behave(() => ({ status: 204 }));
    dispatch();
    await receiver.waitFor("the event accepted by the second dispatcher", () => receiver.accepted().length === 1);
    expect(receiver.requests.map((r) => [r.id, r.answer])).toEqual([
      [event!.id, "unanswered"],
      [event!.id, 204],
    ]);
  });

  it("retries a delivery whose receiver refuses connections, and records why", async () => {
    const closed = await startReceiver();
    const url = closed.url;
    await closed.close();
    const created = await createWebhook(roster.store, tenant, "cli", { url: `${url}/nobody` }, key, LOOPBACK_RECEIVERS);
    await append([{ type: "user.created", resourceId: "u1" }]);
    dispatch({ maxAttempts: 2 });
    const [failed] = await eventually("the delivery failed", () => deliveries(created.id, "failed"), (d) => d.length === 1);
    expect(failed).toMatchObject({ attempts: 2, lastStatus: null, lastError: "connection refused (ECONNREFUSED): nothing listens at that address" });
  });
});
