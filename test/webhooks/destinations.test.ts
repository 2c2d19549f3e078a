import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { readDestinationPolicy } from "../../src/events/destinations.js";
import { type Dispatcher, startDispatcher } from "../../src/events/dispatcher.js";
import type { DispatcherSettings } from "../../src/events/dispatcher-settings.js";
import type { SecretKey } from "../../src/events/secret-box.js";
import type { Resolver } from "../../src/events/send-webhook.js";
import { createWebhook, listWebhookDeliveries } from "../../src/events/webhooks.js";
import type { Tenant } from "../../src/store/store.js";
import { apiFetch, type ApiResponse } from "../api/support.js";
import { startTestRoster, type TestRoster } from "../helpers/roster.js";
import { startReceiver, type Receiver } from "./receiver.js";
import { appendTestEvents, eventually, fastSettings, LOOPBACK_RECEIVERS, newKey } from "./support.js";

// Webhook destinations (docs/webhooks.md#private-destinations): refused at creation by the
// management API on a server with the default policy, and again at delivery on the addresses
// the host resolves to. SQLite or PostgreSQL (ROSTER_TEST_DATABASE).

let roster: TestRoster;
let acme: Tenant;
let apiKey: string;
let secretKey: SecretKey;
let receiver: Receiver;
let dispatchers: Dispatcher[] = [];

beforeAll(async () => {
  secretKey = newKey();
  roster = await startTestRoster({ secretKey });
  acme = (await roster.addTenant("acme")).tenant;
  apiKey = (await createApiKey(roster.store, acme, "test")).key;
  receiver = await startReceiver();
});

afterEach(async () => {
  await Promise.all(dispatchers.map((dispatcher) => dispatcher.close()));
  dispatchers = [];
});

afterAll(async () => {
  await receiver?.close();
  await roster?.close();
});

const api = (path: string, init: { method?: string; body?: unknown } = {}): Promise<ApiResponse> => apiFetch(`${roster.url}/api/v1/tenants/acme${path}`, apiKey, init);

const ADVICE =
  "webhooks reach only public addresses unless the operator allows more with ROSTER_WEBHOOK_ALLOW_PRIVATE (true, or ranges such as 10.0.0.0/8,fd00::/8; see docs/webhooks.md#private-destinations)";

/** Each refused URL, and the reason its error names (the URL as typed, then the reason, then ADVICE). */
const REFUSED: readonly (readonly [url: string, reason: string])[] = [
  ["https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata endpoint (169.254.169.254/32)"],
  ["https://10.0.0.1:8443/hook", "10.0.0.1 is a private address (10.0.0.0/8)"],
  ["https://172.16.5.4/hook", "172.16.5.4 is a private address (172.16.0.0/12)"],
  ["https://192.168.1.10/hook", "192.168.1.10 is a private address (192.168.0.0/16)"],
  ["https://[fd00::1]/hook", "fd00::1 is a unique-local address (fc00::/7)"],
  ["https://[fe80::1]/hook", "fe80::1 is a link-local address (fe80::/10)"],
  ["https://169.254.10.10/hook", "169.254.10.10 is a link-local address (169.254.0.0/16)"],
  ["https://100.64.0.1/hook", "100.64.0.1 is a carrier-grade NAT address (RFC 6598) (100.64.0.0/10)"],
  ["https://100.100.100.200/latest/meta-data/", "100.100.100.200 is a cloud metadata endpoint (100.100.100.200/32)"],
  ["https://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254 is a cloud metadata endpoint (fd00:ec2::254/128)"],
  ["https://224.0.0.1/hook", "224.0.0.1 is a multicast address (224.0.0.0/4)"],
  ["https://0.0.0.0/hook", "0.0.0.0 is an unspecified address (it reaches this machine) (0.0.0.0/8)"],
  ["https://[::]/hook", ":: is an unspecified address (it reaches this machine) (::/128)"],
  ["http://127.0.0.1:3000/hook", "127.0.0.1 is a loopback address (127.0.0.0/8)"],
  ["http://[::1]:3000/hook", "::1 is a loopback address (::1/128)"],
  // WHATWG URL parsing turns these spellings into 127.0.0.1 and ::ffff:7f00:1 before the check.
  ["http://2130706433/hook", "127.0.0.1 is a loopback address (127.0.0.0/8)"],
  ["http://0x7f.1/hook", "127.0.0.1 is a loopback address (127.0.0.0/8)"],
  ["http://017700000001/hook", "127.0.0.1 is a loopback address (127.0.0.0/8)"],
  ["https://[::ffff:127.0.0.1]/hook", "::ffff:7f00:1 (a form of 127.0.0.1) is a loopback address (127.0.0.0/8)"],
  ["https://[::ffff:169.254.169.254]/", "::ffff:a9fe:a9fe (a form of 169.254.169.254) is a cloud metadata endpoint (169.254.169.254/32)"],
  ["https://[64:ff9b::a00:1]/hook", "64:ff9b::a00:1 (a form of 10.0.0.1) is a private address (10.0.0.0/8)"],
  ["http://localhost:3000/hook", "localhost always names this machine (RFC 6761): 127.0.0.1 is a loopback address (127.0.0.0/8)"],
  ["https://hooks.LOCALHOST./x", "hooks.localhost always names this machine (RFC 6761): 127.0.0.1 is a loopback address (127.0.0.0/8)"],
  ["https://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal names a cloud metadata service: 169.254.169.254 is a cloud metadata endpoint (169.254.169.254/32)"],
  ["https://metadata/computeMetadata/v1/", "metadata names a cloud metadata service: 169.254.169.254 is a cloud metadata endpoint (169.254.169.254/32)"],
];

describe("creating a webhook through the management API on a server with the default policy", () => {
  it.each(REFUSED)("refuses %s with 400 invalidRequest, saying why and how an operator allows it", async (url, reason) => {
    const response = await api("/webhooks", { body: { url } });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: { code: "invalidRequest", message: `url: ${JSON.stringify(url)} is refused: ${reason}; ${ADVICE}` } });
  });

  it("creates nothing for a refused URL, and accepts a public one", async () => {
    expect((await api("/webhooks")).body).toEqual({ data: [] });
    const created = await api("/webhooks", { body: { url: "https://hooks.example.com/roster" } });
    expect(created.status).toBe(201);
    expect(((await api("/webhooks")).body as { data: { url: string }[] }).data.map((webhook) => webhook.url)).toEqual(["https://hooks.example.com/roster"]);
    expect((await api(`/webhooks/${(created.body as { id: string }).id}`, { method: "DELETE" })).status).toBe(204);
  });
});

describe("creating a webhook on a server with ROSTER_WEBHOOK_ALLOW_PRIVATE", () => {
  it("admits the listed ranges and still refuses the others", async () => {
    const allowing = await startTestRoster({ secretKey, webhookDestinations: readDestinationPolicy({ ROSTER_WEBHOOK_ALLOW_PRIVATE: "10.0.0.0/8,fd00::/8" }) });
    try {
      const tenant = await allowing.addTenant("acme");
      const key = (await createApiKey(allowing.store, tenant.tenant, "test")).key;
      const post = (url: string) => apiFetch(`${allowing.url}/api/v1/tenants/acme/webhooks`, key, { body: { url } });
      expect((await post("https://10.0.0.1:8443/hook")).status).toBe(201);
      expect((await post("https://[fd00::1]/hook")).status).toBe(201);
      expect((await post("https://192.168.1.10/hook")).body).toEqual({
        error: { code: "invalidRequest", message: `url: "https://192.168.1.10/hook" is refused: 192.168.1.10 is a private address (192.168.0.0/16); ${ADVICE}` },
      });
    } finally {
      await allowing.close();
    }
  });
});

describe("delivering to a destination the policy refuses", () => {
  let tenant: Tenant;
  let tenants = 0;

  // A tenant per test: a dispatcher delivers every new event to all of the tenant's webhooks.
  beforeEach(async () => {
    tenants += 1;
    tenant = (await roster.addTenant(`delivery-${tenants}`)).tenant;
  });

  function dispatch(settings: Partial<DispatcherSettings>, resolve?: Resolver): void {
    dispatchers.push(startDispatcher({ store: roster.store, key: secretKey, settings: fastSettings(settings), ...(resolve === undefined ? {} : { resolve }) }));
  }

  async function failedDelivery(webhookId: string) {
    const [delivery] = await eventually(
      "a failed delivery",
      () => listWebhookDeliveries(roster.store, tenant, webhookId, { limit: 10 }).then((page) => page.data),
      (data) => data.length === 1 && data[0]?.status === "failed",
    );
    return delivery;
  }

  it("fails the delivery at once, without connecting, when localhost resolves to a loopback address", async () => {
    // Created under a policy that allowed it (an earlier configuration); delivered under the default.
    const webhook = await createWebhook(roster.store, tenant, "cli", { url: `http://localhost:${receiver.port}/at-delivery` }, secretKey, LOOPBACK_RECEIVERS);
    await appendTestEvents(roster.store, tenant, [{ type: "user.created", resourceId: "u-localhost" }]);
    dispatch({ destinations: readDestinationPolicy({}) });
    const delivery = await failedDelivery(webhook.id);
    expect(delivery).toMatchObject({ status: "failed", attempts: 1, lastStatus: null });
    expect(delivery?.lastError).toMatch(/^destination refused: localhost resolves to (127\.0\.0\.1, and 127\.0\.0\.1 is a loopback address \(127\.0\.0\.0\/8\)|::1, and ::1 is a loopback address \(::1\/128\)); webhooks reach only public addresses unless/);
    expect(receiver.requests.filter((request) => request.path === "/at-delivery")).toEqual([]);
  });

  it("checks the address a name resolves to at each delivery, so a name that rebinds to a private address is refused", async () => {
    const webhook = await createWebhook(roster.store, tenant, "cli", { url: `https://rebinding.example:${receiver.port}/rebound` }, secretKey, readDestinationPolicy({}));
    await appendTestEvents(roster.store, tenant, [{ type: "user.created", resourceId: "u-rebound" }]);
    const asked: string[] = [];
    dispatch({ destinations: readDestinationPolicy({}) }, async (hostname) => {
      asked.push(hostname);
      return [
        { address: "93.184.216.34", family: 4 },
        { address: "10.1.2.3", family: 4 },
      ];
    });
    const delivery = await failedDelivery(webhook.id);
    expect(delivery?.lastError).toBe(`destination refused: rebinding.example resolves to 10.1.2.3, and 10.1.2.3 is a private address (10.0.0.0/8); ${ADVICE}`);
    expect(asked).toEqual(["rebinding.example"]);
  });

  it("connects to the address it checked: a name resolved to an allowed loopback address reaches the receiver there", async () => {
    const webhook = await createWebhook(roster.store, tenant, "cli", { url: `http://receiver.localhost:${receiver.port}/checked` }, secretKey, LOOPBACK_RECEIVERS);
    await appendTestEvents(roster.store, tenant, [{ type: "user.created", resourceId: "u-checked" }]);
    // The name resolves nowhere but through this resolver: the request can only reach the receiver by its answer.
    const asked: string[] = [];
    dispatch({}, async (hostname) => {
      asked.push(hostname);
      return [{ address: "127.0.0.1", family: 4 }];
    });
    await receiver.waitFor("the delivery to the checked address", () => receiver.accepted("/checked").length === 1);
    expect(receiver.accepted("/checked")[0]?.headers["host"]).toBe(`receiver.localhost:${receiver.port}`);
    expect(asked[0]).toBe("receiver.localhost");
    await eventually(
      "a succeeded delivery",
      () => listWebhookDeliveries(roster.store, tenant, webhook.id, { limit: 10 }).then((page) => page.data),
      (data) => data[0]?.status === "succeeded",
    );
  });

  it("refuses an IP literal that the policy no longer allows, and keeps no answer excerpt", async () => {
    const webhook = await createWebhook(roster.store, tenant, "cli", { url: `${receiver.url}/literal` }, secretKey, LOOPBACK_RECEIVERS);
    receiver.behave(() => ({ status: 500 }));
    await appendTestEvents(roster.store, tenant, [{ type: "user.created", resourceId: "u-literal" }]);
    dispatch({ destinations: readDestinationPolicy({ ROSTER_WEBHOOK_ALLOW_PRIVATE: "10.0.0.0/8" }) });
    const delivery = await failedDelivery(webhook.id);
    expect(delivery?.lastError).toBe(`destination refused: 127.0.0.1 is a loopback address (127.0.0.0/8); ${ADVICE}`);
    expect(receiver.requests.filter((request) => request.path === "/literal")).toEqual([]);
    receiver.behave(() => ({ status: 200 }));
  });
});
