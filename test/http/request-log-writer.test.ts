import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RequestLogWriter } from "../../src/http/request-log.js";
import { openStore } from "../../src/store/open-store.js";
import type { RequestLogEntry, Store } from "../../src/store/store.js";
import { createTestDatabase } from "../helpers/postgres.js";
import { testDatabaseKind } from "../helpers/roster.js";

// The writer flushes on a timer, or at once when a batch is waiting: a busy second is
// written in small transactions (each holds the event loop while SQLite writes).

const at = "2026-01-01T00:00:00.000Z";
const directory = mkdtempSync(join(tmpdir(), "roster-log-writer-"));
const postgres = testDatabaseKind() === "postgres" ? await createTestDatabase("logwriter") : undefined;
let store: Store;

beforeAll(async () => {
  store = await openStore(postgres?.url ?? join(directory, "roster.db"), { migrate: true });
  await store.transaction((s) => s.createTenant({ id: "t1", slug: "acme", created: at }));
});
afterAll(async () => {
  await store?.close();
  await postgres?.drop();
  rmSync(directory, { recursive: true, force: true });
});

const entry = (n: number): RequestLogEntry => ({
  tenantId: "t1",
  requestId: `w${n}`,
  at,
  method: "GET",
  path: `/scim/v2/acme/Users/${n}`,
  status: 200,
  durationMs: 1,
  scimType: null,
  errorDetail: null,
  userAgent: null,
  requestBody: null,
});

async function logged(): Promise<string[]> {
  return (await store.read((s) => s.listRequestLog("t1", 100))).map((e) => e.requestId).reverse();
}

/** Waits (bounded) until `want` entries are in the store. */
async function until(want: number): Promise<string[]> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const ids = await logged();
    if (ids.length >= want || Date.now() > deadline) return ids;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe(`RequestLogWriter (${testDatabaseKind()})`, () => {
  it("writes a full batch at once, not at the timer, and the rest at the timer or on close", async () => {
    // A timer of a minute: only the batch size can write the first three before close().
    const writer = new RequestLogWriter(store, { authenticated: 1_000, unauthenticated: 100 }, 60_000, 3);
    for (const n of [1, 2, 3, 4]) writer.push(entry(n));
    expect(await until(3)).toEqual(["w1", "w2", "w3"]);
    await writer.close();
    expect(await logged()).toEqual(["w1", "w2", "w3", "w4"]);
  });

  it("writes what is buffered when its timer fires", async () => {
    const writer = new RequestLogWriter(store, { authenticated: 1_000, unauthenticated: 100 }, 20, 1_000);
    writer.push(entry(5));
    expect((await until(5)).at(-1)).toBe("w5");
    await writer.close();
  });
});
