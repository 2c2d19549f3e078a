import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTenant } from "../../src/directory/tenants.js";
import { createToken } from "../../src/directory/tokens.js";
import { type CreatedWebhook, createWebhook, listWebhookDeliveries } from "../../src/events/webhooks.js";
import { parseSecretKey } from "../../src/events/secret-box.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store, Tenant } from "../../src/store/store.js";
import { assertBuilt, cliEnv, runRoster } from "../cli/run-cli.js";
import { type RosterProcess, startRosterProcess } from "../concurrency/multi-process.js";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.js";
import { scimFetch, testDatabaseKind } from "../helpers/roster.js";
import { USER_SCHEMA } from "../concurrency/support.js";
import { startReceiver, type Receiver } from "./receiver.js";
import { appendTestEvents, eventually, fastSettingsEnv, LOOPBACK_ALLOWED, LOOPBACK_RECEIVERS, newKeyText } from "./support.js";

// `roster serve` child processes (the built CLI) delivering webhooks, killed and restarted,
// on SQLite or PostgreSQL (ROSTER_TEST_DATABASE). Events are committed by this test process.

let directory: string;
let postgres: TestDatabase | undefined;
let databaseUrl: string;
let store: Store;
let tenant: Tenant;
let keyText: string;
let receiver: Receiver | undefined;
let processes: RosterProcess[] = [];

beforeAll(assertBuilt);

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), "roster-webhooks-"));
  postgres = testDatabaseKind() === "postgres" ? await createTestDatabase("webhooks_serve") : undefined;
  databaseUrl = postgres?.url ?? join(directory, "roster.db");
  store = await openStore(databaseUrl, { migrate: true });
  tenant = await createTenant(store, "acme");
  keyText = newKeyText();
});

afterEach(async () => {
  for (const roster of processes) kill(roster);
  await Promise.all(processes.map((roster) => roster.stop()));
  processes = [];
  await receiver?.close();
  receiver = undefined;
  await store.close();
  await postgres?.drop();
  rmSync(directory, { recursive: true, force: true });
});

async function serve(env: Record<string, string> = {}): Promise<RosterProcess> {
  const roster = await startRosterProcess(databaseUrl, { ROSTER_SECRET_KEY: keyText, ...fastSettingsEnv(), ...env });
  processes.push(roster);
  return roster;
}

function kill(roster: RosterProcess): void {
  if (roster.child.exitCode === null && roster.child.signalCode === null) roster.child.kill("SIGKILL");
}

async function webhookTo(url: string): Promise<CreatedWebhook> {
  return createWebhook(store, tenant, "cli", { url }, parseSecretKey(keyText), LOOPBACK_RECEIVERS);
}

const deliveries = (id: string) => listWebhookDeliveries(store, tenant, id, { limit: 100 }).then((page) => page.data);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("roster serve delivering webhooks", () => {
  it("delivers after a restart an event whose delivery was in flight when the process was SIGKILLed", async () => {
    receiver = await startReceiver();
    const webhook = await webhookTo(`${receiver.url}/hook`);
    receiver.behave(() => ({ hold: true }));
    const first = await serve({ ROSTER_WEBHOOK_TIMEOUT_MS: "5000", ROSTER_WEBHOOK_LEASE_MS: "6000" });
    const [event] = await appendTestEvents(store, tenant, [{ type: "user.created", resourceId: "u1" }]);
    await receiver.waitFor("the delivery in flight", () => receiver!.held().length === 1);
    kill(first);
    await first.stop();
    await receiver.waitFor("the killed process's connection closing", () => receiver!.requests[0]?.answer === "unanswered");
    // It died before recording anything: the delivery is still claimed by it.
    const [claimed] = await deliveries(webhook.id);
    expect(claimed).toMatchObject({ status: "pending", attempts: 1, lastError: null });

    receiver.behave(() => ({ status: 200 }));
    await serve({ ROSTER_WEBHOOK_TIMEOUT_MS: "5000", ROSTER_WEBHOOK_LEASE_MS: "6000" });
    await receiver.waitFor("the event delivered by the restarted process", () => receiver!.accepted().length === 1);
    expect(receiver.requests.map((r) => [r.id, r.answer])).toEqual([
      [event!.id, "unanswered"],
      [event!.id, 200],
    ]);
    const [done] = await eventually("the delivery recorded as succeeded", () => deliveries(webhook.id), (list) => list[0]?.status === "succeeded");
    expect(done).toMatchObject({ attempts: 2, lastStatus: 200 });
  }, 60_000);

  it("delivers after a restart the events committed while the receiver was not listening yet", async () => {
    const port = await freePort();
    const webhook = await webhookTo(`http://127.0.0.1:${port}/hook`);
    const first = await serve({ ROSTER_WEBHOOK_MAX_ATTEMPTS: "1000" });
    const events = await appendTestEvents(store, tenant, [
      { type: "user.created", resourceId: "u1" },
      { type: "user.updated", resourceId: "u1" },
      { type: "group.created", resourceId: "g1" },
    ]);
    await eventually("a refused attempt", () => deliveries(webhook.id), (list) => list.some((d) => d.lastError?.startsWith("connection refused") === true));
    kill(first);
    await first.stop();

    receiver = await startReceiver(port);
    await serve();
    await receiver.waitFor("the 3 events delivered", () => receiver!.accepted().length === 3);
    expect(receiver.accepted().filter((r) => r.resource === "User:u1").map((r) => r.id)).toEqual([events[0]!.id, events[1]!.id]);
    await eventually("3 succeeded deliveries", () => deliveries(webhook.id), (list) => list.every((d) => d.status === "succeeded") && list.length === 3);
  }, 60_000);

  it("exits 0 promptly on SIGTERM with a delivery in flight, releasing it for the next process", async () => {
    receiver = await startReceiver();
    const webhook = await webhookTo(`${receiver.url}/hook`);
    receiver.behave(() => ({ hold: true }));
    const first = await serve({ ROSTER_WEBHOOK_TIMEOUT_MS: "300000", ROSTER_WEBHOOK_LEASE_MS: "600000" });
    await appendTestEvents(store, tenant, [{ type: "user.created", resourceId: "u1" }]);
    await receiver.waitFor("the delivery in flight", () => receiver!.held().length === 1);
    const exited = new Promise<number | null>((resolve) => first.child.once("exit", (code) => resolve(code)));
    first.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    const [released] = await deliveries(webhook.id);
    expect(released).toMatchObject({ status: "pending", lastError: "abandoned: the dispatcher stopped during the attempt" });

    receiver.behave(() => ({ status: 200 }));
    await serve();
    await receiver.waitFor("the released delivery sent at once by the next process", () => receiver!.accepted().length === 1);
  }, 60_000);

  it("delivers after a restart a user created over SCIM when the process was SIGKILLed right after answering 201", async () => {
    const port = await freePort();
    const webhook = await webhookTo(`http://127.0.0.1:${port}/hook`);
    const { token } = await createToken(store, tenant, "cli", "okta");
    const first = await serve();
    const created = await scimFetch(`${first.url}/scim/v2/acme/Users`, token, { body: { schemas: [USER_SCHEMA], userName: "dana@example.com", active: true } });
    expect(created.status).toBe(201);
    kill(first);
    await first.stop();
    // Committed with its event; nothing could be delivered: the receiver is not listening yet.
    const feed = await store.transaction((s) => s.listEvents(tenant.id, 0, 10));
    expect(feed.map((e) => [e.type, e.resourceId])).toEqual([["user.created", created.body.id]]);
    expect((await deliveries(webhook.id)).filter((d) => d.status !== "pending")).toEqual([]);

    receiver = await startReceiver(port);
    await serve();
    await receiver.waitFor("the user.created event", () => receiver!.accepted().length === 1);
    const event = JSON.parse(receiver.accepted()[0]!.body);
    expect(event).toMatchObject({ type: "user.created", tenant: "acme", resource: { type: "User", id: created.body.id }, data: { user: { userName: "dana@example.com" } } });
  }, 60_000);

  it("sends its own commits at once, with polling turned off", async () => {
    receiver = await startReceiver();
    await webhookTo(`${receiver.url}/hook`);
    const { token } = await createToken(store, tenant, "cli", "okta");
    const roster = await serve({ ROSTER_WEBHOOK_POLL_MS: "3600000" });
    // Its first turn found nothing; it sleeps for an hour unless a commit wakes it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const created = await scimFetch(`${roster.url}/scim/v2/acme/Users`, token, { body: { schemas: [USER_SCHEMA], userName: "fox@example.com", active: true } });
    expect(created.status).toBe(201);
    await receiver.waitFor("the event of the process's own commit", () => receiver!.accepted().length === 1);
    expect(JSON.parse(receiver.accepted()[0]!.body)).toMatchObject({ type: "user.created", resource: { id: created.body.id } });
  }, 60_000);

  it("delivers, without a restart, to a webhook `roster webhooks create` made in another process after it started, signed with the printed secret", async () => {
    const { token } = await createToken(store, tenant, "cli", "okta");
    const roster = await serve();
    receiver = await startReceiver();
    const env = cliEnv({ ROSTER_DATABASE_URL: databaseUrl, ROSTER_SECRET_KEY: keyText, ROSTER_WEBHOOK_ALLOW_PRIVATE: LOOPBACK_ALLOWED });
    const made = await runRoster(["webhooks", "create", "--tenant", "acme", "--url", `${receiver.url}/later`, "--json"], env);
    expect(made, made.stderr).toMatchObject({ code: 0, stderr: "" });
    const { secret } = JSON.parse(made.stdout.trimEnd().split("\n").pop()!) as { secret: string };
    const created = await scimFetch(`${roster.url}/scim/v2/acme/Users`, token, { body: { schemas: [USER_SCHEMA], userName: "late@example.com", active: true } });
    expect(created.status).toBe(201);
    await receiver.waitFor("the event of a webhook created after the server started", () => receiver!.accepted("/later").length === 1);
    const request = receiver.accepted("/later")[0]!;
    expect(new Webhook(secret).verify(request.body, request.headers)).toMatchObject({ type: "user.created", resource: { type: "User", id: created.body.id } });
  }, 60_000);

  it("says in the CLI's output and the server's log that a process started without ROSTER_SECRET_KEY sends nothing until restarted with it, and sends nothing", async () => {
    const { token } = await createToken(store, tenant, "cli", "okta");
    const roster = await serve({ ROSTER_SECRET_KEY: "" });
    receiver = await startReceiver();
    const made = await runRoster(["webhooks", "create", "--tenant", "acme", "--url", `${receiver.url}/keyless`], cliEnv({ ROSTER_DATABASE_URL: databaseUrl, ROSTER_SECRET_KEY: keyText, ROSTER_WEBHOOK_ALLOW_PRIVATE: LOOPBACK_ALLOWED }));
    expect(made, made.stderr).toMatchObject({ code: 0, stderr: "" });
    // The CLI says plainly what a running server needs.
    expect(made.stdout).toContain("a `roster serve` started without ROSTER_SECRET_KEY sends nothing until it is restarted with this key");
    const id = /Created webhook (\S+)/.exec(made.stdout)?.[1] ?? "";
    const created = await scimFetch(`${roster.url}/scim/v2/acme/Users`, token, { body: { schemas: [USER_SCHEMA], userName: "keyless@example.com", active: true } });
    expect(created.status).toBe(201);
    await eventually("the keyless server's warning", async () => roster.output(), (output) => output.includes("has no ROSTER_SECRET_KEY"));
    expect(roster.output()).toContain("restart it with the ROSTER_SECRET_KEY the webhooks were created with");
    expect(await deliveries(id)).toEqual([expect.objectContaining({ status: "pending", attempts: 0 })]);
    expect(receiver.requests).toEqual([]);
  }, 60_000);
});
