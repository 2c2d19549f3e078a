import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Dispatcher, startDispatcher } from "../../src/events/dispatcher.js";
import { readEventFeed } from "../../src/events/feed.js";
import type { SecretKey } from "../../src/events/secret-box.js";
import { createWebhook, listWebhookDeliveries } from "../../src/events/webhooks.js";
import { GROUP_SCHEMA, PATCH_OP, USER_SCHEMA } from "../concurrency/support.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";
import { startReceiver, type Receiver } from "./receiver.js";
import { eventually, fastSettings, LOOPBACK_RECEIVERS, newKey } from "./support.js";

// End to end: SCIM requests to a real server record events in their transactions, and the
// dispatcher — woken by those commits, its polling turned off — delivers them, signed, to a
// real receiver. SQLite or PostgreSQL (ROSTER_TEST_DATABASE).

let roster: TestRoster;
let acme: TestTenant;
let receiver: Receiver;
let key: SecretKey;
let dispatcher: Dispatcher | undefined;

beforeEach(async () => {
  key = newKey();
  roster = await startTestRoster({ secretKey: key, webhookDestinations: LOOPBACK_RECEIVERS });
  acme = await roster.addTenant("acme");
  receiver = await startReceiver();
});

afterEach(async () => {
  await dispatcher?.close();
  dispatcher = undefined;
  await receiver.close();
  await roster.close();
});

/** A dispatcher that polls once an hour: only the server's commits can wake it in time. */
function dispatchOnCommits(): Dispatcher {
  const started = startDispatcher({ store: roster.server.store, key, settings: fastSettings({ pollMs: 3_600_000 }) });
  roster.server.store.onEventsCommitted(() => started.wake());
  dispatcher = started;
  return started;
}

async function scim(path: string, init: { method?: string; body?: unknown }, expected: number): Promise<any> {
  const response = await acme.scim(path, init);
  expect(response.status, `${init.method ?? "POST"} ${path}: ${JSON.stringify(response.body)}`).toBe(expected);
  return response.body;
}

describe("SCIM changes delivered as webhooks", () => {
  it("delivers every change of a provisioning session, signed, in order per resource, exactly as the feed lists it", async () => {
    const webhook = await createWebhook(roster.store, acme.tenant, "cli", { url: `${receiver.url}/hook` }, key, LOOPBACK_RECEIVERS);
    dispatchOnCommits();
    // Let the dispatcher's first turn pass and go to sleep for the hour.
    await new Promise((resolve) => setTimeout(resolve, 100));

    const user = await scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "dana@example.com", displayName: "Dana", active: true } }, 201);
    const other = await scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "fox@example.com", active: true } }, 201);
    await scim(`/Users/${user.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "Dana Scully" }] } }, 200);
    const group = await scim("/Groups", { body: { schemas: [GROUP_SCHEMA], displayName: "Agents", members: [{ value: user.id }] } }, 201);
    await scim(`/Groups/${group.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: other.id }] }] } }, 204);
    await scim(`/Users/${user.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] } }, 200);
    await scim(`/Groups/${group.id}`, { method: "DELETE" }, 204);
    // A refused request records nothing and so sends nothing.
    await scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "DANA@example.com" } }, 409);

    const feed = await readEventFeed(roster.store, acme.tenant.id, { limit: 1000 });
    const stored = feed.data.map(({ sequence: _sequence, ...event }) => event);
    expect(stored.map((e) => e.type)).toEqual([
      "user.created",
      "user.created",
      "user.updated",
      "group.created",
      "group.member_added",
      "group.member_added",
      "user.deactivated",
      "group.deleted",
    ]);
    await receiver.waitFor(`${stored.length} deliveries`, () => receiver.accepted().length === stored.length);

    const verifier = new Webhook(webhook.secret);
    for (const request of receiver.accepted()) {
      const body = verifier.verify(request.body, request.headers) as { id: string };
      expect(request.id).toBe(body.id);
      expect(body).toEqual(stored.find((event) => event.id === body.id));
    }
    const types = (resource: string) => receiver.accepted().filter((r) => r.resource === resource).map((r) => JSON.parse(r.body).type as string);
    expect(types(`User:${user.id}`)).toEqual(["user.created", "user.updated", "user.deactivated"]);
    expect(types(`User:${other.id}`)).toEqual(["user.created"]);
    expect(types(`Group:${group.id}`)).toEqual(["group.created", "group.member_added", "group.member_added", "group.deleted"]);
    const updated = JSON.parse(receiver.accepted().find((r) => JSON.parse(r.body).type === "user.updated")!.body);
    expect(updated.data.user).toMatchObject({ id: user.id, userName: "dana@example.com", displayName: "Dana Scully" });
    expect(updated.data.previous).toMatchObject({ displayName: "Dana" });
    expect(receiver.overlaps).toEqual([]);
    await eventually(
      "every delivery recorded as succeeded",
      () => listWebhookDeliveries(roster.store, acme.tenant, webhook.id, { limit: 100, status: "succeeded" }),
      (page) => page.data.length === stored.length,
    );
  });

  it("delivers the user's standard attributes and enterprise fields in the webhook body", async () => {
    const webhook = await createWebhook(roster.store, acme.tenant, "cli", { url: `${receiver.url}/hook` }, key, LOOPBACK_RECEIVERS);
    dispatchOnCommits();
    const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    await scim(
      "/Users",
      {
        body: {
          schemas: [USER_SCHEMA, enterprise],
          userName: "dana@example.com",
          title: "Special Agent",
          locale: "en-US",
          preferredLanguage: "en",
          phoneNumbers: [{ value: "+1 202 555 0100", type: "work" }],
          addresses: [{ locality: "Washington", country: "US" }],
          [enterprise]: { employeeNumber: "1013", costCenter: "X-0", organization: "FBI", division: "Criminal", department: "X-Files", manager: { value: "00u1skinner" } },
        },
      },
      201,
    );
    await receiver.waitFor("the user.created delivery", () => receiver.accepted().length === 1);
    const body = new Webhook(webhook.secret).verify(receiver.accepted()[0]!.body, receiver.accepted()[0]!.headers) as { type: string; data: { user: unknown } };
    expect(body.type).toBe("user.created");
    expect(body.data.user).toMatchObject({
      title: "Special Agent",
      locale: "en-US",
      preferredLanguage: "en",
      phoneNumbers: [{ value: "+1 202 555 0100", type: "work", primary: false }],
      addresses: [{ formatted: null, streetAddress: null, locality: "Washington", region: null, postalCode: null, country: "US", type: null, primary: false }],
      employeeNumber: "1013",
      costCenter: "X-0",
      organization: "FBI",
      division: "Criminal",
      department: "X-Files",
      manager: { value: "00u1skinner", displayName: null },
    });
  });

  it("keeps answering SCIM requests while the receiver never answers", async () => {
    const webhook = await createWebhook(roster.store, acme.tenant, "cli", { url: `${receiver.url}/hook` }, key, LOOPBACK_RECEIVERS);
    receiver.behave(() => ({ hold: true }));
    dispatchOnCommits();
    for (let i = 0; i < 20; i += 1) await scim("/Users", { body: { schemas: [USER_SCHEMA], userName: `user${i}@example.com` } }, 201);
    await receiver.waitFor("deliveries held by the receiver", () => receiver.held().length > 0);
    expect(await scim("/Users?count=0", { method: "GET" }, 200)).toMatchObject({ totalResults: 20 });
    // Every event waits for the receiver: none is lost, none has failed.
    await eventually(
      "20 pending deliveries",
      () => listWebhookDeliveries(roster.store, acme.tenant, webhook.id, { limit: 100 }),
      (page) => page.data.length === 20 && page.data.every((d) => d.status === "pending"),
    );
  });
});
