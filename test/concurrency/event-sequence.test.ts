import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import type { FeedEvent } from "../../src/events/event-types.js";
import { apiFetch } from "../api/support.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";
import { PATCH_OP, USER_SCHEMA } from "./support.js";

// Concurrent writers of one tenant get unique, gap-free event numbers in commit order
// (ADR 0026), and a reader polling the feed meanwhile never skips one: it ends up with the
// whole feed, in order. Another tenant writing at the same time changes none of it.
// SQLite (one writer, group commit) or PostgreSQL (a pool of connections).

const WRITERS = 40;

let roster: TestRoster;
let tenants: { scim: TestTenant; key: string }[];

beforeAll(async () => {
  roster = await startTestRoster();
  tenants = [];
  for (const slug of ["busy", "neighbour"]) {
    const scim = await roster.addTenant(slug);
    tenants.push({ scim, key: (await createApiKey(roster.store, scim.tenant, "test")).key });
  }
});
afterAll(() => roster?.close());

async function feedPage(tenant: { scim: TestTenant; key: string }, after: string | undefined): Promise<{ data: FeedEvent[]; nextCursor: string }> {
  const answer = await apiFetch(`${roster.url}/api/v1/tenants/${tenant.scim.tenant.slug}/events?limit=1000${after === undefined ? "" : `&after=${after}`}`, tenant.key);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

describe("event sequence under concurrent writers", () => {
  it("gives one tenant's concurrent writes gap-free numbers in commit order, and a polling reader misses none", async () => {
    const [busy, neighbour] = tenants as [(typeof tenants)[0], (typeof tenants)[0]];
    let writing = true;
    const polled: FeedEvent[] = [];
    const poll = (async () => {
      let cursor: string | undefined;
      // Bounded: stops once the writers are done and a page came back empty.
      for (let round = 0; round < 100_000; round += 1) {
        const done = !writing;
        const page = await feedPage(busy, cursor);
        polled.push(...page.data);
        cursor = page.nextCursor;
        if (done && page.data.length === 0) return;
      }
      throw new Error("the poller did not finish");
    })();

    const writes = Array.from({ length: WRITERS }, async (_, i) => {
      const created = await busy.scim.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: `busy${i}@example.com`, active: true } });
      expect(created.status).toBe(201);
      const patched = await busy.scim.scim(`/Users/${created.body.id}`, {
        method: "PATCH",
        body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: `Busy ${i}` }] },
      });
      expect(patched.status).toBe(200);
      // A failed write in between leaves no number behind.
      const clash = await busy.scim.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: `BUSY${i}@example.com` } });
      expect(clash.status).toBe(409);
      return created.body.id as string;
    });
    const neighbours = Array.from({ length: WRITERS }, async (_, i) => {
      const created = await neighbour.scim.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: `n${i}@example.com` } });
      expect(created.status).toBe(201);
    });
    const ids = await Promise.all(writes);
    await Promise.all(neighbours);
    writing = false;
    await poll;

    const whole = (await feedPage(busy, "0")).data;
    expect(whole.map((event) => event.sequence)).toEqual(Array.from({ length: 2 * WRITERS }, (_, i) => i + 1));
    // Each user's creation comes before its update.
    for (const id of ids) {
      const mine = whole.filter((event) => event.resource.id === id).map((event) => event.type);
      expect(mine).toEqual(["user.created", "user.updated"]);
    }
    expect(polled.map((event) => event.id)).toEqual(whole.map((event) => event.id));
    expect((await feedPage(neighbour, "0")).data.map((event) => event.sequence)).toEqual(Array.from({ length: WRITERS }, (_, i) => i + 1));
  });
});
