import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";
import { type RosterProcess, type Scim, inBatches, startRosterProcess, tenantOnProcesses } from "./multi-process.js";
import { tally, USER_SCHEMA } from "./support.js";

// Losing PostgreSQL connections (issue 3): 503 with a SCIM error, recovery without a restart,
// and nothing acknowledged lost. Connections are cut with pg_terminate_backend on this test's
// own database only, so other suites sharing the server are not disturbed.
const available = await postgresAvailable();
const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";

describe.skipIf(!available)("Roster processes losing their PostgreSQL connections", () => {
  let database: TestDatabase;
  let processes: RosterProcess[] = [];
  let clients: Scim[];
  const on = (i: number): Scim => clients[i % clients.length] as Scim;

  beforeAll(async () => {
    database = await createTestDatabase("outage");
    processes = await Promise.all([startRosterProcess(database.url), startRosterProcess(database.url)]);
    clients = await tenantOnProcesses(database.url, "outage", processes);
  }, 60_000);

  afterAll(async () => {
    await database?.acceptConnections(true);
    await Promise.all(processes.map((roster) => roster.stop()));
    await database?.drop();
  });

  it("answers 503 with a SCIM error body while PostgreSQL refuses connections, and serves again by itself once it accepts them", async () => {
    expect((await on(0)("/Users")).status).toBe(200);
    expect((await on(1)("/Users")).status).toBe(200);

    await database.acceptConnections(false);
    await database.terminateConnections();
    for (const client of clients) {
      const response = await client("/Users", { body: { schemas: [USER_SCHEMA], userName: "during.outage@example.com" } });
      expect(response.status).toBe(503);
      expect(response.headers.get("content-type")).toMatch(/^application\/scim\+json/);
      expect(response.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: "503" });
      expect(JSON.stringify(response.body)).not.toMatch(/terminat|ECONN|pg_|postgres/i);
    }

    await database.acceptConnections(true);
    for (const client of clients) {
      const created = await client("/Users", { body: { schemas: [USER_SCHEMA], userName: `after.outage.${clients.indexOf(client)}@example.com` } });
      expect(created.status).toBe(201);
    }
    const { rows } = await database.query("select count(*)::int as n from resources where name_ci = 'during.outage@example.com'");
    expect(rows).toEqual([{ n: 0 }]);
  });

  it("keeps every create it acknowledged when connections are terminated in the middle of a burst, answering only 201 or 503", async () => {
    const total = 300;
    let done = false;
    const cutter = (async () => {
      let cuts = 0;
      while (!done) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        cuts += await database.terminateConnections();
      }
      return cuts;
    })();
    const responses = await inBatches(
      Array.from({ length: total }, (_, i) => () => on(i)("/Users", { body: { schemas: [USER_SCHEMA], userName: `burst${i}@example.com` } })),
      20,
    );
    done = true;
    const cuts = await cutter;
    expect(cuts).toBeGreaterThan(0);

    const statuses = tally(responses.map((response) => response.status));
    expect(Object.keys(statuses).sort()).toEqual(expect.arrayContaining(["201"]));
    expect(Object.keys(statuses).filter((status) => status !== "201" && status !== "503")).toEqual([]);
    for (const response of responses.filter((candidate) => candidate.status === 503)) {
      expect(response.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: "503" });
    }

    const acknowledged = responses.filter((response) => response.status === 201).map((response) => response.body.id as string);
    const { rows } = await database.query("select id from resources where tenant_id = (select id from tenants where slug = 'outage') and id = any($1)", [acknowledged]);
    expect(rows.length).toBe(acknowledged.length);
    for (const [i, id] of acknowledged.slice(0, 20).entries()) {
      expect((await on(i)(`/Users/${id}`)).status).toBe(200);
    }
  }, 120_000);
});
