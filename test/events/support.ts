import { expect } from "vitest";
import type { FeedEvent } from "../../src/events/event-types.js";
import { type ApiRoster, startApiRoster } from "../api/support.js";

export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

export const UUID = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
export const TIMESTAMP = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

export interface EventsRoster extends ApiRoster {
  /** The feed's position now: what `eventsAfter` continues from. */
  cursor(): Promise<string>;
  /** Every event of tenant "acme" after `cursor`, paging through GET events (`limit` per page). */
  eventsAfter(cursor: string | undefined, limit?: number): Promise<FeedEvent[]>;
  /** The user as GET users/<id> answers it. */
  appUser(id: string): Promise<any>;
  /** The group as GET groups/<id> answers it. */
  appGroup(id: string): Promise<any>;
  /** Runs `action` and returns the events it recorded. */
  eventsOf(action: () => Promise<unknown>): Promise<FeedEvent[]>;
}

/** Pages through the feed from `after` (the oldest kept event when undefined) until a page is empty; bounded. */
export async function readWholeFeed(roster: ApiRoster, after: string | undefined, limit = 1000): Promise<{ events: FeedEvent[]; cursor: string }> {
  const events: FeedEvent[] = [];
  let cursor = after;
  for (let page = 0; page < 10_000; page += 1) {
    const query = new URLSearchParams({ limit: String(limit), ...(cursor === undefined ? {} : { after: cursor }) });
    const answer = await roster.api(`/events?${query}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    events.push(...(answer.body.data as FeedEvent[]));
    const next = answer.body.nextCursor as string;
    if (answer.body.data.length === 0) return { events, cursor: next };
    cursor = next;
  }
  throw new Error(`the feed did not end after 10,000 pages of ${limit}`);
}

/** A real Roster (per ROSTER_TEST_DATABASE) with tenant "acme", its SCIM token and an API key, plus feed helpers. */
export async function startEventsRoster(): Promise<EventsRoster> {
  const roster = await startApiRoster();
  const self: EventsRoster = {
    ...roster,
    cursor: async () => (await readWholeFeed(roster, undefined)).cursor,
    eventsAfter: async (cursor, limit) => (await readWholeFeed(roster, cursor, limit)).events,
    async appUser(id) {
      const answer = await roster.api(`/users/${id}`);
      expect(answer.status).toBe(200);
      return answer.body;
    },
    async appGroup(id) {
      const answer = await roster.api(`/groups/${id}`);
      expect(answer.status).toBe(200);
      return answer.body;
    },
    async eventsOf(action) {
      const mark = await self.cursor();
      await action();
      return self.eventsAfter(mark);
    },
  };
  return self;
}

/** The envelope every event has, around `type`, `resource` and `data`. */
export function anEvent(type: string, resource: { type: "User" | "Group"; id: string }, data: unknown): Record<string, unknown> {
  return { id: UUID, type, tenant: "acme", occurredAt: TIMESTAMP, resource, data, sequence: expect.any(Number) };
}

export function groupBody(displayName: string, members: readonly string[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { schemas: [GROUP_SCHEMA], displayName, members: members.map((value) => ({ value })), ...extra };
}
