import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDefaultTenant } from "../../src/directory/tenants.js";
import { openStore } from "../../src/store/open-store.js";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.js";

// PostgreSQL only (vitest.config.ts): SQLite's BEGIN IMMEDIATE already serialises the starters,
// and several SQLite connections in one process would block each other's thread.
describe("the default tenant, made by processes starting together on an empty PostgreSQL database", () => {
  let postgres: TestDatabase;
  beforeAll(async () => {
    postgres = await createTestDatabase("default_tenant");
  });
  afterAll(async () => {
    await postgres.drop();
  });

  it.each([1, 2, 3, 4, 5])("gives every starter the one default tenant (attempt %i)", async (attempt) => {
    const url = await postgres.schemaUrl(`attempt_${attempt}`);
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(url)));
    try {
      await stores[0]!.migrate();
      const results = await Promise.all(stores.map((store) => ensureDefaultTenant(store)));
      const ids = new Set(results.map((tenants) => tenants.map((tenant) => `${tenant.slug}:${tenant.id}`).join(",")));
      expect(ids.size).toBe(1);
      expect(results[0]!.map((tenant) => tenant.slug)).toEqual(["default"]);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
