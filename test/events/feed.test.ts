import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { pruneExpiredEvents } from "../../src/events/retention.js";
import { apiFetch, scimUser } from "../api/support.js";
import { type EventsRoster, readWholeFeed, startEventsRoster } from "./support.js";

let roster: EventsRoster;
let ids: string[];
beforeAll(async () => {
  roster = await startEventsRoster();
  ids = [];
  for (let i = 0; i < 5; i += 1) {
    const created = await roster.acme.scim("/Users", { body: scimUser(`feed${i}@acme.example`) });
    expect(created.status).toBe(201);
    ids.push(created.body.id);
  }
});
afterAll(() => roster.close());

const error = (code: string) => ({ error: { code, message: expect.any(String) } });

describe("GET /api/v1/tenants/<slug>/events", () => {
  it("pages in commit order with after and limit; nextCursor is the last sequence and stays put on an empty page", async () => {
    const first = await roster.api("/events?limit=2");
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toContain("application/json");
    expect(first.body.data.map((event: { resource: { id: string } }) => event.resource.id)).toEqual(ids.slice(0, 2));
    expect(first.body.nextCursor).toBe(String(first.body.data[1].sequence));

    const second = await roster.api(`/events?after=${first.body.nextCursor}&limit=2`);
    expect(second.body.data.map((event: { resource: { id: string } }) => event.resource.id)).toEqual(ids.slice(2, 4));
    const third = await roster.api(`/events?after=${second.body.nextCursor}`);
    expect(third.body.data.map((event: { resource: { id: string } }) => event.resource.id)).toEqual(ids.slice(4));
    const empty = await roster.api(`/events?after=${third.body.nextCursor}`);
    expect(empty.body).toEqual({ data: [], nextCursor: third.body.nextCursor });

    // Polling from the last cursor sees what is committed next, and only that.
    const later = await roster.acme.scim("/Users", { body: scimUser("feed-later@acme.example") });
    const polled = await roster.api(`/events?after=${empty.body.nextCursor}`);
    expect(polled.body.data.map((event: { type: string; resource: { id: string } }) => [event.type, event.resource.id])).toEqual([["user.created", later.body.id]]);
  });

  it("lists each event exactly as stored, plus its sequence", async () => {
    const page = await roster.api("/events?limit=1");
    const event = page.body.data[0];
    const stored = await roster.roster.store.transaction((session) => session.listEvents(roster.acme.tenant.id, 0, 1));
    expect(event).toEqual({ ...JSON.parse(stored[0]!.data), sequence: stored[0]!.seq });
    expect(Object.keys(event)).toEqual(["id", "type", "tenant", "occurredAt", "resource", "data", "sequence"]);
  });

  it.each([
    ["after=abc", "invalidCursor"],
    ["after=-1", "invalidCursor"],
    ["after=1&after=2", "invalidCursor"],
    ["after=999999999", "invalidCursor"],
    ["limit=0", "invalidRequest"],
    ["limit=1001", "invalidRequest"],
    ["limit=ten", "invalidRequest"],
  ])("answers 400 for %s", async (query, code) => {
    const answer = await roster.api(`/events?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual(error(code));
  });

  it("says what was wrong with a cursor", async () => {
    expect((await roster.api("/events?after=abc")).body.error.message).toBe(
      'after: "abc" is not a cursor of the event feed; pass a nextCursor (or an event\'s sequence) unchanged',
    );
  });

  it("shows a tenant its own events only; another tenant's key is refused", async () => {
    const globex = await roster.roster.addTenant("globex");
    const { key } = await createApiKey(roster.roster.store, globex.tenant, "globex");
    expect((await globex.scim("/Users", { body: scimUser("g@globex.example") })).status).toBe(201);
    const own = await apiFetch(`${roster.roster.url}/api/v1/tenants/globex/events`, key);
    expect(own.body.data.map((event: { tenant: string; type: string }) => [event.tenant, event.type])).toEqual([["globex", "user.created"]]);
    const other = await apiFetch(`${roster.roster.url}/api/v1/tenants/acme/events`, key);
    expect(other.status).toBe(403);
    const acme = await readWholeFeed(roster, undefined);
    expect(acme.events.every((event) => event.tenant === "acme")).toBe(true);
  });

  it("answers 410 cursorExpired for a cursor older than retention kept, and reads from the oldest kept event without after", async () => {
    const before = await readWholeFeed(roster, undefined);
    const removed = await pruneExpiredEvents(roster.roster.store, 1, new Date(Date.now() + 2 * 86_400_000));
    expect(removed).toBeGreaterThanOrEqual(before.events.length);
    const expired = await roster.api("/events?after=0");
    expect(expired.status).toBe(410);
    expect(expired.body).toEqual(error("cursorExpired"));
    expect(expired.body.error.message).toContain(`after: events up to ${before.cursor} were removed by retention`);
    const fromOldest = await roster.api("/events");
    expect(fromOldest.body).toEqual({ data: [], nextCursor: before.cursor });
    expect((await roster.api(`/events?after=${before.cursor}`)).status).toBe(200);
    const next = await roster.acme.scim("/Users", { body: scimUser("after-prune@acme.example") });
    const after = await readWholeFeed(roster, undefined);
    expect(after.events.map((event) => event.resource.id)).toEqual([next.body.id]);
  });
});
