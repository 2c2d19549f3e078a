import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditEntry } from "../../src/store/store.js";
import { LOOPBACK_RECEIVERS, newKey } from "../webhooks/support.js";
import { type ApiRoster, startApiRoster } from "./support.js";

// Webhook and list changes through the management API are recorded in the audit log, once
// each, with the API key that made them; a refused change records nothing. SQLite or PostgreSQL.

let t: ApiRoster;
let actor: string;
let auditedBefore: number;
beforeEach(async () => {
  t = await startApiRoster({ secretKey: newKey(), webhookDestinations: LOOPBACK_RECEIVERS });
  const keyId = (await t.roster.store.read((s) => s.listApiKeys())).find((k) => k.name === "test")?.id;
  expect(keyId).toEqual(expect.any(String));
  actor = `apikey:${keyId ?? ""}`;
  auditedBefore = (await t.roster.store.read((s) => s.listAuditEntries({ limit: 1 })))[0]?.seq ?? 0;
});
afterEach(() => t.close());

/** The audit entries the test made, oldest first, with their details parsed. */
async function audited(): Promise<{ entry: AuditEntry; details: unknown }[]> {
  const entries = await t.roster.store.read((s) => s.listAuditEntries({ tenantId: t.acme.tenant.id, limit: 100 }));
  return entries
    .filter((entry) => entry.seq > auditedBefore)
    .reverse()
    .map((entry) => ({ entry, details: entry.details === null ? null : JSON.parse(entry.details) }));
}

async function expectOneMore(before: number, action: string, target: string, details: unknown): Promise<void> {
  const entries = await audited();
  expect(entries).toHaveLength(before + 1);
  expect(entries[before]?.entry).toMatchObject({ action, target, actor, tenantId: t.acme.tenant.id, tenantSlug: "acme" });
  expect(entries[before]?.details).toEqual(details);
}

describe("audit log of webhook changes", () => {
  it("records create, update, replay and delete once each, never with the signing secret", async () => {
    const url = "https://app.example.com/roster-events";
    const created = await t.api("/webhooks", { body: { url, events: ["user.*"] } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await expectOneMore(0, "webhook.created", id, { after: { url, events: ["user.*"], enabled: true } });

    expect((await t.api(`/webhooks/${id}`, { method: "PATCH", body: { enabled: false } })).status).toBe(200);
    await expectOneMore(1, "webhook.updated", id, { before: { enabled: true }, after: { enabled: false } });
    // Setting what is already set changes nothing, and records nothing.
    expect((await t.api(`/webhooks/${id}`, { method: "PATCH", body: { enabled: false } })).status).toBe(200);
    expect(await audited()).toHaveLength(2);

    const replayed = await t.api(`/webhooks/${id}/replay`, { body: { since: "0" } });
    expect(replayed.status).toBe(200);
    await expectOneMore(2, "webhook.replayed", id, { after: { since: "0", deliveries: 0, after: "0", through: "0", complete: true } });

    expect((await t.api(`/webhooks/${id}`, { method: "DELETE" })).status).toBe(204);
    await expectOneMore(3, "webhook.deleted", id, { before: { url, events: ["user.*"], enabled: false } });

    for (const { entry } of await audited()) expect(entry.details).not.toContain(created.body.secret);
  });

  it("records nothing for a refused webhook change", async () => {
    const created = await t.api("/webhooks", { body: { url: "https://app.example.com/hook" } });
    const id = created.body.id as string;
    const count = (await audited()).length;
    expect(count).toBe(1);
    for (const [path, method, body, status] of [
      ["/webhooks", "POST", { url: "ftp://app.example.com/hook" }, 400],
      ["/webhooks", "POST", { url: "https://app.example.com/hook", secret: "mine" }, 400],
      [`/webhooks/${id}`, "PATCH", { enabled: "no" }, 400],
      ["/webhooks/no-such-webhook", "PATCH", { enabled: false }, 404],
      [`/webhooks/${id}/replay`, "POST", { since: "99" }, 400],
      ["/webhooks/no-such-webhook", "DELETE", undefined, 404],
    ] as const) {
      const response = await t.api(path, { method, ...(body === undefined ? {} : { body }) });
      expect(response.status, `${method} ${path}`).toBe(status);
    }
    expect(await audited()).toHaveLength(count);
  });
});

describe("audit log of list changes", () => {
  it("records each change of roles and of a named list with the entries before and after", async () => {
    expect((await t.api("/roles", { method: "PUT", body: ["Mechanic", "Driver"] })).status).toBe(200);
    await expectOneMore(0, "list.updated", "roles", { before: null, after: ["Mechanic", "Driver"] });
    expect((await t.api("/roles", { method: "PUT", body: ["Mechanic"] })).status).toBe(200);
    await expectOneMore(1, "list.updated", "roles", { before: ["Mechanic", "Driver"], after: ["Mechanic"] });
    // PUT lists/roles is the same list.
    expect((await t.api("/lists/roles", { method: "PUT", body: [] })).status).toBe(200);
    await expectOneMore(2, "list.updated", "roles", { before: ["Mechanic"], after: [] });
    expect((await t.api("/lists/record_sets", { method: "PUT", body: ["north", "south"] })).status).toBe(200);
    await expectOneMore(3, "list.updated", "record_sets", { before: null, after: ["north", "south"] });
  });

  it("records nothing when a list is put unchanged or refused", async () => {
    await t.api("/roles", { method: "PUT", body: ["Mechanic"] });
    expect(await audited()).toHaveLength(1);
    expect((await t.api("/roles", { method: "PUT", body: ["Mechanic"] })).status).toBe(200);
    for (const [path, body] of [
      ["/roles", ["Mechanic", "Mechanic"]],
      ["/roles", [""]],
      ["/lists/Bad-Name", ["x"]],
      ["/roles", { Mechanic: true }],
    ] as const) {
      expect((await t.api(path, { method: "PUT", body })).status, `${path} ${JSON.stringify(body)}`).toBe(400);
    }
    expect(await audited()).toHaveLength(1);
  });
});
