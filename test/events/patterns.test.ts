import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../src/events/event-types.js";
import { eventTypeMatches, parseEventPatterns } from "../../src/events/patterns.js";

describe("event type patterns", () => {
  it.each([
    [["*"], EVENT_TYPES],
    [["user.*"], ["user.created", "user.updated", "user.deactivated", "user.reactivated", "user.deleted"]],
    [["group.*"], ["group.created", "group.updated", "group.deleted", "group.member_added", "group.member_removed"]],
    [["role.*", "user.deleted"], ["user.deleted", "role.granted", "role.revoked"]],
    [["group.member_added"], ["group.member_added"]],
  ] as const)("%j selects %j", (patterns, selected) => {
    expect(parseEventPatterns(patterns, "events")).toEqual({ ok: true, value: patterns });
    expect(EVENT_TYPES.filter((type) => eventTypeMatches(patterns, type))).toEqual(selected);
  });

  it("drops duplicates and keeps the order", () => {
    expect(parseEventPatterns(["user.*", "group.*", "user.*"], "events")).toEqual({ ok: true, value: ["user.*", "group.*"] });
  });

  it.each([
    [[], /^events: give at least one event type pattern: \*, user\.\*, group\.\*, role\.\* or an event type \(user\.created, /],
    [["user.create"], /^events: "user\.create" is not an event type pattern; expected \*, user\.\*/],
    [["users.*"], /"users\.\*" is not an event type pattern/],
    [["*.created"], /"\*\.created" is not an event type pattern/],
    [["User.created"], /"User\.created" is not an event type pattern/],
    [[""], /"" is not an event type pattern/],
    [[42], /^events\[0\]: expected a string, got 42$/],
  ])("refuses %j with a message that names it", (patterns, message) => {
    const result = parseEventPatterns(patterns, "events");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issue).toMatch(message);
  });
});
