import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Store, StoreConflictError } from "../../src/store/store.js";
import { resource, tick } from "./fixtures.js";

/**
 * Conformance for tenant profiles (migration 0004), linking an unmanaged user and request log
 * notes (migration 0005). Every backend runs it unchanged; `makeStore` returns a fresh, not yet migrated store.
 */
export function describeProfileConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store conformance, profiles: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
      await store.migrate();
      await store.transaction((s) => s.createTenant({ id: "t1", slug: "acme", created: tick() }));
    });

    afterEach(async () => {
      await store.close();
    });

    it("stores a tenant's profile source with a version that grows on every change, read with the tenant and the token", async () => {
      await store.transaction(async (s) => {
        expect(await s.findTenantProfile("t1")).toEqual({ version: 0, source: null });
        expect(await s.findTenantProfileVersion("t1")).toBe(0);
        expect(await s.findTenantBySlug("acme")).toEqual({ id: "t1", slug: "acme", created: expect.any(String) });
        expect(await s.setTenantProfile("t1", "attributes: {}\n")).toBe(1);
        expect(await s.setTenantProfile("t1", null)).toBe(2);
        expect(await s.setTenantProfile("t1", "sync:\n  users: false\n")).toBe(3);
        expect(await s.findTenantProfile("t1")).toEqual({ version: 3, source: "sync:\n  users: false\n" });
        expect(await s.findTenantProfileVersion("t1")).toBe(3);
        expect(await s.setTenantProfile("nope", "x: 1")).toBeUndefined();
        expect(await s.findTenantProfile("nope")).toBeUndefined();
        expect(await s.findTenantProfileVersion("nope")).toBeUndefined();
        await s.insertToken({ id: "k1", tenantId: "t1", name: "okta", hash: "h1" }, tick());
        expect((await s.findActiveToken("h1"))?.tenant).toEqual({ id: "t1", slug: "acme", created: expect.any(String), profileVersion: 3 });
        expect((await s.listTenants())[0]?.profileVersion).toBe(3);
      });
    });

    it("links an unmanaged user: managed from then on, same id, new document and emails", async () => {
      await store.transaction(async (s) => {
        const app = { ...resource("t1", "User", "u1", { userName: "dana", emails: [{ value: "old@x.example" }] }), managed: false };
        await s.insertResource(app);
        await s.linkResource({ ...app, managed: true, version: 2, document: { userName: "Dana", emails: [{ value: "new@x.example" }] } });
        const linked = await s.findResource("t1", "User", "u1");
        expect(linked?.managed).toBeUndefined();
        expect(linked?.document).toEqual({ userName: "Dana", emails: [{ value: "new@x.example" }] });
        expect(linked?.version).toBe(2);
      });
    });

    it("raises StoreConflictError user.userName when linking onto a managed user's userName", async () => {
      const error = await store
        .transaction(async (s) => {
          await s.insertResource(resource("t1", "User", "m1", { userName: "erin" }));
          const app = { ...resource("t1", "User", "u2", { userName: "ERIN" }), managed: false };
          await s.insertResource(app);
          await s.linkResource({ ...app, managed: true, version: 2 });
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreConflictError);
      expect((error as StoreConflictError).constraint).toBe("user.userName");
    });

    it("keeps request log notes, and reads an entry without notes without the field", async () => {
      const base = {
        tenantId: "t1",
        at: tick(),
        method: "PUT",
        path: "/Users/u1",
        status: 200,
        durationMs: 2,
        scimType: null,
        errorDetail: null,
        userAgent: null,
        requestBody: null,
      };
      const sink = store.openRequestLogSink();
      await sink.write([{ ...base, requestId: "r1", notes: ['ignored an update to "displayName"'] }, { ...base, requestId: "r2" }], [], { authenticated: 10, unauthenticated: 10 });
      await sink.close();
      const [plain, noted] = await store.read((s) => s.listRequestLog("t1", 10));
      expect(plain).toEqual({ ...base, requestId: "r2" });
      expect(noted?.notes).toEqual(['ignored an update to "displayName"']);
    });
  });
}
