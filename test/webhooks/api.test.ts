import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { startDispatcher } from "../../src/events/dispatcher.js";
import { replayWebhook } from "../../src/events/webhooks.js";
import type { SecretKey } from "../../src/events/secret-box.js";
import type { Tenant } from "../../src/store/store.js";
import { apiFetch, type ApiResponse } from "../api/support.js";
import { startTestRoster, type TestRoster } from "../helpers/roster.js";
import { startReceiver, type Receiver } from "./receiver.js";
import { appendTestEvents, eventually, fastSettings, LOOPBACK_RECEIVERS, newKey } from "./support.js";

// The management API's webhook routes on a real server, SQLite or PostgreSQL (ROSTER_TEST_DATABASE).

let roster: TestRoster;
let acme: Tenant;
let key: string;
let globexKey: string;
let adminKey: string;
let secretKey: SecretKey;
let receiver: Receiver;

beforeAll(async () => {
  secretKey = newKey();
  roster = await startTestRoster({ secretKey, webhookDestinations: LOOPBACK_RECEIVERS });
  acme = (await roster.addTenant("acme")).tenant;
  const globex = (await roster.addTenant("globex")).tenant;
  key = (await createApiKey(roster.store, acme, "test")).key;
  globexKey = (await createApiKey(roster.store, globex, "test")).key;
  adminKey = (await createApiKey(roster.store, undefined, "admin")).key;
  receiver = await startReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await roster?.close();
});

const api = (path: string, init: { method?: string; body?: unknown; as?: string } = {}): Promise<ApiResponse> =>
  apiFetch(`${roster.url}/api/v1/tenants/acme${path}`, init.as ?? key, init);

async function create(body: unknown = { url: `${receiver.url}/hook` }): Promise<{ id: string; secret: string }> {
  const response = await api("/webhooks", { body });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { id: string; secret: string };
}

describe("/api/v1/tenants/<slug>/webhooks", () => {
  it("creates a webhook, answering its secret once, and lists and reads it without the secret", async () => {
    const response = await api("/webhooks", { body: { url: `${receiver.url}/created`, events: ["user.*", "group.member_added"] } });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      url: `${receiver.url}/created`,
      events: ["user.*", "group.member_added"],
      enabled: true,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    const { secret, ...webhook } = response.body as Record<string, unknown>;
    expect(response.headers.get("location")).toBe(`/api/v1/tenants/acme/webhooks/${String(webhook["id"])}`);
    const read = await api(`/webhooks/${String(webhook["id"])}`);
    expect(read).toMatchObject({ status: 200, body: webhook });
    const listed = await api("/webhooks");
    expect(listed.status).toBe(200);
    expect(listed.body.data).toContainEqual(webhook);
    expect(JSON.stringify(listed.body)).not.toContain(String(secret));
  });

  it("subscribes to every event when no patterns are given", async () => {
    const created = await create();
    expect((await api(`/webhooks/${created.id}`)).body.events).toEqual(["*"]);
  });

  it.each([
    [{ url: "http://app.example.com/hook" }, 'url: "http://app.example.com/hook" must use https (plain http is allowed only to localhost, *.localhost, 127.0.0.0/8 and ::1)'],
    [{ url: "ftp://127.0.0.1/hook" }, 'url: "ftp://127.0.0.1/hook" must use https, not ftp'],
    [{ url: "https://user:pass@app.example.com/hook" }, "must not contain credentials"],
    [{ url: "hook" }, 'url: "hook" is not an absolute URL'],
    [{}, "url: expected the receiver's URL"],
    [{ url: "https://app.example.com/hook", events: ["user.create"] }, 'events: "user.create" is not an event type pattern; expected *, user.*, group.*, role.*'],
    [{ url: "https://app.example.com/hook", events: [] }, "events: give at least one event type pattern"],
    [{ url: "https://app.example.com/hook", events: "user.*" }, "events: expected an array of event type patterns"],
    [{ url: "https://app.example.com/hook", secret: "mine" }, 'unknown field "secret" in the body of POST webhooks; expected one of url, events'],
    [["https://app.example.com/hook"], "webhook: expected a JSON object"],
  ])("refuses %j with 400 invalidRequest", async (body, message) => {
    const response = await api("/webhooks", { body });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalidRequest");
    expect(response.body.error.message).toContain(message);
  });

  it.each(["http://127.0.0.1:9/hook", "http://127.8.9.10/hook", "http://localhost:3000/hook", "http://[::1]:3000/hook", "https://app.example.com/hook"])(
    "accepts %s",
    async (url) => {
      expect((await api("/webhooks", { body: { url } })).status).toBe(201);
    },
  );

  it("disables, enables and deletes a webhook", async () => {
    const created = await create();
    const disabled = await api(`/webhooks/${created.id}`, { method: "PATCH", body: { enabled: false } });
    expect(disabled).toMatchObject({ status: 200, body: { id: created.id, enabled: false } });
    expect((await api(`/webhooks/${created.id}`, { method: "PATCH", body: { enabled: true } })).body.enabled).toBe(true);
    const bad = await api(`/webhooks/${created.id}`, { method: "PATCH", body: { enabled: "no" } });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: "invalidRequest", message: 'webhook: "enabled" must be true or false, got "no"' } } });
    const url = await api(`/webhooks/${created.id}`, { method: "PATCH", body: { url: "https://elsewhere.example.com" } });
    expect(url.body.error.message).toBe('unknown field "url" in the body of PATCH webhooks/{id}; expected one of enabled');
    expect((await api(`/webhooks/${created.id}`, { method: "DELETE" })).status).toBe(204);
    const gone = await api(`/webhooks/${created.id}`);
    expect(gone).toMatchObject({ status: 404, body: { error: { code: "notFound", message: `webhook "${created.id}" does not exist in tenant "acme"` } } });
    expect((await api(`/webhooks/${created.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("keeps tenants apart: another tenant's key is refused, and an administrator key finds no webhook of another tenant", async () => {
    const created = await create();
    expect((await api("/webhooks", { as: globexKey })).status).toBe(403);
    const viaGlobex = await apiFetch(`${roster.url}/api/v1/tenants/globex/webhooks/${created.id}`, adminKey);
    expect(viaGlobex.status).toBe(404);
    expect((await apiFetch(`${roster.url}/api/v1/tenants/globex/webhooks`, adminKey)).body).toEqual({ data: [] });
    expect((await api(`/webhooks/${created.id}`, { as: adminKey })).status).toBe(200);
  });

  it("lists deliveries newest first, by status, page by page, and replays since a cursor", async () => {
    const created = await create({ url: `${receiver.url}/paged` });
    const events = await appendTestEvents(roster.store, acme, [
      { type: "user.created", resourceId: "p1" },
      { type: "user.created", resourceId: "p2" },
      { type: "user.created", resourceId: "p3" },
    ]);
    const dispatcher = startDispatcher({ store: roster.store, key: secretKey, settings: fastSettings() });
    try {
      await receiver.waitFor("3 deliveries", () => receiver.accepted("/paged").length === 3);
      const verifier = new Webhook(created.secret);
      for (const request of receiver.accepted("/paged")) expect(verifier.verify(request.body, request.headers)).toMatchObject({ id: request.id });
      const all = await eventually("3 succeeded", () => api(`/webhooks/${created.id}/deliveries?status=succeeded`), (r) => r.body.data?.length === 3);
      expect(all.body.data.map((d: { eventId: string }) => d.eventId)).toEqual(events.map((e) => e.id).reverse());
      const first = await api(`/webhooks/${created.id}/deliveries?limit=2`);
      expect(first.body.data).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await api(`/webhooks/${created.id}/deliveries?limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body).toMatchObject({ data: [{ eventId: events[0]!.id }], nextCursor: null });
      expect((await api(`/webhooks/${created.id}/deliveries?status=failed`)).body).toEqual({ data: [], nextCursor: null });

      const since = String(all.body.data[2].eventSequence);
      const replayed = await api(`/webhooks/${created.id}/replay`, { body: { since } });
      expect(replayed).toMatchObject({ status: 200, body: { deliveries: 2, after: since, through: String(all.body.data[0].eventSequence), complete: true } });
      await receiver.waitFor("2 events sent again", () => receiver.requests.filter((r) => r.path === "/paged").length === 5);
    } finally {
      await dispatcher.close();
    }
  });

  it("allows one replay pending per webhook: a second answers 409 replayInProgress until the first one's deliveries are sent", async () => {
    const created = await create({ url: `${receiver.url}/replayed` });
    const other = await create({ url: `${receiver.url}/other` });
    await appendTestEvents(roster.store, acme, [
      { type: "user.created", resourceId: "r1" },
      { type: "user.created", resourceId: "r2" },
    ]);
    const sent = (path: string) => receiver.requests.filter((r) => r.path === path && r.answer === 200).length;
    let dispatcher = startDispatcher({ store: roster.store, key: secretKey, settings: fastSettings() });
    await receiver.waitFor("2 deliveries to each webhook", () => sent("/replayed") === 2 && sent("/other") === 2);
    await eventually("nothing pending", () => api(`/webhooks/${created.id}/deliveries?status=pending`), (r) => r.body.data?.length === 0);
    await dispatcher.close();

    const firstSequence = Math.min(...(await api(`/webhooks/${created.id}/deliveries`)).body.data.map((d: { eventSequence: number }) => d.eventSequence));
    const replay = (id: string) => api(`/webhooks/${id}/replay`, { body: { since: String(firstSequence - 1) } });
    expect(await replay(created.id)).toMatchObject({ status: 200, body: { deliveries: 2, complete: true } });
    expect(await replay(created.id)).toMatchObject({
      status: 409,
      body: {
        error: {
          code: "replayInProgress",
          message: `webhook "${created.id}" has 2 deliveries of an earlier replay still pending; one replay at a time: replay again once they are sent (list them with status=pending)`,
        },
      },
    });
    expect(await replay(other.id)).toMatchObject({ status: 200, body: { deliveries: 2 } });

    dispatcher = startDispatcher({ store: roster.store, key: secretKey, settings: fastSettings() });
    try {
      await receiver.waitFor("the replayed deliveries sent", () => sent("/replayed") === 4 && sent("/other") === 4);
      await eventually("nothing pending", () => api(`/webhooks/${created.id}/deliveries?status=pending`), (r) => r.body.data?.length === 0);
      expect(await replay(created.id)).toMatchObject({ status: 200, body: { deliveries: 2 } });
    } finally {
      await dispatcher.close();
    }
  });

  it("makes at most the limit's deliveries in one replay, saying where it stopped", async () => {
    const created = await create({ url: `${receiver.url}/capped` });
    const events = await appendTestEvents(roster.store, acme, [
      { type: "user.created", resourceId: "c1" },
      { type: "user.created", resourceId: "c2" },
      { type: "user.created", resourceId: "c3" },
    ]);
    const dispatcher = startDispatcher({ store: roster.store, key: secretKey, settings: fastSettings() });
    try {
      await receiver.waitFor("3 deliveries", () => receiver.accepted("/capped").length === 3);
      await eventually("nothing pending", () => api(`/webhooks/${created.id}/deliveries?status=pending`), (r) => r.body.data?.length === 0);
    } finally {
      await dispatcher.close();
    }
    const sequences = (await api(`/webhooks/${created.id}/deliveries`)).body.data.map((d: { eventSequence: number }) => d.eventSequence).reverse() as number[];
    expect(sequences).toHaveLength(events.length);
    const result = await replayWebhook(roster.store, acme, "cli", created.id, String(sequences[0]! - 1), "since", 2);
    expect(result).toEqual({ deliveries: 2, after: sequences[0]! - 1, through: sequences[1], complete: false });
  });

  it.each([
    ["?status=lost", 400, "invalidRequest", 'status: expected one of pending, succeeded, failed, got "lost"'],
    ["?limit=0", 400, "invalidRequest", "limit: expected an integer from 1 to 1000"],
    ["?cursor=abc", 400, "invalidCursor", "cursor: pass nextCursor unchanged"],
    ["?sort=asc", 400, "invalidRequest", 'unknown query parameter "sort"'],
  ])("refuses deliveries%s with %i %s", async (query, status, code, message) => {
    const created = await create();
    const response = await api(`/webhooks/${created.id}/deliveries${query}`);
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.message).toContain(message);
  });

  it("refuses replays from an unknown cursor or time, an expired cursor, and a cursor after the last event", async () => {
    // A tenant of its own, so that no other test's pending delivery holds back retention.
    const initech = (await roster.addTenant("initech")).tenant;
    const at = (path: string, init: { method?: string; body?: unknown } = {}) => apiFetch(`${roster.url}/api/v1/tenants/initech${path}`, adminKey, init);
    const created = (await at("/webhooks", { body: { url: "https://app.example.com/hook" } })).body as { id: string };
    await appendTestEvents(roster.store, initech, [{ type: "user.updated", resourceId: "r1" }]);
    const { last } = await roster.store.transaction((s) => s.eventBounds(initech.id));
    const replay = (since: unknown) => at(`/webhooks/${created.id}/replay`, { body: { since } });
    expect((await replay("yesterday")).body.error.message).toBe('since: "yesterday" is neither a feed cursor (digits) nor an ISO 8601 time such as 2026-11-23T12:00:00Z');
    expect((await replay(String(last + 5))).body.error.message).toBe(`since: cursor ${last + 5} is after the tenant's last event (${last})`);
    expect((await replay(null)).body.error.message).toContain("since: expected a feed cursor");
    expect((await at(`/webhooks/${created.id}/replay`, { body: {} })).status).toBe(400);
    expect((await at("/webhooks/nope/replay", { body: { since: "0" } })).status).toBe(404);
    // No dispatcher runs here, so r1 is not fanned out yet: fan-out, not replay, will make its delivery.
    expect(await replay("2020-01-01T00:00:00Z")).toMatchObject({ status: 200, body: { deliveries: 0, after: String(last - 1) } });
    await roster.store.transaction((s) => s.pruneEvents(initech.id, "2999-01-01T00:00:00.000Z"));
    const expired = await replay(0);
    expect(expired.status).toBe(400);
    expect(expired.body.error).toEqual({
      code: "invalidRequest",
      message: `since: cursor 0 has expired: retention removed the events up to ${last}; use ${last} to replay every stored event`,
    });
    expect(await replay(String(last))).toMatchObject({ status: 200, body: { deliveries: 0, after: String(last) } });
  });

  it("answers 501 notConfigured to a create on a server without ROSTER_SECRET_KEY", async () => {
    const bare = await startTestRoster();
    try {
      const tenant = (await bare.addTenant("acme")).tenant;
      const { key: bareKey } = await createApiKey(bare.store, tenant, "test");
      const response = await apiFetch(`${bare.url}/api/v1/tenants/acme/webhooks`, bareKey, { body: { url: "https://app.example.com/hook" } });
      expect(response.status).toBe(501);
      expect(response.body.error).toEqual({
        code: "notConfigured",
        message: "webhooks need ROSTER_SECRET_KEY in Roster's environment to encrypt their signing secrets; make one with: openssl rand -base64 32, set it and restart",
      });
      expect((await apiFetch(`${bare.url}/api/v1/tenants/acme/webhooks`, bareKey)).body).toEqual({ data: [] });
    } finally {
      await bare.close();
    }
  });
});
