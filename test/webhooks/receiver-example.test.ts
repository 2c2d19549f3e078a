import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Dispatcher, startDispatcher } from "../../src/events/dispatcher.js";
import { createWebhook, listWebhookDeliveries, replayWebhook } from "../../src/events/webhooks.js";
import { webhookHeaders } from "../../src/events/signature.js";
import { startTestRoster, type TestRoster } from "../helpers/roster.js";
import { appendTestEvents, eventually, fastSettings, LOOPBACK_RECEIVERS, newKey } from "./support.js";

// Runs examples/webhook-receiver.ts — the very file docs/webhooks.md shows — against real deliveries.

const ROOT = join(import.meta.dirname, "..", "..");
const EXAMPLE = join(ROOT, "examples", "webhook-receiver.ts");

let roster: TestRoster;
let example: ChildProcess | undefined;
let dispatcher: Dispatcher | undefined;
let output = "";

beforeEach(async () => {
  roster = await startTestRoster();
  output = "";
});

afterEach(async () => {
  await dispatcher?.close();
  if (example !== undefined && example.exitCode === null && example.signalCode === null) {
    const exited = new Promise((resolve) => example?.once("exit", resolve));
    example.kill("SIGKILL");
    await exited;
  }
  await roster.close();
});

/** A port nothing listens on yet: the receiver must be told its URL before it starts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startExample(secret: string, port: number): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", EXAMPLE], {
    cwd: ROOT,
    env: { ...process.env, WEBHOOK_SECRET: secret, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  example = child;
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  await eventually("the example receiver listening", async () => output, (text) => text.includes(`listening on http://127.0.0.1:${port}`) || child.exitCode !== null);
  if (child.exitCode !== null) throw new Error(`the example exited ${child.exitCode}: ${output}`);
}

describe("examples/webhook-receiver.ts", () => {
  it("is shown whole in docs/webhooks.md", () => {
    const docs = readFileSync(join(ROOT, "docs", "webhooks.md"), "utf8");
    expect(docs).toContain("```ts\n" + readFileSync(EXAMPLE, "utf8") + "```\n");
  });

  it("verifies and applies real deliveries, drops a replayed duplicate and rejects a forged one", async () => {
    const { tenant } = await roster.addTenant("acme");
    const key = newKey();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/roster-events`;
    const webhook = await createWebhook(roster.store, tenant, "cli", { url }, key, LOOPBACK_RECEIVERS);
    await startExample(webhook.secret, port);

    const events = await appendTestEvents(roster.store, tenant, [
      { type: "user.created", resourceId: "u1" },
      { type: "group.created", resourceId: "g1" },
      { type: "user.deactivated", resourceId: "u1" },
    ]);
    dispatcher = startDispatcher({ store: roster.store, key, settings: fastSettings() });
    const [created, group, deactivated] = events;
    const lines = [
      `upsert user u1 (user.created, event ${created!.id})`,
      `group.created Group g1 (event ${group!.id})`,
      `block user u1 (user.deactivated, event ${deactivated!.id})`,
    ];
    await eventually("the example applying the 3 events", async () => output, (text) => lines.every((line) => text.includes(line)));
    expect(output.indexOf(lines[0]!)).toBeLessThan(output.indexOf(lines[2]!));
    const stored = await eventually(
      "3 succeeded deliveries",
      () => listWebhookDeliveries(roster.store, tenant, webhook.id, { limit: 10, status: "succeeded" }),
      (page) => page.data.length === 3,
    );
    expect(stored.data.map((d) => d.lastStatus)).toEqual([204, 204, 204]);

    await replayWebhook(roster.store, tenant, "cli", webhook.id, String(stored.data[2]!.eventSequence - 1));
    await eventually("the example dropping the replayed events", async () => output, (text) => text.includes(`duplicate ${created!.id}: already applied`));

    const body = JSON.stringify({ id: "forged", type: "user.deleted", resource: { type: "User", id: "u1" } });
    const forged = await fetch(url, { method: "POST", headers: { ...webhookHeaders("whsec_" + Buffer.alloc(32, 1).toString("base64"), "forged", new Date(), body) }, body });
    expect(forged.status).toBe(401);
    expect(await forged.text()).toBe("signature rejected: No matching signature found");
    expect(output).not.toContain("block user u1 (user.deleted");
  });
});
