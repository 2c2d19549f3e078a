import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newTimeOrderedId } from "../../src/directory/ids.js";
import { recordEvents } from "../../src/events/record-events.js";
import { scimUser } from "../api/support.js";
import { type EventsRoster, startEventsRoster } from "./support.js";

let roster: EventsRoster;
beforeAll(async () => {
  roster = await startEventsRoster();
});
afterAll(() => roster.close());

describe("onEventsCommitted", () => {
  it("tells a listener the tenant after each commit that appended events, never for reads or refused writes", async () => {
    const store = roster.roster.server.store;
    const heard: string[] = [];
    const stop = store.onEventsCommitted((tenantId) => heard.push(tenantId));
    try {
      const created = await roster.acme.scim("/Users", { body: scimUser("heard@acme.example") });
      expect(created.status).toBe(201);
      expect(heard).toEqual([roster.acme.tenant.id]);
      expect((await roster.acme.scim(`/Users/${created.body.id}`)).status).toBe(200);
      expect((await roster.acme.scim("/Users", { body: scimUser("heard@acme.example") })).status).toBe(409);
      expect(heard).toEqual([roster.acme.tenant.id]);
    } finally {
      stop();
    }
    expect((await roster.acme.scim("/Users", { body: scimUser("unheard@acme.example") })).status).toBe(201);
    expect(heard).toHaveLength(1);
  });

  it("keeps the write committed and answered when a listener throws", async () => {
    const stop = roster.roster.server.store.onEventsCommitted(() => {
      throw new Error("listener bug");
    });
    try {
      const created = await roster.acme.scim("/Users", { body: scimUser("thrown@acme.example") });
      expect(created.status).toBe(201);
      const events = await roster.eventsAfter(undefined);
      expect(events.at(-1)).toMatchObject({ type: "user.created", resource: { id: created.body.id } });
    } finally {
      stop();
    }
  });

  it("wraps a store once: recordEvents of a recording store is that store", () => {
    const store = roster.roster.server.store;
    expect(recordEvents(store)).toBe(store);
  });
});

describe("event ids", () => {
  it("are UUIDv7: version 7, RFC 9562 variant, ordered by time", () => {
    const ids = [newTimeOrderedId(1_700_000_000_000), newTimeOrderedId(1_700_000_000_001), newTimeOrderedId(1_800_000_000_000)];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]!.replace(/-/g, "").slice(0, 12)).toBe((1_700_000_000_000).toString(16).padStart(12, "0"));
    expect(new Set(Array.from({ length: 1000 }, () => newTimeOrderedId(5))).size).toBe(1000);
  });
});
