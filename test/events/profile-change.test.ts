import { writeFile } from "node:fs/promises";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { scimUser } from "../api/support.js";
import { assertBuilt, cliEnv, runRoster } from "../cli/run-cli.js";
import { anEvent, type EventsRoster, groupBody, PATCH_OP, startEventsRoster } from "./support.js";

// The profile changed by `roster tenants update` in another process (the spawned CLI) while
// this process serves: the events of the change, and those of the server's next writes,
// follow the new profile at once (issue 19), on SQLite and PostgreSQL alike.

const WITHOUT_MAPPING = `
attributes:
  role:
    type: string
roles:
  fromGroups:
    matchDeclaredRoles: true
`;

const WITH_MAPPING = `
attributes:
  role:
    type: string
roles:
  fromGroups:
    matchDeclaredRoles: true
    mappings:
      Okta-Admins: Fleet Admin
`;

let roster: EventsRoster;
let dir: string;
beforeAll(async () => {
  assertBuilt();
  roster = await startEventsRoster();
  dir = mkdtempSync(join(tmpdir(), "roster-profile-change-"));
  expect((await roster.api("/roles", { method: "PUT", body: ["Fleet Admin", "Driver"] })).status).toBe(200);
});
afterAll(async () => {
  await roster.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await setTenantProfile(roster.roster.store, "acme", WITHOUT_MAPPING, "acme.yaml");
});

/** `roster tenants update acme --profile <source>` in a process of its own, on the server's database. */
async function updateProfileElsewhere(source: string): Promise<void> {
  const file = join(dir, `profile-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, source);
  const result = await runRoster(["tenants", "update", "acme", "--profile", file], cliEnv({ ROSTER_DATABASE_URL: roster.roster.databaseUrl }));
  expect(result, result.stderr).toMatchObject({ code: 0, stderr: "" });
}

const FROM_ATTRIBUTE = `
attributes:
  role:
    type: string
roles:
  fromAttribute: role
  fromGroups:
    matchDeclaredRoles: true
`;

let serial = 0;
async function createUser(extra: Record<string, unknown> = {}): Promise<string> {
  serial += 1;
  const created = await roster.acme.scim("/Users", { body: scimUser(`change${serial}@acme.example`, extra) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

async function createGroup(displayName: string, members: readonly string[]): Promise<string> {
  const created = await roster.acme.scim("/Groups", { body: groupBody(displayName, members) });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

describe("a profile changed by another process", () => {
  it("makes this server's next write record the role the new mapping grants", async () => {
    const first = await createUser();
    const group = await createGroup("Okta-Admins", [first]);
    expect((await roster.appUser(first)).roles).toEqual([]);
    await updateProfileElsewhere(WITH_MAPPING);
    const second = await createUser();
    const events = await roster.eventsOf(async () => {
      const answer = await roster.acme.scim(`/Groups/${group}`, {
        method: "PATCH",
        body: { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: second }] }] },
      });
      expect(answer.status).toBe(204);
    });
    const user = await roster.appUser(second);
    expect(user.roles).toEqual(["Fleet Admin"]);
    expect(events.map((event) => event.type)).toEqual(["group.member_added", "role.granted"]);
    expect(events[1]).toEqual(anEvent("role.granted", { type: "User", id: second }, { user, role: "Fleet Admin" }));
  });

  it("records role.granted for the members of a newly mapped group when the mapping is added, and role.revoked when it is removed", async () => {
    const member = await createUser();
    await createGroup("Okta-Admins", [member]);
    const granted = await roster.eventsOf(() => updateProfileElsewhere(WITH_MAPPING));
    const user = await roster.appUser(member);
    expect(user.roles).toEqual(["Fleet Admin"]);
    expect(granted.filter((event) => event.resource.id === member)).toEqual([anEvent("role.granted", { type: "User", id: member }, { user, role: "Fleet Admin" })]);
    const revoked = await roster.eventsOf(() => updateProfileElsewhere(WITHOUT_MAPPING));
    const after = await roster.appUser(member);
    expect(after.roles).toEqual([]);
    expect(revoked.filter((event) => event.resource.id === member)).toEqual([anEvent("role.revoked", { type: "User", id: member }, { user: after, role: "Fleet Admin" })]);
  });

  it("records role.granted for every user whose role attribute the new profile reads, and role.revoked when it stops reading it", async () => {
    const driver = await createUser({ role: "Driver" });
    const nobody = await createUser();
    const granted = await roster.eventsOf(() => updateProfileElsewhere(FROM_ATTRIBUTE));
    const user = await roster.appUser(driver);
    expect(user.roles).toEqual(["Driver"]);
    expect(granted.filter((event) => event.resource.id === driver)).toEqual([anEvent("role.granted", { type: "User", id: driver }, { user, role: "Driver" })]);
    expect(granted.filter((event) => event.resource.id === nobody)).toEqual([]);
    const revoked = await roster.eventsOf(() => updateProfileElsewhere(WITHOUT_MAPPING));
    const after = await roster.appUser(driver);
    expect(after.roles).toEqual([]);
    expect(revoked.filter((event) => event.resource.id === driver)).toEqual([anEvent("role.revoked", { type: "User", id: driver }, { user: after, role: "Driver" })]);
  });
});
