import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openStore, sqlitePath } from "../../src/store/open-store.js";
import { describeStoreConformance } from "./conformance.js";
import { describeManagedConformance } from "./conformance-managed.js";
import { describeProfileConformance } from "./conformance-profiles.js";
import { describeEventConformance } from "./conformance-events.js";
import { describeWebhookConformance } from "./conformance-webhooks.js";

const directory = mkdtempSync(join(tmpdir(), "roster-store-"));
let n = 0;
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describeStoreConformance("SQLite (temp file)", () => openStore(join(directory, `db-${++n}`, "roster.db")));
describeManagedConformance("SQLite (temp file)", () => openStore(join(directory, `db-${++n}`, "roster.db")));
describeProfileConformance("SQLite (temp file)", () => openStore(join(directory, `db-${++n}`, "roster.db")));
describeEventConformance("SQLite (temp file)", () => openStore(join(directory, `db-${++n}`, "roster.db")));
describeWebhookConformance("SQLite (temp file)", () => openStore(join(directory, `db-${++n}`, "roster.db")));

describe("openStore (SQLite)", () => {
  it.each([
    ["/var/lib/roster/roster.db", "/var/lib/roster/roster.db"],
    ["file:/var/lib/roster/roster.db", "/var/lib/roster/roster.db"],
    ["file:///var/lib/roster/roster.db", "/var/lib/roster/roster.db"],
    ["data/roster.db", "data/roster.db"],
    [":memory:", ":memory:"],
    ["postgres://localhost/roster", undefined],
  ])("reads %s as the SQLite file %s", (url, path) => {
    expect(sqlitePath(url)).toBe(path);
  });

  it("lets exactly one of two processes create the same userName, both migrating at once", async () => {
    const file = join(directory, "processes", "roster.db");
    const writer = join(import.meta.dirname, "sqlite-writer.ts");
    const run = (id: string, userName: string) =>
      promisify(execFile)(process.execPath, ["--import", "tsx", writer, file, id, userName]).then((r) => r.stdout);
    const outcomes = await Promise.all([run("u-1", "dana"), run("u-2", "DANA")]);
    expect(outcomes.sort()).toEqual(["StoreConflictError", "won"]);
  }, 30_000);

  it("opens an in-memory database", async () => {
    const store = await openStore(":memory:", { migrate: true });
    await store.ping();
    await store.close();
  });
});
