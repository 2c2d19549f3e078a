import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTenant } from "../../src/directory/tenants.js";
import { parseSecretKey } from "../../src/events/secret-box.js";
import { type CreatedWebhook, createWebhook, listWebhookDeliveries } from "../../src/events/webhooks.js";
import { openStore } from "../../src/store/open-store.js";
import type { NewEvent, Store, Tenant } from "../../src/store/store.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";
import { startReceiver, type Receiver } from "../webhooks/receiver.js";
import { appendTestEvents, eventually, fastSettingsEnv, LOOPBACK_RECEIVERS, newKeyText, type TestEventSpec } from "../webhooks/support.js";
import { type RosterProcess, startRosterProcess } from "./multi-process.js";

// Two `roster serve` processes on one PostgreSQL database delivering the same webhooks
// (issue 5): every event delivered, no delivery sent by both at once, and deliveries go on
// when one process is SIGKILLed in the middle of one.
const available = await postgresAvailable();

const RESOURCES = 12;
const ROUNDS = 8;

describe.skipIf(!available)("two Roster processes delivering webhooks from one PostgreSQL database", () => {
  let database: TestDatabase;
  let store: Store;
  let tenant: Tenant;
  let keyText: string;
  let receiver: Receiver;
  let processes: RosterProcess[] = [];

  beforeEach(async () => {
    database = await createTestDatabase("multiprocess_webhooks");
    store = await openStore(database.url, { migrate: true });
    tenant = await createTenant(store, "acme");
    keyText = newKeyText();
    receiver = await startReceiver();
  });

  afterEach(async () => {
    for (const roster of processes) if (roster.child.exitCode === null && roster.child.signalCode === null) roster.child.kill("SIGKILL");
    await Promise.all(processes.map((roster) => roster.stop()));
    processes = [];
    await receiver?.close();
    await store?.close();
    await database?.drop();
  });

  const serveTwo = (env: Record<string, string>) =>
    Promise.all([0, 1].map(() => startRosterProcess(database.url, { ROSTER_SECRET_KEY: keyText, ...fastSettingsEnv(), ...env }))).then((started) => {
      processes.push(...started);
      return started;
    });

  const webhook = (path: string): Promise<CreatedWebhook> => createWebhook(store, tenant, "cli", { url: `${receiver.url}${path}` }, parseSecretKey(keyText), LOOPBACK_RECEIVERS);

  /** ROUNDS commits, each touching every resource once: per resource, ROUNDS events in order. */
  async function commitRounds(): Promise<NewEvent[]> {
    const events: NewEvent[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const specs: TestEventSpec[] = Array.from({ length: RESOURCES }, (_, i) => ({ type: round === 0 ? "user.created" : "user.updated", resourceId: `u${i}` }));
      events.push(...(await appendTestEvents(store, tenant, specs)));
    }
    return events;
  }

  function expectInOrderPerResource(path: string, events: readonly NewEvent[]): void {
    for (let i = 0; i < RESOURCES; i += 1) {
      const resource = `User:u${i}`;
      const received = receiver.accepted(path).filter((r) => r.resource === resource).map((r) => r.id);
      expect(received, resource).toEqual(events.filter((e) => e.resourceId === `u${i}`).map((e) => e.id));
    }
  }

  it("delivers every event once per webhook, in order per resource, never sending one delivery from both processes at once", async () => {
    const hooks = [await webhook("/a"), await webhook("/b")];
    // A short pause in every answer, so that two sends of one delivery would overlap at the receiver.
    receiver.behave(() => ({ status: 200, delayMs: 15 }));
    await serveTwo({ ROSTER_WEBHOOK_CONCURRENCY: "4", ROSTER_WEBHOOK_TIMEOUT_MS: "10000", ROSTER_WEBHOOK_LEASE_MS: "15000" });
    const events = await commitRounds();
    for (const path of ["/a", "/b"]) {
      await receiver.waitFor(`${events.length} events at ${path}`, () => receiver.accepted(path).length === events.length, 60_000);
      expectInOrderPerResource(path, events);
    }
    expect(receiver.overlaps).toEqual([]);
    // Nothing was sent twice: no process died and every answer came within the timeout.
    expect(receiver.requests).toHaveLength(2 * events.length);
    for (const hook of hooks) {
      const page = await eventually(
        "every delivery recorded",
        () => listWebhookDeliveries(store, tenant, hook.id, { limit: 1000, status: "succeeded" }),
        (p) => p.data.length === events.length,
      );
      expect(page.data.every((d) => d.attempts === 1)).toBe(true);
    }
  }, 120_000);

  it("goes on delivering when one process is SIGKILLed in the middle of a delivery: the other sends it once the lease expires", async () => {
    const hook = await webhook("/hook");
    // One delivery at a time per process: two requests held at once are one from each process.
    receiver.behave(() => ({ hold: true }));
    const [first] = await serveTwo({ ROSTER_WEBHOOK_CONCURRENCY: "1", ROSTER_WEBHOOK_TIMEOUT_MS: "5000", ROSTER_WEBHOOK_LEASE_MS: "6000" });
    const events = await commitRounds();
    await receiver.waitFor("a delivery in flight from each process", () => receiver.held().length === 2, 30_000);

    first!.child.kill("SIGKILL");
    await first!.stop();
    await receiver.waitFor("the killed process's request closing unanswered", () => receiver.requests.some((r) => r.answer === "unanswered"));
    const abandoned = receiver.requests.find((r) => r.answer === "unanswered")!;
    receiver.behave(() => ({ status: 200, delayMs: 5 }));
    receiver.release(200);

    await receiver.waitFor(`all ${events.length} events delivered`, () => receiver.accepted().length === events.length, 90_000);
    expect(receiver.accepted().some((r) => r.id === abandoned.id && r.index > abandoned.index)).toBe(true);
    expectInOrderPerResource("/hook", events);
    expect(receiver.overlaps).toEqual([]);
    const page = await eventually(
      "every delivery recorded as succeeded",
      () => listWebhookDeliveries(store, tenant, hook.id, { limit: 1000, status: "succeeded" }),
      (p) => p.data.length === events.length,
    );
    expect(page.data.find((d) => d.eventId === abandoned.id)?.attempts).toBe(2);
  }, 150_000);
});
