import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { EVENT_TYPES, type FeedEvent } from "../../src/events/event-types.js";
import { scimUser } from "../api/support.js";
import { type EventsRoster, groupBody, PATCH_OP, startEventsRoster } from "./support.js";

const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

const PROFILE = `
attributes:
  role:
    type: string
roles:
  fromAttribute: role
  fromGroups:
    matchDeclaredRoles: false
    mappings:
      Okta-Admins: Administrator
`;

/** The JSON example under each "### `type`" heading of docs/events.md. */
function documentedExamples(): Map<string, unknown> {
  const text = readFileSync(new URL("../../docs/events.md", import.meta.url), "utf8");
  const examples = new Map<string, unknown>();
  for (const match of text.matchAll(/^### `([a-z_.]+)`\n[\s\S]*?```json\n([\s\S]*?)```/gm)) examples.set(match[1]!, JSON.parse(match[2]!));
  return examples;
}

/** The structure of a JSON value: object keys (recursively), array element structures, and primitive types. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shape(value[0])];
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, shape(inner)]));
  return value === null ? "null" : typeof value;
}

let roster: EventsRoster;
const seen = new Map<string, FeedEvent>();

beforeAll(async () => {
  roster = await startEventsRoster();
  // A mapping's target role must be one the application declared.
  expect((await roster.api("/roles", { method: "PUT", body: ["Administrator"] })).status).toBe(200);
  await setTenantProfile(roster.roster.store, "acme", PROFILE, "acme.yaml");
  const patch = async (path: string, operations: unknown[]) => {
    const answer = await roster.acme.scim(path, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: operations } });
    expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
  };
  const start = await roster.cursor();
  const dana = await roster.acme.scim("/Users", {
    body: scimUser("dana@example.com", {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
      displayName: "Dana Scully",
      externalId: "00u1dana",
      role: "Mechanic",
      timezone: "America/New_York",
      title: "Special Agent",
      locale: "en-US",
      preferredLanguage: "en",
      phoneNumbers: [{ value: "+1 202 555 0100", type: "work", primary: true }],
      addresses: [{ streetAddress: "935 Pennsylvania Avenue NW", locality: "Washington", region: "DC", postalCode: "20535", country: "US", type: "work", primary: true }],
      [ENTERPRISE]: { employeeNumber: "1013", costCenter: "X-0", organization: "FBI", division: "Criminal Investigative", department: "X-Files", manager: { value: "00u1skinner" } },
    }),
  });
  const id = dana.body.id as string;
  await patch(`/Users/${id}`, [{ op: "replace", path: "displayName", value: "Dana K. Scully" }]);
  await patch(`/Users/${id}`, [{ op: "replace", value: { active: false } }]);
  await patch(`/Users/${id}`, [{ op: "replace", value: { active: true } }]);
  const group = await roster.acme.scim("/Groups", { body: groupBody("Okta-Admins", [id], { externalId: "00g1admins" }) });
  await patch(`/Groups/${group.body.id}`, [{ op: "replace", path: "displayName", value: "Field agents" }]);
  await patch(`/Groups/${group.body.id}`, [{ op: "remove", path: `members[value eq "${id}"]` }]);
  await roster.acme.scim(`/Groups/${group.body.id}`, { method: "DELETE" });
  await roster.acme.scim(`/Users/${id}`, { method: "DELETE" });
  for (const event of await roster.eventsAfter(start)) if (!seen.has(event.type)) seen.set(event.type, event);
  // ROSTER_WRITE_EVENT_EXAMPLES=<file> writes the events this test saw, for docs/events.md.
  const file = process.env["ROSTER_WRITE_EVENT_EXAMPLES"];
  if (file !== undefined && file !== "") writeFileSync(file, JSON.stringify(Object.fromEntries(seen), null, 2));
});
afterAll(() => roster.close());

describe("the event catalogue (docs/events.md)", () => {
  it("sees every event type in one user's and one group's life", () => {
    expect([...seen.keys()].sort()).toEqual([...EVENT_TYPES].sort());
  });

  it.each(EVENT_TYPES.map((type) => [type]))("documents %s with an example of the shape Roster sends", (type) => {
    const documented = documentedExamples().get(type);
    expect(documented, `docs/events.md has no example for ${type}`).toBeDefined();
    expect(shape(documented)).toEqual(shape(seen.get(type)));
  });
});
