import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { type Dispatcher, startDispatcher } from "../../src/events/dispatcher.js";
import type { FeedEvent } from "../../src/events/event-types.js";
import type { SecretKey } from "../../src/events/secret-box.js";
import { type ApiResponse, apiFetch, scimUser } from "../api/support.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";
import { startReceiver, type Receiver } from "../webhooks/receiver.js";
import { LOOPBACK_RECEIVERS, eventually, fastSettings, newKey } from "../webhooks/support.js";
import { PATCH_OP } from "./support.js";

// Issue 20, item 12: event sequence numbers are counted per tenant (ADR 0026), so that a
// tenant's feed, its webhooks' deliveries and the cursors it is handed say nothing about how
// much any other tenant writes. SQLite or PostgreSQL (ROSTER_TEST_DATABASE).

interface FeedTenant {
  readonly scim: TestTenant;
  api(path: string, init?: { method?: string; body?: unknown }): Promise<ApiResponse>;
}

let roster: TestRoster;
let key: SecretKey;
let receiver: Receiver;
let dispatcher: Dispatcher | undefined;
let initech: FeedTenant;
let hooli: FeedTenant;

async function feedTenant(slug: string): Promise<FeedTenant> {
  const scim = await roster.addTenant(slug);
  const { key: apiKey } = await createApiKey(roster.store, scim.tenant, "test");
  return { scim, api: (path, init = {}) => apiFetch(`${roster.url}/api/v1/tenants/${slug}${path}`, apiKey, init) };
}

/** The tenant's whole feed, page by page (bounded). */
async function wholeFeed(tenant: FeedTenant, after?: string): Promise<{ events: FeedEvent[]; cursor: string }> {
  const events: FeedEvent[] = [];
  let cursor = after;
  for (let page = 0; page < 100; page += 1) {
    const answer = await tenant.api(`/events?limit=7${cursor === undefined ? "" : `&after=${cursor}`}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    events.push(...(answer.body.data as FeedEvent[]));
    if (answer.body.data.length === 0) return { events, cursor: answer.body.nextCursor as string };
    cursor = answer.body.nextCursor as string;
  }
  throw new Error("the feed did not end after 100 pages");
}

beforeAll(async () => {
  key = newKey();
  roster = await startTestRoster({ secretKey: key, webhookDestinations: LOOPBACK_RECEIVERS });
  receiver = await startReceiver();
  initech = await feedTenant("initech");
  hooli = await feedTenant("hooli");
});

afterAll(async () => {
  await dispatcher?.close();
  await receiver?.close();
  await roster?.close();
});

describe("event sequence numbers per tenant", () => {
  it("numbers each tenant's feed 1, 2, 3… when two tenants write interleaved, and shows neither the other's volume", async () => {
    const hookOf = async (tenant: FeedTenant, path: string) => {
      const created = await tenant.api("/webhooks", { body: { url: `${receiver.url}${path}` } });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.id as string;
    };
    const initechHook = await hookOf(initech, "/initech");
    const hooliHook = await hookOf(hooli, "/hooli");
    dispatcher = startDispatcher({ store: roster.store, key, settings: fastSettings() });

    // Hooli writes three times as much as Initech, in between Initech's writes.
    const initechIds: string[] = [];
    for (let round = 0; round < 4; round += 1) {
      const created = await initech.scim.scim("/Users", { body: scimUser(`i${round}@initech.example`) });
      expect(created.status).toBe(201);
      initechIds.push(created.body.id);
      for (let burst = 0; burst < 3; burst += 1) {
        expect((await hooli.scim.scim("/Users", { body: scimUser(`h${round}-${burst}@hooli.example`) })).status).toBe(201);
      }
      const patched = await initech.scim.scim(`/Users/${created.body.id}`, {
        method: "PATCH",
        body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: `Initech ${round}` }] },
      });
      expect(patched.status).toBe(200);
    }

    const own = await wholeFeed(initech);
    expect(own.events.map((event) => event.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(own.events.map((event) => [event.type, event.resource.id])).toEqual(initechIds.flatMap((id) => [["user.created", id], ["user.updated", id]]));
    expect(own.cursor).toBe("8");
    // Beyond the tenant's own last number is beyond its feed, whatever others wrote.
    expect((await initech.api("/events?after=9")).status).toBe(400);
    const other = await wholeFeed(hooli);
    expect(other.events.map((event) => event.sequence)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(other.cursor).toBe("12");

    // Deliveries name the tenant's own numbers; the bodies carry none.
    const deliveries = await eventually(
      "8 deliveries to Initech's receiver",
      () => initech.api(`/webhooks/${initechHook}/deliveries?status=succeeded&limit=100`),
      (answer) => answer.body.data?.length === 8,
    );
    expect(deliveries.body.data.map((delivery: { eventSequence: number }) => delivery.eventSequence).sort((a: number, b: number) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await eventually("12 deliveries to Hooli's receiver", async () => receiver.accepted("/hooli").length, (n) => n === 12);
    for (const request of receiver.accepted("/initech")) {
      const body = JSON.parse(request.body) as Record<string, unknown>;
      expect(body).not.toHaveProperty("sequence");
      expect(body["tenant"]).toBe("initech");
    }
    expect((await hooli.api(`/webhooks/${hooliHook}/deliveries?status=succeeded&limit=100`)).body.data).toHaveLength(12);
  });

  it("keeps the feed's cursor semantics: after=n lists the events numbered above n, oldest first", async () => {
    const before = await wholeFeed(initech);
    const last = Number(before.cursor);
    const created = await initech.scim.scim("/Users", { body: scimUser("later@initech.example") });
    expect(created.status).toBe(201);
    expect((await hooli.scim.scim("/Users", { body: scimUser("later@hooli.example") })).status).toBe(201);
    const page = await initech.api(`/events?after=${last - 2}&limit=2`);
    expect(page.body.data.map((event: FeedEvent) => event.sequence)).toEqual([last - 1, last]);
    expect(page.body.nextCursor).toBe(String(last));
    const next = await initech.api(`/events?after=${page.body.nextCursor}`);
    expect(next.body).toEqual({ data: [expect.objectContaining({ sequence: last + 1, type: "user.created" })], nextCursor: String(last + 1) });
  });
});
