import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { getTenantBySlug } from "../../src/directory/tenants.js";
import { createToken } from "../../src/directory/tokens.js";
import { pruneExpiredEvents } from "../../src/events/retention.js";
import { startServer, type RunningServer } from "../../src/http/server.js";
import { openStore } from "../../src/store/open-store.js";
import { apiFetch, scimUser } from "../api/support.js";
import { scimFetch } from "../helpers/roster.js";
import { assertBuilt, cliEnv, runRoster, spawnRoster, tempDatabase } from "./run-cli.js";

let db: Awaited<ReturnType<typeof tempDatabase>>;
let env: NodeJS.ProcessEnv;
let server: RunningServer;
let token: string;
let key: string;

beforeAll(assertBuilt);
beforeEach(async () => {
  db = await tempDatabase();
  env = cliEnv({ ROSTER_DATABASE_URL: db.path });
  expect((await runRoster(["tenants", "create", "acme"], env)).code).toBe(0);
  const store = await openStore(db.path, { migrate: true });
  server = await startServer({ store, host: "127.0.0.1", port: 0 });
  const tenant = await getTenantBySlug(store, "acme");
  token = (await createToken(store, tenant, "cli", "test")).token;
  key = (await createApiKey(store, tenant, "test")).key;
});
afterEach(async () => {
  await server.close();
  await db.dispose();
});

async function createUser(userName: string): Promise<string> {
  const created = await scimFetch(`${server.url}/scim/v2/acme/Users`, token, { body: scimUser(userName) });
  expect(created.status).toBe(201);
  return created.body.id;
}

async function feed(query = ""): Promise<any[]> {
  const answer = await apiFetch(`${server.url}/api/v1/tenants/acme/events${query}`, key);
  expect(answer.status).toBe(200);
  return answer.body.data;
}

const lines = (text: string) => text.split("\n").filter((line) => line !== "");

describe("roster events", () => {
  it("prints the feed as NDJSON with --json, exactly as the management API lists it, paged by --after and --limit", async () => {
    for (const name of ["a", "b", "c"]) await createUser(`${name}@acme.example`);
    const all = await runRoster(["events", "--tenant", "acme", "--json"], env);
    expect(all).toMatchObject({ code: 0, stderr: "" });
    const events = lines(all.stdout).map((line) => JSON.parse(line));
    expect(events).toEqual(await feed());
    expect(events.map((event) => [event.type, event.data.user.userName])).toEqual([
      ["user.created", "a@acme.example"],
      ["user.created", "b@acme.example"],
      ["user.created", "c@acme.example"],
    ]);
    const first = await runRoster(["events", "--tenant", "acme", "--json", "--limit", "2"], env);
    expect(lines(first.stdout).map((line) => JSON.parse(line))).toEqual(events.slice(0, 2));
    const rest = await runRoster(["events", "--tenant", "acme", "--json", "--after", String(events[1].sequence)], env);
    expect(lines(rest.stdout).map((line) => JSON.parse(line))).toEqual(events.slice(2));
  });

  it("prints a table in text form and says how to continue", async () => {
    const id = await createUser("dana@acme.example");
    const [event] = await feed();
    const result = await runRoster(["events", "--tenant", "acme"], env);
    expect(result.code).toBe(0);
    const [header, row, last] = lines(result.stdout);
    expect(header).toMatch(/^SEQUENCE\s+OCCURRED AT\s+TYPE\s+RESOURCE\s+SUMMARY$/);
    expect(row).toMatch(new RegExp(`^${event.sequence}\\s+${event.occurredAt.replace(/\./g, "\\.")}\\s+user\\.created\\s+User ${id}\\s+dana@acme\\.example$`));
    expect(last).toBe(`Continue with: roster events --tenant acme --after ${event.sequence}`);
    const none = await runRoster(["events", "--tenant", "acme", "--after", String(event.sequence)], env);
    expect(none.stdout).toBe(`No events after ${event.sequence} for tenant "acme" yet.\n`);
  });

  it("follows new events with --follow until SIGINT, then exits 0", async () => {
    await createUser("before@acme.example");
    const child = spawnRoster(["events", "--tenant", "acme", "--follow", "--json"], env);
    let stdout = "";
    let stderr = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    try {
      const waitFor = async (count: number) => {
        const deadline = Date.now() + 20_000;
        while (lines(stdout).length < count) {
          if (Date.now() > deadline) throw new Error(`roster events --follow printed ${lines(stdout).length} of ${count} events; stderr: ${stderr}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      await waitFor(1);
      const later = await createUser("later@acme.example");
      await waitFor(2);
      const printed = lines(stdout).map((line) => JSON.parse(line));
      expect(printed).toEqual(await feed());
      expect(printed[1]).toMatchObject({ type: "user.created", resource: { type: "User", id: later } });
      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(stderr).toBe("");
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });

  it.each([
    [["--limit", "0"], 2, 'roster: events: --limit "0" is not an integer from 1 to 1000'],
    [["--after", "abc"], 2, 'roster: events: --after: "abc" is not a cursor of the event feed; pass a nextCursor (or an event\'s sequence) unchanged'],
    [["--after", "99"], 1, "roster: events: after: 99 is beyond the newest event of this tenant (0); pass a nextCursor unchanged"],
    [["--tenant", "nope"], 1, 'roster: tenant "nope" does not exist (see: roster tenants list)'],
  ])("refuses %j with one line and exit status %i", async (args, code, message) => {
    const result = await runRoster(["events", "--tenant", "acme", ...args], env);
    expect(result).toMatchObject({ code, stdout: "", stderr: `${message}\n` });
  });

  it("says when a cursor has expired, with exit status 1", async () => {
    await createUser("old@acme.example");
    const [event] = await feed();
    expect(await pruneExpiredEvents(server.store, 1, new Date(Date.now() + 2 * 86_400_000))).toBe(1);
    const result = await runRoster(["events", "--tenant", "acme", "--after", "0"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `roster: events: after: events up to ${event.sequence} were removed by retention (ROSTER_EVENT_RETENTION_DAYS), so the events after 0 are incomplete; rebuild your copy from the management API (GET users, GET groups) and continue from after=${event.sequence}\n`,
    );
  });
});
