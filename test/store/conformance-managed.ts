import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ResourceKind, type ScimDocument, type Store, type StoredResource, StoreConflictError, StoreCursorError } from "../../src/store/store.js";
import { resource, tick } from "./fixtures.js";

function unmanaged(tenantId: string, kind: ResourceKind, id: string, document: ScimDocument): StoredResource {
  return { ...resource(tenantId, kind, id, document), managed: false };
}

/**
 * Conformance for managed/unmanaged resources, token principals, API keys and named lists
 * (migration 0002). Every backend runs it unchanged; `makeStore` returns a fresh, not yet migrated store.
 */
export function describeManagedConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store conformance, managed and unmanaged: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
      await store.migrate();
      await store.transaction(async (s) => {
        await s.createTenant({ id: "t1", slug: "acme", created: tick() });
        await s.createTenant({ id: "t2", slug: "globex", created: tick() });
      });
    });

    afterEach(async () => {
      await store.close();
    });

    describe("resources", () => {
      it("reads an unmanaged resource back with managed false and a SCIM-created one without the flag", async () => {
        await store.transaction(async (s) => {
          const app = unmanaged("t1", "User", "u-app", { userName: "dana" });
          await s.insertResource(app);
          await s.insertResource(resource("t1", "User", "u-idp", { userName: "erin" }));
          expect(await s.findResource("t1", "User", "u-app")).toEqual(app);
          expect((await s.findResource("t1", "User", "u-idp"))?.managed).toBeUndefined();
        });
      });

      it("lets a managed and an unmanaged user share a userName, differing only in case", async () => {
        await store.transaction(async (s) => {
          await s.insertResource(resource("t1", "User", "u-1", { userName: "dana" }));
          await s.insertResource(unmanaged("t1", "User", "u-2", { userName: "DANA" }));
        });
        expect(await store.transaction((s) => s.findKinds("t1", ["u-1", "u-2"]))).toEqual(new Map([["u-1", "User"], ["u-2", "User"]]));
      });

      it.each([
        ["managed", (id: string, userName: string) => resource("t1", "User", id, { userName })],
        ["unmanaged", (id: string, userName: string) => unmanaged("t1", "User", id, { userName })],
      ])("refuses two %s users whose userNames differ only in case", async (_label, make) => {
        await store.transaction((s) => s.insertResource(make("u-1", "dana")));
        await expect(store.transaction((s) => s.insertResource(make("u-2", "Dana")))).rejects.toBeInstanceOf(StoreConflictError);
      });

      it("keeps the managed flag through updateResource", async () => {
        await store.transaction(async (s) => {
          const app = unmanaged("t1", "User", "u-app", { userName: "dana" });
          await s.insertResource(app);
          const { managed: _managed, ...rest } = app;
          await s.updateResource({ ...rest, document: { userName: "dana2" }, version: 2 });
          expect(await s.findResource("t1", "User", "u-app")).toMatchObject({ managed: false, document: { userName: "dana2" }, version: 2 });
        });
      });

      it("queries only managed, only unmanaged, or both, also with cursor paging", async () => {
        await store.transaction(async (s) => {
          for (const n of [1, 2, 3]) await s.insertResource(resource("t1", "User", `m-${n}`, { userName: `m${n}` }));
          for (const n of [1, 2, 3]) await s.insertResource(unmanaged("t1", "User", `a-${n}`, { userName: `a${n}` }));
        });
        const ids = async (managed: boolean | undefined) => {
          const page = await store.transaction((s) => s.queryResources("t1", "User", { count: 100, ...(managed === undefined ? {} : { managed }) }));
          return { total: page.totalResults, ids: page.resources.map((r) => r.id).sort() };
        };
        expect(await ids(true)).toEqual({ total: 3, ids: ["m-1", "m-2", "m-3"] });
        expect(await ids(false)).toEqual({ total: 3, ids: ["a-1", "a-2", "a-3"] });
        expect(await ids(undefined)).toEqual({ total: 6, ids: ["a-1", "a-2", "a-3", "m-1", "m-2", "m-3"] });

        const first = await store.transaction((s) => s.queryResources("t1", "User", { count: 2, cursor: "", managed: false }));
        expect(first.resources.map((r) => [r.id, r.managed])).toEqual([["a-1", false], ["a-2", false]]);
        const cursor = first.nextCursor ?? "";
        const second = await store.transaction((s) => s.queryResources("t1", "User", { count: 2, cursor, managed: false }));
        expect(second.resources.map((r) => r.id)).toEqual(["a-3"]);
        expect(second.nextCursor).toBeUndefined();
        await expect(store.transaction((s) => s.queryResources("t1", "User", { count: 2, cursor, managed: true }))).rejects.toBeInstanceOf(
          StoreCursorError,
        );
      });

      it("finds kinds and groups of a member restricted to one managed flag", async () => {
        await store.transaction(async (s) => {
          await s.insertResource(resource("t1", "User", "u-idp", { userName: "erin" }));
          await s.insertResource(unmanaged("t1", "User", "u-app", { userName: "dana" }));
          await s.insertResource(resource("t1", "Group", "g-idp", { displayName: "Engineering" }));
          await s.insertResource(unmanaged("t1", "Group", "g-app", { displayName: "Engineering" }));
          await s.addMembers("t1", "g-idp", [{ id: "u-idp", kind: "User" }]);
          await s.addMembers("t1", "g-app", [{ id: "u-idp", kind: "User" }]);
          expect(await s.findKinds("t1", ["u-idp", "u-app", "g-app"], { managed: true })).toEqual(new Map([["u-idp", "User"]]));
          expect(await s.findKinds("t1", ["u-idp", "u-app", "g-app"], { managed: false })).toEqual(
            new Map([["u-app", "User"], ["g-app", "Group"]]),
          );
          expect((await s.listGroupsOf("t1", ["u-idp"], { managed: true })).get("u-idp")).toEqual([{ value: "g-idp", display: "Engineering" }]);
          // An unmanaged group says so (only the identity provider's groups grant roles, ADR 0021).
          expect((await s.listGroupsOf("t1", ["u-idp"], { managed: false })).get("u-idp")).toEqual([{ value: "g-app", display: "Engineering", managed: false }]);
          expect((await s.listGroupsOf("t1", ["u-idp"])).get("u-idp")).toHaveLength(2);
        });
      });

      it("reads a user's groups with it, in one statement, exactly as listGroupsOf lists them", async () => {
        await store.transaction(async (s) => {
          await s.insertResource(resource("t1", "User", "u-idp", { userName: "erin" }));
          await s.insertResource(resource("t1", "User", "u-none", { userName: "frank" }));
          await s.insertResource(unmanaged("t1", "User", "u-app", { userName: "dana" }));
          await s.insertResource(resource("t1", "Group", "g-idp-2", { displayName: "Ops" }));
          await s.insertResource(resource("t1", "Group", "g-idp-1", { displayName: "Engineering" }));
          await s.insertResource(unmanaged("t1", "Group", "g-app", { displayName: "Engineering" }));
          for (const group of ["g-idp-2", "g-idp-1", "g-app"]) await s.addMembers("t1", group, [{ id: "u-idp", kind: "User" }]);
          await s.addMembers("t1", "g-idp-1", [{ id: "g-app", kind: "Group" }]);
          // The same user in another tenant, in a group there: never counted here.
          await s.insertResource(resource("t2", "User", "u-idp", { userName: "erin" }));
          await s.insertResource(resource("t2", "Group", "g-other", { displayName: "Other" }));
          await s.addMembers("t2", "g-other", [{ id: "u-idp", kind: "User" }]);
        });
        const ids = ["u-idp", "u-none", "u-app"];
        for (const scope of [{}, { managed: true }, { managed: false }]) {
          // As listGroupsOf lists them, less the unmanaged mark (reads with a user never decide roles: GroupRef.managed).
          const marked = await store.read((s) => s.listGroupsOf("t1", ids, scope));
          const listed = new Map([...marked].map(([id, groups]) => [id, groups.map(({ value, display }) => ({ value, display }))]));
          for (const id of ids) {
            const found = await store.read((s) => s.findResource("t1", "User", id, { withGroups: scope }));
            expect(found?.groups, `${id} ${JSON.stringify(scope)}`).toEqual(listed.get(id));
            // Without withGroups the resource reads as stored, and is otherwise the same.
            const plain = await store.read((s) => s.findResource("t1", "User", id));
            expect(plain).toBeDefined();
            expect(plain?.groups).toBeUndefined();
            expect({ ...plain, groups: found?.groups }).toEqual(found);
          }
          const page = await store.read((s) => s.queryResources("t1", "User", { count: 10, withGroups: scope }));
          expect(new Map(page.resources.map((r) => [r.id, r.groups]))).toEqual(listed);
          // Past an OFFSET the groups are left for the caller (never wrong, only absent).
          const second = await store.read((s) => s.queryResources("t1", "User", { count: 2, startIndex: 2, withGroups: scope }));
          expect(second.resources).toHaveLength(2);
          for (const r of second.resources) if (r.groups !== undefined) expect(r.groups).toEqual(listed.get(r.id));
          expect(second.resources.some((r) => r.groups === undefined)).toBe(true);
          const cursorPage = await store.read((s) => s.queryResources("t1", "User", { count: 2, cursor: "", withGroups: scope }));
          expect(cursorPage.resources.map((r) => r.groups)).toEqual(cursorPage.resources.map((r) => listed.get(r.id)));
          // Groups have no `groups`: the option is ignored for them.
          expect((await store.read((s) => s.findResource("t1", "Group", "g-app", { withGroups: scope })))?.groups).toBeUndefined();
          expect((await store.read((s) => s.queryResources("t1", "Group", { count: 10, withGroups: scope }))).resources.every((r) => r.groups === undefined)).toBe(true);
        }
        expect((await store.read((s) => s.findResource("t1", "User", "u-idp", { withGroups: { managed: true } })))?.groups).toEqual([
          { value: "g-idp-1", display: "Engineering" },
          { value: "g-idp-2", display: "Ops" },
        ]);
        expect((await store.read((s) => s.findResource("t1", "User", "u-none", { withGroups: {} })))?.groups).toEqual([]);
      });

      it("pages a group's members by id", async () => {
        await store.transaction(async (s) => {
          await s.insertResource(unmanaged("t1", "Group", "g", { displayName: "Crew" }));
          for (const n of [3, 1, 2]) await s.insertResource(unmanaged("t1", "User", `u-${n}`, { userName: `u${n}`, displayName: `User ${n}` }));
          await s.addMembers("t1", "g", [1, 2, 3].map((n) => ({ id: `u-${n}`, kind: "User" as const })));
          expect(await s.listMembersPage("t1", "g", { limit: 2 })).toEqual([
            { value: "u-1", type: "User", display: "User 1" },
            { value: "u-2", type: "User", display: "User 2" },
          ]);
          expect(await s.listMembersPage("t1", "g", { limit: 2, after: "u-2" })).toEqual([{ value: "u-3", type: "User", display: "User 3" }]);
          expect(await s.listMembersPage("t1", "g", { limit: 2, after: "u-3" })).toEqual([]);
        });
      });
    });

    describe("token principals", () => {
      it("finds a token of an active unmanaged principal, and not once the principal is inactive, managed or gone", async () => {
        const principal = unmanaged("t1", "User", "u-app", { userName: "dana", active: true });
        await store.transaction(async (s) => {
          await s.insertResource(principal);
          const token = await s.insertToken({ id: "k1", tenantId: "t1", name: "fulcrum", hash: "h1", principalId: "u-app" }, tick());
          expect(token.principalId).toBe("u-app");
          await s.insertToken({ id: "k2", tenantId: "t1", name: "plain", hash: "h2" }, tick());
        });
        expect((await store.transaction((s) => s.findActiveToken("h1")))?.token.principalId).toBe("u-app");

        await store.transaction((s) => s.updateResource({ ...principal, document: { userName: "dana", active: false }, version: 2 }));
        expect(await store.transaction((s) => s.findActiveToken("h1"))).toBeUndefined();
        expect((await store.transaction((s) => s.findActiveToken("h2")))?.token.id).toBe("k2");

        await store.transaction((s) => s.updateResource({ ...principal, document: { userName: "dana", active: true }, version: 3 }));
        expect((await store.transaction((s) => s.findActiveToken("h1")))?.token.id).toBe("k1");

        await store.transaction((s) => s.deleteResource("t1", "User", "u-app"));
        expect(await store.transaction((s) => s.findActiveToken("h1"))).toBeUndefined();

        await store.transaction(async (s) => {
          await s.insertResource(resource("t1", "User", "u-idp", { userName: "erin", active: true }));
          await s.insertToken({ id: "k3", tenantId: "t1", name: "bad", hash: "h3", principalId: "u-idp" }, tick());
        });
        expect(await store.transaction((s) => s.findActiveToken("h3"))).toBeUndefined();
      });
    });

    describe("API keys", () => {
      it("stores tenant and administrator keys, finds them by hash and not after revocation", async () => {
        await store.transaction(async (s) => {
          const created = tick();
          expect(await s.insertApiKey({ id: "a1", tenantId: "t1", name: "app", hash: "ha1" }, created)).toEqual({
            id: "a1",
            tenantId: "t1",
            name: "app",
            created,
            revoked: null,
          });
          await s.insertApiKey({ id: "a2", tenantId: null, name: "admin", hash: "ha2" }, tick());
          expect((await s.findActiveApiKey("ha1"))?.tenantId).toBe("t1");
          expect((await s.findActiveApiKey("ha2"))?.tenantId).toBeNull();
          expect(await s.findActiveApiKey("nope")).toBeUndefined();
          expect((await s.listApiKeys()).map((k) => k.id)).toEqual(["a1", "a2"]);
          expect(await s.revokeApiKey("a1", tick())).toBe(true);
          expect(await s.revokeApiKey("a1", tick())).toBe(false);
          expect(await s.revokeApiKey("missing", tick())).toBe(false);
          expect(await s.findActiveApiKey("ha1")).toBeUndefined();
          expect((await s.listApiKeys())[0]?.revoked).toEqual(expect.any(String));
        });
      });
    });

    describe("named lists", () => {
      it("puts, replaces and finds a tenant's list; another tenant's is separate", async () => {
        await store.transaction(async (s) => {
          expect(await s.findList("t1", "roles")).toBeUndefined();
          await s.putList("t1", "roles", ["Mechanic", "Driver"], tick());
          await s.putList("t2", "roles", ["Other"], tick());
          expect(await s.findList("t1", "roles")).toEqual(["Mechanic", "Driver"]);
          await s.putList("t1", "roles", [], tick());
          expect(await s.findList("t1", "roles")).toEqual([]);
          expect(await s.findList("t2", "roles")).toEqual(["Other"]);
        });
      });
    });
  });
}
