import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestLogEntry, Store, TenantPageQuery } from "../../src/store/store.js";
import { resource, tick } from "./fixtures.js";

function logEntry(tenantId: string, requestId: string): RequestLogEntry {
  return { tenantId, requestId, at: tick(), method: "GET", path: "/Users", status: 200, durationMs: 1, scimType: null, errorDetail: null, userAgent: null, requestBody: null };
}

/**
 * Conformance for the control plane's tenant methods (migration 0014): name and SCIM switch,
 * keyset pages with a search, deletion of everything a tenant owns. Every backend runs it
 * unchanged; `makeStore` returns a fresh, not yet migrated store.
 */
export function describeTenantConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store conformance, tenants: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
      await store.migrate();
    });

    afterEach(async () => {
      await store.close();
    });

    it("stores a name and the SCIM switch, read back by slug, by id and with a token", async () => {
      await store.transaction(async (s) => {
        await s.createTenant({ id: "t1", slug: "acme", created: tick(), name: "ACME Inc." });
        expect(await s.findTenantBySlug("acme")).toEqual({ id: "t1", slug: "acme", created: expect.any(String), name: "ACME Inc." });
        expect(await s.updateTenant("t1", { scimEnabled: false, name: null })).toEqual({ id: "t1", slug: "acme", created: expect.any(String), scimEnabled: false });
        expect(await s.findTenantById("t1")).toEqual({ id: "t1", slug: "acme", created: expect.any(String), scimEnabled: false });
        await s.insertToken({ id: "k1", tenantId: "t1", name: "okta", hash: "h1" }, tick());
        expect((await s.findActiveToken("h1"))?.tenant.scimEnabled).toBe(false);
        expect(await s.updateTenant("t1", { scimEnabled: true })).toEqual({ id: "t1", slug: "acme", created: expect.any(String) });
        expect(await s.updateTenant("nope", { scimEnabled: true })).toBeUndefined();
        expect(await s.findTenantById("nope")).toBeUndefined();
      });
    });

    it("pages tenants in slug order after a slug, matching a part of the slug or name ignoring case, % and _ literally", async () => {
      await store.transaction(async (s) => {
        for (const [id, slug, tenantName] of [
          ["1", "alpha", "Blue Harbor"],
          ["2", "bravo", undefined],
          ["3", "charlie", "100% harbor_x"],
          ["4", "delta-harbor", undefined],
        ] as const) {
          await s.createTenant({ id, slug, created: tick(), ...(tenantName === undefined ? {} : { name: tenantName }) });
        }
      });
      const slugs = async (query: TenantPageQuery) =>
        (await store.read((s) => s.listTenantsPage(query))).map((tenant) => tenant.slug);
      expect(await slugs({ limit: 2 })).toEqual(["alpha", "bravo"]);
      expect(await slugs({ limit: 10, after: "bravo" })).toEqual(["charlie", "delta-harbor"]);
      expect(await slugs({ limit: 10, q: "HARBOR" })).toEqual(["alpha", "charlie", "delta-harbor"]);
      expect(await slugs({ limit: 10, q: "HARBOR", after: "alpha" })).toEqual(["charlie", "delta-harbor"]);
      expect(await slugs({ limit: 10, q: "%" })).toEqual(["charlie"]);
      expect(await slugs({ limit: 10, q: "r_x" })).toEqual(["charlie"]);
      expect(await slugs({ limit: 10, q: "o_r" })).toEqual([]);
    });

    it("deletes a tenant with everything it owns, leaves other tenants whole, and purges its request log", async () => {
      await store.transaction(async (s) => {
        for (const id of ["t1", "t2"]) {
          await s.createTenant({ id, slug: `tenant-${id}`, created: tick() });
          await s.insertResource(resource(id, "User", `${id}-u`, { userName: `${id}@example.com`, emails: [{ value: `${id}@example.com` }] }));
          await s.insertResource(resource(id, "Group", `${id}-g`, { displayName: "Staff" }));
          await s.addMembers(id, `${id}-g`, [{ id: `${id}-u`, kind: "User" }]);
          await s.insertToken({ id: `${id}-k`, tenantId: id, name: "okta", hash: `${id}-h` }, tick());
          await s.insertApiKey({ id: `${id}-a`, tenantId: id, name: "app", hash: `${id}-ah` }, tick());
          await s.putList(id, "roles", ["admin"], tick());
          await s.appendEvents(id, [{ id: `${id}-e`, type: "user.created", resourceType: "User", resourceId: `${id}-u`, occurredAt: tick(), data: "{}" }]);
        }
      });
      const sink = store.openRequestLogSink();
      await sink.write([logEntry("t1", "r1"), logEntry("t2", "r2")], [], { authenticated: 100, unauthenticated: 100 });
      await sink.close();

      expect(await store.transaction((s) => s.deleteTenant("t1"))).toBe(true);
      await store.purgeRequestLog("t1");
      expect(await store.transaction((s) => s.deleteTenant("t1"))).toBe(false);

      await store.read(async (s) => {
        expect(await s.findTenantBySlug("tenant-t1")).toBeUndefined();
        expect(await s.findActiveToken("t1-h")).toBeUndefined();
        expect(await s.findActiveApiKey("t1-ah")).toBeUndefined();
        expect(await s.findList("t1", "roles")).toBeUndefined();
        expect(await s.listEvents("t1", 0, 10)).toEqual([]);
        expect((await s.queryResources("t1", "User", { count: 10 })).totalResults).toBe(0);
        expect(await s.listRequestLog("t1", 10)).toEqual([]);
        // The other tenant keeps everything.
        expect((await s.queryResources("t2", "User", { count: 10 })).totalResults).toBe(1);
        expect((await s.listMembers("t2", "t2-g")).map((member) => member.value)).toEqual(["t2-u"]);
        expect(await s.findActiveToken("t2-h")).toBeDefined();
        expect(await s.listEvents("t2", 0, 10)).toHaveLength(1);
        expect((await s.listRequestLog("t2", 10)).map((entry) => entry.requestId)).toEqual(["r2"]);
      });
    });
  });
}
