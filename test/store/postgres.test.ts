import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import { StoreUnavailableError } from "../../src/store/store.js";
import { createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";
import { describeStoreConformance } from "./conformance.js";

// Runs when PostgreSQL answers; with CI set and no PostgreSQL, postgresAvailable() throws and the file fails.
const available = await postgresAvailable();

describe.skipIf(!available)("PostgreSQL", () => {
  let database: TestDatabase;
  let n = 0;
  beforeAll(async () => {
    database = await createTestDatabase("store");
  });
  afterAll(async () => {
    await database?.drop();
  });

  describeStoreConformance("PostgreSQL (schema per test)", async () => openStore(await database.schemaUrl(`s${++n}`)));

  describe("openStore (PostgreSQL)", () => {
    it("migrates once when several processes start at the same moment, and lets exactly one create a userName", async () => {
      const url = await database.schemaUrl("processes");
      const writer = new URL("./postgres-writer.ts", import.meta.url).pathname;
      const run = (id: string, userName: string) =>
        promisify(execFile)(process.execPath, ["--import", "tsx", writer, url, id, userName]).then((r) => r.stdout);
      const outcomes = await Promise.all([run("u-1", "dana"), run("u-2", "DANA"), run("u-3", "Dana"), run("u-4", "dAna")]);
      expect(outcomes.sort()).toEqual(["StoreConflictError", "StoreConflictError", "StoreConflictError", "won"]);
      const migrations = await database.query(`select name from processes.kysely_migration`);
      expect(migrations.rows).toEqual([{ name: "0001-initial" }]);
      const users = await database.query(`select name_ci from processes.resources where kind = 'User'`);
      expect(users.rows).toEqual([{ name_ci: "dana" }]);
    }, 60_000);

    it("migrates again as a no-op", async () => {
      const url = await database.schemaUrl("twice");
      const first = await openStore(url, { migrate: true });
      await first.close();
      const second = await openStore(url, { migrate: true });
      await second.ping();
      await second.close();
    });

    it("raises StoreUnavailableError when the server cannot be reached", async () => {
      const store = await openStore("postgres://postgres@127.0.0.1:1/nowhere", { connectTimeoutMs: 1000 });
      await expect(store.transaction((session) => session.listTenants())).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await store.close();
    });
  });
});
