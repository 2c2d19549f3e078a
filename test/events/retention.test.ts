import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordEvents } from "../../src/events/record-events.js";
import { checkRetentionDays, pruneExpiredEvents, startEventPruner } from "../../src/events/retention.js";
import { startServer } from "../../src/http/server.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store, StoredResource } from "../../src/store/store.js";
import { testDatabaseKind } from "../helpers/roster.js";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.js";

const DAY = 86_400_000;

let store: Store;
let directory: string;
let postgres: TestDatabase | undefined;

function user(id: string): StoredResource {
  const at = new Date().toISOString();
  return { tenantId: "t1", id, kind: "User", document: { userName: id }, created: at, lastModified: at, version: 1 };
}

/** A user.created event that occurred `daysAgo` days ago, recorded as any write records it. */
async function eventOf(id: string, daysAgo: number): Promise<void> {
  const recording = recordEvents(store, { clock: () => new Date(Date.now() - daysAgo * DAY).toISOString() });
  await recording.transaction((session) => session.insertResource(user(id)));
}

const resourceIds = async () => (await store.transaction((session) => session.listEvents("t1", 0, 100))).map((event) => event.resourceId);

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`waited 20 s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("event retention", () => {
  beforeEach(async () => {
    directory = mkdtempSync(join(tmpdir(), "roster-retention-"));
    postgres = testDatabaseKind() === "postgres" ? await createTestDatabase("retention") : undefined;
    store = await openStore(postgres?.url ?? join(directory, "roster.db"), { migrate: true });
    await store.transaction((session) => session.createTenant({ id: "t1", slug: "acme", created: new Date().toISOString() }));
  });

  afterEach(async () => {
    await store.close().catch(() => undefined);
    await postgres?.drop();
    rmSync(directory, { recursive: true, force: true });
  });

  it("removes the events older than the retention and raises the pruned mark", async () => {
    await eventOf("old", 40);
    await eventOf("recent", 10);
    expect(await pruneExpiredEvents(store, 30)).toBe(1);
    expect(await resourceIds()).toEqual(["recent"]);
    const bounds = await store.transaction((session) => session.eventBounds("t1"));
    expect(bounds.pruned).toBeGreaterThan(0);
    expect(await pruneExpiredEvents(store, 30)).toBe(0);
  });

  it("prunes at start and keeps pruning until stopped (startEventPruner)", async () => {
    await eventOf("old", 40);
    const outcomes: unknown[] = [];
    const pruner = startEventPruner(store, { retentionDays: 30, intervalMs: 20, onRun: (outcome) => outcomes.push(outcome) });
    await until("the first run", async () => outcomes.length > 0);
    expect(outcomes[0]).toEqual({ removed: 1 });
    await eventOf("later", 31);
    await until("the later event to be pruned", async () => (await resourceIds()).length === 0);
    await pruner.stop();
    const runs = outcomes.length;
    await eventOf("after-stop", 40);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(outcomes.length).toBe(runs);
    expect(await resourceIds()).toEqual(["after-stop"]);
  });

  it("reports a failed run and tries again", async () => {
    const outcomes: unknown[] = [];
    await store.close();
    const pruner = startEventPruner(store, { retentionDays: 30, intervalMs: 20, onRun: (outcome) => outcomes.push(outcome) });
    await until("two runs", async () => outcomes.length >= 2);
    await pruner.stop();
    expect(outcomes[0]).toEqual({ error: expect.any(Error) });
  });

  it("is started by the server when given a retention, and stopped by its close", async () => {
    await eventOf("old", 40);
    await eventOf("recent", 1);
    const server = await startServer({ store, host: "127.0.0.1", port: 0, eventRetentionDays: 30 });
    try {
      await until("the server to prune the old event", async () => (await resourceIds()).length === 1);
      expect(await resourceIds()).toEqual(["recent"]);
    } finally {
      await server.close();
    }
  });
});

describe("checkRetentionDays", () => {
  it.each([["0"], ["-3"], ["1.5"], ["36501"], ["thirty"], [""]])("refuses %j days", (text) => {
    expect(checkRetentionDays(text, "--event-retention-days")).toEqual({
      ok: false,
      reason: `--event-retention-days ${JSON.stringify(text)} is not a number of days; expected an integer from 1 to 36500`,
    });
  });

  it("accepts 1 to 36500", () => {
    expect(checkRetentionDays("1", "x")).toEqual({ ok: true, days: 1 });
    expect(checkRetentionDays("36500", "x")).toEqual({ ok: true, days: 36500 });
  });
});
