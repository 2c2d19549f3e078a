import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_DIALECT } from "../../src/store/sql/dialect-postgres.js";
import { migrationProvider } from "../../src/store/sql/migrations/index.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";
import { type RosterProcess, type Scim, inBatches, startRosterProcess, tenantOnProcesses } from "./multi-process.js";
import { caseVariant, GROUP_SCHEMA, PATCH_OP, tally, USER_SCHEMA } from "./support.js";

// Two `roster serve` processes on one PostgreSQL database, requests spread over both (issue 3).
const available = await postgresAvailable();
const MEMBERS = 1000;
/** PATCHes in flight at once, as in group-members.test.ts (why: there): 200 were 503 on an overloaded machine. */
const IN_FLIGHT = 40;

describe.skipIf(!available)("two Roster processes on one PostgreSQL database", () => {
  let database: TestDatabase;
  let processes: RosterProcess[] = [];
  let clients: Scim[];
  const on = (i: number): Scim => clients[i % clients.length] as Scim;

  beforeAll(async () => {
    database = await createTestDatabase("multiprocess");
    // Both start (and migrate) at the same moment.
    processes = await Promise.all([startRosterProcess(database.url), startRosterProcess(database.url)]);
    clients = await tenantOnProcesses(database.url, "two-processes", processes);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(processes.map((roster) => roster.stop()));
    await database?.drop();
  });

  it("runs the migrations once although both processes started together", async () => {
    const { rows } = await database.query("select name from kysely_migration order by name");
    const expected = Object.keys(await migrationProvider(POSTGRES_DIALECT).getMigrations()).sort();
    expect(rows).toEqual(expected.map((name) => ({ name })));
  });

  it("answers exactly one 201 and 49 × 409 uniqueness to 50 creates of one userName differing in case, and stores one row", async () => {
    const names = Array.from({ length: 50 }, (_, i) => caseVariant("split.brain@example.com", i));
    const responses = await Promise.all(names.map((userName, i) => on(i)("/Users", { body: { schemas: [USER_SCHEMA], userName, active: true } })));
    expect(tally(responses.map((response) => response.status))).toEqual({ 201: 1, 409: 49 });
    for (const response of responses.filter((candidate) => candidate.status === 409)) {
      expect(response.body).toMatchObject({ status: "409", scimType: "uniqueness" });
    }
    const { rows } = await database.query("select count(*)::int as n from resources where kind = 'User' and name_ci = $1", ["split.brain@example.com"]);
    expect(rows).toEqual([{ n: 1 }]);
  });

  describe(`${MEMBERS} members of one group changed by concurrent PATCHes on both processes`, () => {
    let groupId: string;
    let userIds: string[];

    beforeAll(async () => {
      const created = await inBatches(
        Array.from({ length: MEMBERS }, (_, i) => () => on(i)("/Users", { body: { schemas: [USER_SCHEMA], userName: `member${i}@example.com` } })),
        50,
      );
      expect(tally(created.map((response) => response.status))).toEqual({ 201: MEMBERS });
      userIds = created.map((response) => response.body.id as string);
      const group = await on(0)("/Groups", { body: { schemas: [GROUP_SCHEMA], displayName: "Everyone" } });
      expect(group.status).toBe(201);
      groupId = group.body.id as string;
    }, 120_000);

    async function memberIds(via: Scim): Promise<string[]> {
      const response = await via(`/Groups/${groupId}`);
      expect(response.status).toBe(200);
      return ((response.body.members ?? []) as { value: string }[]).map((member) => member.value).sort();
    }

    const patch = (i: number, op: "add" | "remove", id: string) =>
      on(i)(`/Groups/${groupId}`, {
        method: "PATCH",
        body: {
          schemas: [PATCH_OP],
          Operations: op === "add" ? [{ op, path: "members", value: [{ value: id }] }] : [{ op, path: `members[value eq "${id}"]` }],
        },
      });

    it(`keeps all ${MEMBERS} members when each is added by its own PATCH`, async () => {
      const responses = await inBatches(
        userIds.map((id, i) => () => patch(i, "add", id)),
        IN_FLIGHT,
      );
      expect(tally(responses.map((response) => response.status))).toEqual({ 204: MEMBERS });
      // Every PATCH bumped the version once: no two answered the same ETag.
      expect(new Set(responses.map((response) => response.headers.get("etag"))).size).toBe(MEMBERS);
      const sorted = [...userIds].sort();
      expect(await memberIds(on(0))).toEqual(sorted);
      expect(await memberIds(on(1))).toEqual(sorted);
      const { rows } = await database.query("select count(*)::int as n from group_members where group_id = $1", [groupId]);
      expect(rows).toEqual([{ n: MEMBERS }]);
    }, 120_000);

    it(`leaves no member when all ${MEMBERS} are removed by concurrent PATCHes`, async () => {
      const responses = await inBatches(
        userIds.map((id, i) => () => patch(i + 1, "remove", id)),
        IN_FLIGHT,
      );
      expect(tally(responses.map((response) => response.status))).toEqual({ 204: MEMBERS });
      expect(await memberIds(on(0))).toEqual([]);
      expect(await memberIds(on(1))).toEqual([]);
      const { rows } = await database.query("select count(*)::int as n from group_members where group_id = $1", [groupId]);
      expect(rows).toEqual([{ n: 0 }]);
    }, 120_000);
  });

  it("answers 412 on one process to an If-Match made stale by an update on the other", async () => {
    const created = await on(0)("/Users", { body: { schemas: [USER_SCHEMA], userName: "stale.etag@example.com", active: true } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const stale = created.headers.get("etag") ?? "";
    expect(stale).toMatch(/^W\/"/);

    const updated = await on(1)(`/Users/${id}`, {
      method: "PATCH",
      headers: { "if-match": stale },
      body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "Updated on B" }] },
    });
    expect(updated.status).toBe(200);

    const put = await on(0)(`/Users/${id}`, {
      method: "PUT",
      headers: { "if-match": stale },
      body: { schemas: [USER_SCHEMA], userName: "stale.etag@example.com", title: "Stale write on A", active: true },
    });
    expect(put.status).toBe(412);
    expect(put.body).toMatchObject({ status: "412" });
    const patched = await on(0)(`/Users/${id}`, {
      method: "PATCH",
      headers: { "if-match": stale },
      body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "Stale patch on A" }] },
    });
    expect(patched.status).toBe(412);

    const after = await on(0)(`/Users/${id}`);
    expect(after.body.title).toBe("Updated on B");
    expect(after.headers.get("etag")).toBe(updated.headers.get("etag"));
  });

  it("numbered the tenant's events 1, 2, 3… without a gap, in commit order, across both processes' concurrent writes", async () => {
    // Every test above wrote concurrently through both processes (ADR 0026).
    const { rows } = await database.query(
      "select e.seq::int as seq from events e join tenants t on t.id = e.tenant_id where t.slug = 'two-processes' order by e.seq",
    );
    expect(rows.length).toBeGreaterThan(MEMBERS);
    expect(rows.map((row: { seq: number }) => row.seq)).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
    // The PATCHes that removed members ran after every one that added them, and their events follow.
    const { rows: order } = await database.query(
      `select e.type, e.resource_id from events e join tenants t on t.id = e.tenant_id
       where t.slug = 'two-processes' and e.type in ('user.created', 'group.member_added', 'group.member_removed') order by e.seq`,
    );
    expect(order.some((row: { type: string }) => row.type === "group.member_added")).toBe(true);
    expect(order.findIndex((row: { type: string }) => row.type === "group.member_removed")).toBeGreaterThan(
      order.findLastIndex((row: { type: string }) => row.type === "group.member_added"),
    );
  });
});
