import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ResolvedFilter } from "../../src/scim/filter/ast.js";
import { evaluateFilter } from "../../src/scim/filter/evaluate.js";
import { resolveAttributePath } from "../../src/scim/path.js";
import type { ResourceSchema } from "../../src/scim/schema/types.js";
import {
  type RequestLogEntry,
  type RequestLogSink,
  type ResourceKind,
  type ResourceQuery,
  type SortSpec,
  type Store,
  type StoredResource,
  StoreConflictError,
  StoreCursorError,
} from "../../src/store/store.js";
import { ACME, GROUP, GROUP_FILTERS, GROUPS, USER, USER_FILTERS, USERS, filterOf, resource, tick } from "./fixtures.js";

function sortOf(text: string, order: SortSpec["order"] = "ascending", schema: ResourceSchema = USER): SortSpec {
  const colon = text.lastIndexOf(":");
  const names = text.slice(colon + 1).split(".");
  const resolved = resolveAttributePath(
    { ...(colon === -1 ? {} : { schema: text.slice(0, colon) }), attribute: names[0] ?? "", ...(names[1] === undefined ? {} : { subAttribute: names[1] }) },
    schema,
    { errorCode: "invalidValue" },
  );
  if (!resolved.ok) throw new Error(resolved.issue.detail);
  return { path: resolved.value, order };
}

/**
 * The one Store conformance suite (STYLE.md: Hono's common.case.test.ts). Every backend
 * runs it unchanged; `makeStore` returns a fresh, empty, not yet migrated store.
 */
export function describeStoreConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
      await store.migrate();
      await store.transaction(async (s) => {
        for (const [id, slug] of [["t1", "acme"], ["t2", "globex"], ["t3", "initech"]] as const) {
          await s.createTenant({ id, slug, created: tick() });
        }
      });
    });

    afterEach(async () => {
      await store.close();
    });

    async function seedDirectory(tenantId: string): Promise<void> {
      await store.transaction(async (s) => {
        for (const user of USERS) await s.insertResource(resource(tenantId, "User", user.id, user.document, user));
        for (const group of GROUPS) await s.insertResource(resource(tenantId, "Group", group.id, { displayName: group.displayName }));
        for (const group of GROUPS) await s.addMembers(tenantId, group.id, group.members);
      });
    }

    async function ids(tenantId: string, kind: ResourceKind, query: Omit<ResourceQuery, "count"> & { count?: number }): Promise<string[]> {
      const page = await store.transaction((s) => s.queryResources(tenantId, kind, { count: 1000, ...query }));
      return page.resources.map((r) => r.id);
    }

    describe("lifecycle", () => {
      it("migrates idempotently and answers ping", async () => {
        await store.migrate();
        await store.migrate();
        await expect(store.ping()).resolves.toBeUndefined();
        expect(["sqlite", "postgres"]).toContain(store.dialect);
      });

      it("rolls back everything a failed transaction wrote", async () => {
        await expect(
          store.transaction(async (s) => {
            await s.insertResource(resource("t1", "User", "u-1", { userName: "ghost" }));
            throw new Error("boom");
          }),
        ).rejects.toThrow("boom");
        expect(await store.transaction((s) => s.findResource("t1", "User", "u-1"))).toBeUndefined();
      });

      it.each([[true], [false]])("reads one snapshot in Store.snapshot (long: %s) while writers commit", async (long) => {
        await store.transaction((s) => s.insertResource(resource("t1", "User", "u-1", { userName: "before" })));
        const seen = await store.snapshot(
          async (s) => {
            const first = await s.findResource("t1", "User", "u-1");
            // A long snapshot has a connection of its own: a writer commits meanwhile, not waiting for it.
            if (long) await store.transaction((w) => w.insertResource(resource("t1", "User", "u-2", { userName: "during" })));
            const page = await s.queryResources("t1", "User", { count: 10 });
            return { first: first?.document["userName"], ids: page.resources.map((r) => r.id) };
          },
          { long },
        );
        expect(seen).toEqual({ first: "before", ids: ["u-1"] });
        expect((await store.read((s) => s.queryResources("t1", "User", { count: 10 }))).resources.map((r) => r.id)).toEqual(long ? ["u-1", "u-2"] : ["u-1"]);
      });
    });

    describe("tenants", () => {
      it("raises StoreConflictError tenant.slug when the slug is taken", async () => {
        const error = await store.transaction((s) => s.createTenant({ id: "t9", slug: "acme", created: tick() })).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreConflictError);
        expect((error as StoreConflictError).constraint).toBe("tenant.slug");
      });

      it("finds tenants by slug and lists them in slug order", async () => {
        await store.transaction(async (s) => {
          expect(await s.findTenantBySlug("globex")).toMatchObject({ id: "t2", slug: "globex" });
          expect(await s.findTenantBySlug("nope")).toBeUndefined();
          expect((await s.listTenants()).map((t) => t.slug)).toEqual(["acme", "globex", "initech"]);
        });
      });
    });

    describe("tokens", () => {
      it("finds an unrevoked token by hash with its tenant, and not after revocation", async () => {
        await store.transaction(async (s) => {
          const created = tick();
          const token = await s.insertToken({ id: "k1", tenantId: "t1", name: "okta", hash: "h1" }, created);
          expect(token).toEqual({ id: "k1", tenantId: "t1", name: "okta", created, lastUsed: null, revoked: null });
          const found = await s.findActiveToken("h1");
          expect(found?.tenant.slug).toBe("acme");
          expect(found?.token.id).toBe("k1");
          const used = tick();
          await s.touchToken("k1", used);
          expect((await s.listTokens("t1"))[0]?.lastUsed).toBe(used);
          expect(await s.revokeToken("k1", tick())).toBe(true);
          expect(await s.revokeToken("k1", tick())).toBe(false);
          expect(await s.revokeToken("missing", tick())).toBe(false);
          expect(await s.findActiveToken("h1")).toBeUndefined();
          expect(await s.listTokens("t2")).toEqual([]);
        });
      });

      it("pages a tenant's tokens newest first, filtered by revoked, and finds one by id with its tenant", async () => {
        const expiresAt = "2030-01-01T00:00:00.000Z";
        await store.transaction(async (s) => {
          const created = tick();
          // Two tokens created in the same millisecond: the id breaks the tie.
          await s.insertToken({ id: "p1", tenantId: "t1", name: "a", hash: "hp1" }, created);
          await s.insertToken({ id: "p2", tenantId: "t1", name: "b", hash: "hp2", expiresAt }, created);
          await s.insertToken({ id: "p3", tenantId: "t1", name: "c", hash: "hp3" }, tick());
          await s.insertToken({ id: "q1", tenantId: "t2", name: "other", hash: "hq1" }, tick());
          await s.revokeToken("p1", tick());
        });
        await store.read(async (s) => {
          const ids = async (query: Parameters<typeof s.listTokensPage>[1]) => (await s.listTokensPage("t1", query)).map((token) => token.id);
          expect(await ids({ limit: 10 })).toEqual(["p3", "p2", "p1"]);
          const first = await s.listTokensPage("t1", { limit: 2 });
          expect(first.map((token) => token.id)).toEqual(["p3", "p2"]);
          const last = first[1];
          expect(last?.expiresAt).toBe(expiresAt);
          expect(await ids({ limit: 2, after: { created: last?.created ?? "", id: last?.id ?? "" } })).toEqual(["p1"]);
          expect(await ids({ limit: 10, revoked: true })).toEqual(["p1"]);
          expect(await ids({ limit: 10, revoked: false })).toEqual(["p3", "p2"]);
          const found = await s.findToken("p2");
          expect(found?.token).toMatchObject({ id: "p2", tenantId: "t1", expiresAt, revoked: null });
          expect(found?.tenant).toMatchObject({ id: "t1", slug: "acme" });
          expect((await s.findToken("p1"))?.token.revoked).toEqual(expect.any(String));
          expect(await s.findToken("missing")).toBeUndefined();
          expect(await s.findTenantById("t2")).toMatchObject({ id: "t2", slug: "globex" });
          expect(await s.findTenantById("missing")).toBeUndefined();
        });
      });
    });

    describe("request log", () => {
      const entry = (tenantId: string, n: number): RequestLogEntry => ({
        tenantId,
        requestId: `r${n}`,
        at: tick(),
        method: "GET",
        path: "/Users",
        status: n % 2 === 0 ? 200 : 400,
        durationMs: 1.5,
        scimType: n % 2 === 0 ? null : "invalidFilter",
        errorDetail: null,
        userAgent: "Okta SCIM Client",
        requestBody: n === 1 ? '{"a":1}' : null,
      });

      /** Writes through a sink of the store's, as the server's request log does. */
      async function withSink(fn: (sink: RequestLogSink) => Promise<void>): Promise<void> {
        const sink = store.openRequestLogSink();
        try {
          await fn(sink);
        } finally {
          await sink.close();
        }
      }
      const ids = async (tenantId: string, limit = 10) => (await store.read((s) => s.listRequestLog(tenantId, limit))).map((e) => e.requestId);

      it("lists newest first and prunes all but the newest entries of the tenants named", async () => {
        const first = [1, 2, 3, 4, 5].map((n) => entry("t1", n));
        await withSink(async (sink) => {
          await sink.write([...first, entry("t2", 6)], [], { authenticated: 10, unauthenticated: 10 });
          expect(await ids("t1", 3)).toEqual(["r5", "r4", "r3"]);
          expect((await store.read((s) => s.listRequestLog("t1", 10))).at(-1)).toEqual(first[0]);
          await sink.write([], ["t1"], { authenticated: 2, unauthenticated: 2 });
          expect(await ids("t1")).toEqual(["r5", "r4"]);
          expect(await ids("t2")).toEqual(["r6"]);
          // In one write the new entries come first, then the prune: the newest are kept.
          await sink.write([entry("t1", 7), entry("t2", 8)], ["t1", "t2"], { authenticated: 1, unauthenticated: 1 });
          expect(await ids("t1")).toEqual(["r7"]);
          expect(await ids("t2")).toEqual(["r8"]);
        });
      });

      it("prunes unauthenticated entries apart from the others, and counts those it removed", async () => {
        const anonymous = (tenantId: string, n: number): RequestLogEntry => ({ ...entry(tenantId, n), status: 401, unauthenticated: true });
        const keep = { authenticated: 3, unauthenticated: 2 };
        const last = [entry("t1", 12), anonymous("t1", 13)] as const;
        await withSink(async (sink) => {
          await sink.write([entry("t1", 1), entry("t1", 2), anonymous("t2", 3)], [], keep);
          // Eight anonymous entries after the two authenticated ones: only the anonymous give way.
          await sink.write([3, 4, 5, 6, 7, 8, 9, 10].map((n) => anonymous("t1", n)), ["t1"], keep);
          expect(await ids("t1")).toEqual(["r10", "r9", "r2", "r1"]);
          expect(await store.read((s) => s.countUnauthenticatedDropped("t1"))).toBe(6);
          await sink.write([entry("t1", 11), last[0], last[1]], ["t1", "t2"], keep);
          expect(await ids("t1")).toEqual(["r13", "r12", "r11", "r10", "r2"]);
          expect(await store.read((s) => s.countUnauthenticatedDropped("t1"))).toBe(7);
          expect(await ids("t2")).toEqual(["r3"]);
          expect(await store.read((s) => s.countUnauthenticatedDropped("t2"))).toBe(0);
        });
        expect((await store.read((s) => s.listRequestLog("t1", 2))).slice().reverse()).toEqual(last);
        expect(await store.read((s) => s.countUnauthenticatedDropped("missing"))).toBe(0);
      });

      it("round-trips every field of an entry", async () => {
        const written = entry("t1", 1);
        await withSink((sink) => sink.write([written], [], { authenticated: 10, unauthenticated: 10 }));
        expect(await store.read((s) => s.listRequestLog("t1", 1))).toEqual([written]);
      });

      it("appends a large batch whole and in order, across statements of every size", async () => {
        // 64 + 64 + 16 + 8 + 2 + 1 rows: every statement shape where the store's transactions write it, in the batch's order.
        const batch = Array.from({ length: 155 }, (_, n) => ({ ...entry(n % 3 === 0 ? "t2" : "t1", n), ...(n % 5 === 0 ? { notes: [`note ${n}`] } : {}) }));
        await withSink(async (sink) => {
          await sink.write(batch, [], { authenticated: 1000, unauthenticated: 1000 });
          await sink.write([], [], { authenticated: 1000, unauthenticated: 1000 });
        });
        const listed = await store.read(async (s) => [...(await s.listRequestLog("t1", 500)), ...(await s.listRequestLog("t2", 500))]);
        expect(listed).toHaveLength(155);
        expect([...(await store.read((s) => s.listRequestLog("t1", 500)))].reverse()).toEqual(batch.filter((e) => e.tenantId === "t1"));
        expect([...(await store.read((s) => s.listRequestLog("t2", 500)))].reverse()).toEqual(batch.filter((e) => e.tenantId === "t2"));
      });

      it("answers writes in the order they were made, and refuses them once closed", async () => {
        const sink = store.openRequestLogSink();
        const answered: number[] = [];
        await Promise.all([1, 2, 3].map((n) => sink.write([entry("t1", n)], [], { authenticated: 10, unauthenticated: 10 }).then(() => answered.push(n))));
        expect(answered).toEqual([1, 2, 3]);
        await sink.close();
        await expect(sink.write([entry("t1", 4)], [], { authenticated: 10, unauthenticated: 10 })).rejects.toThrow(/closed/);
        expect(await ids("t1")).toEqual(["r3", "r2", "r1"]);
      });
    });

    describe("resources", () => {
      it("inserts, finds, updates, touches and deletes a resource", async () => {
        const user = resource("t1", "User", "u-1", { userName: "alice", emails: [{ value: "alice@a.example" }] });
        await store.transaction(async (s) => {
          await s.insertResource(user);
          expect(await s.findResource("t1", "User", "u-1")).toEqual(user);
          expect(await s.findResource("t1", "User", "u-1", { lock: true })).toEqual(user);
          expect(await s.findResource("t1", "Group", "u-1")).toBeUndefined();
          expect(await s.findResource("t2", "User", "u-1")).toBeUndefined();

          const updated = { ...user, document: { userName: "alice2", emails: [{ value: "new@a.example" }] }, lastModified: tick(), version: 2 };
          await s.updateResource(updated);
          expect(await s.findResource("t1", "User", "u-1")).toEqual(updated);
          expect((await s.queryResources("t1", "User", { count: 10, filter: filterOf('emails.value eq "alice@a.example"') })).totalResults).toBe(0);
          expect((await s.queryResources("t1", "User", { count: 10, filter: filterOf('emails.value eq "NEW@a.example"') })).totalResults).toBe(1);

          const touched = tick();
          await s.touchResource("t1", "u-1", touched, 3);
          expect(await s.findResource("t1", "User", "u-1")).toMatchObject({ lastModified: touched, version: 3, created: user.created });

          expect(await s.deleteResource("t1", "User", "u-1")).toBe(true);
          expect(await s.deleteResource("t1", "User", "u-1")).toBe(false);
          expect(await s.findResource("t1", "User", "u-1")).toBeUndefined();
        });
      });

      it("keeps every indexed lookup right through updates that change one indexed value at a time, or none", async () => {
        const found = async (kind: ResourceKind, filter: string) =>
          (await store.read((s) => s.queryResources("t1", kind, { count: 10, filter: filterOf(filter) }))).resources.map((r) => r.id);
        const doc = { userName: "carol", externalId: "x-1", displayName: "Carol", title: "one", emails: [{ value: "carol@a.example", type: "work" }] };
        const user = resource("t1", "User", "u-9", doc);
        const group = resource("t1", "Group", "g-9", { displayName: "Team" });
        await store.transaction(async (s) => {
          await s.insertResource(user);
          await s.insertResource(group);
        });
        const steps: readonly (readonly [Record<string, unknown>, readonly string[], readonly string[]])[] = [
          // [document, filters that find u-9, filters that do not]
          [{ ...doc, title: "two" }, ['userName eq "carol"', 'externalId eq "x-1"', 'displayName eq "carol"', 'emails.value eq "carol@a.example"', 'title eq "two"'], ['title eq "one"']],
          [{ ...doc, userName: "carol2" }, ['userName eq "CAROL2"', 'externalId eq "x-1"'], ['userName eq "carol"']],
          [{ ...doc, userName: "carol2", externalId: "x-2" }, ['externalId eq "x-2"', 'userName eq "carol2"'], ['externalId eq "x-1"']],
          [{ ...doc, userName: "carol2", externalId: "x-2", displayName: "Caroline" }, ['displayName eq "caroline"'], ['displayName eq "Carol"']],
          [{ ...doc, userName: "carol2", externalId: "x-2", displayName: "Caroline", emails: [{ value: "carol@a.example", type: "home" }] }, ['emails[type eq "home"]'], ['emails[type eq "work"]']],
          [{ ...doc, userName: "carol2", externalId: "x-2", displayName: "Caroline", emails: [{ value: "c@a.example", type: "home" }, { value: "d@a.example" }] }, ['emails.value eq "d@a.example"', 'emails.value eq "c@a.example"'], ['emails.value eq "carol@a.example"']],
          [{ userName: "carol2" }, ['userName eq "carol2"'], ['externalId pr', 'emails pr', 'displayName pr']],
        ];
        let version = 1;
        for (const [document, hits, misses] of steps) {
          const next = { ...user, document, lastModified: tick(), version: ++version };
          await store.transaction((s) => s.updateResource(next));
          expect(await store.read((s) => s.findResource("t1", "User", "u-9"))).toEqual(next);
          for (const filter of hits) expect(await found("User", filter), filter).toEqual(["u-9"]);
          for (const filter of misses) expect(await found("User", filter), filter).toEqual([]);
        }
        const renamed = { ...group, document: { displayName: "Team B" }, lastModified: tick(), version: 2 };
        await store.transaction((s) => s.updateResource(renamed));
        expect(await found("Group", 'displayName eq "team b"')).toEqual(["g-9"]);
        expect(await found("Group", 'displayName eq "Team"')).toEqual([]);
        // An update naming the wrong kind changes nothing, as before.
        await store.transaction((s) => s.updateResource({ ...renamed, kind: "User", document: { userName: "ghost" }, version: 3 }));
        expect(await store.read((s) => s.findResource("t1", "Group", "g-9"))).toEqual(renamed);
      });

      it("raises StoreConflictError user.userName when userName differs only in case", async () => {
        await store.transaction((s) => s.insertResource(resource("t1", "User", "u-1", { userName: "Ülrich" })));
        const error = await store.transaction((s) => s.insertResource(resource("t1", "User", "u-2", { userName: "üLRICH" }))).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreConflictError);
        expect((error as StoreConflictError).constraint).toBe("user.userName");
      });

      it("raises StoreConflictError when an update takes another user's userName", async () => {
        await store.transaction(async (s) => {
          await s.insertResource(resource("t1", "User", "u-1", { userName: "alice" }));
          await s.insertResource(resource("t1", "User", "u-2", { userName: "bob" }));
        });
        const error = await store
          .transaction((s) => s.updateResource({ ...resource("t1", "User", "u-2", { userName: "ALICE" }), version: 2 }))
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StoreConflictError);
      });

      it("allows the same userName in two tenants and a group named like a user", async () => {
        await store.transaction(async (s) => {
          await s.insertResource(resource("t1", "User", "u-1", { userName: "alice" }));
          await s.insertResource(resource("t2", "User", "u-2", { userName: "alice" }));
          await s.insertResource(resource("t1", "Group", "g-1", { displayName: "alice" }));
          await s.insertResource(resource("t1", "Group", "g-2", { displayName: "ALICE" }));
        });
        expect(await ids("t1", "User", {})).toEqual(["u-1"]);
      });

      it("lets exactly one of two concurrent creates of the same userName win", async () => {
        const create = (id: string, userName: string) =>
          store.transaction(async (s) => {
            const clash = await s.queryResources("t1", "User", { count: 1, filter: filterOf(`userName eq "${userName}"`) });
            if (clash.totalResults > 0) throw new StoreConflictError("user.userName", "taken");
            await s.insertResource(resource("t1", "User", id, { userName }));
          });
        const results = await Promise.allSettled([create("u-1", "carol"), create("u-2", "CAROL"), create("u-3", "Carol")]);
        expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
        for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(StoreConflictError);
        expect(await ids("t1", "User", {})).toHaveLength(1);
      });

      it("finds the kinds of existing ids of the tenant only", async () => {
        await seedDirectory("t1");
        const kinds = await store.transaction((s) => s.findKinds("t1", ["u-bjensen", "g-eng", "missing"]));
        expect([...kinds.entries()].sort()).toEqual([["g-eng", "Group"], ["u-bjensen", "User"]]);
        expect((await store.transaction((s) => s.findKinds("t2", ["u-bjensen"]))).size).toBe(0);
      });

      it("reads several resources of either kind by id in one call, as findResource reads each, the tenant's only", async () => {
        await seedDirectory("t1");
        await store.transaction(async (s) => {
          const found = await s.findResources("t1", ["u-bjensen", "g-eng", "missing", "u-bjensen"]);
          expect([...found.keys()].sort()).toEqual(["g-eng", "u-bjensen"]);
          expect(found.get("u-bjensen")).toEqual(await s.findResource("t1", "User", "u-bjensen"));
          expect(found.get("g-eng")).toEqual(await s.findResource("t1", "Group", "g-eng"));
          expect((await s.findResources("t2", ["u-bjensen"])).size).toBe(0);
          expect((await s.findResources("t1", [])).size).toBe(0);
        });
      });

      it("reads more resources by id than one statement binds (1,201 ids)", async () => {
        const ids = Array.from({ length: 1201 }, (_, i) => `bulk-${String(i).padStart(4, "0")}`);
        await store.transaction(async (s) => {
          for (const id of ids) await s.insertResource(resource("t1", "User", id, { userName: id, displayName: `User ${id}` }));
        });
        const found = await store.transaction((s) => s.findResources("t1", [...ids, "missing"]));
        expect(found.size).toBe(1201);
        expect(found.get("bulk-1200")).toMatchObject({ id: "bulk-1200", kind: "User", document: { userName: "bulk-1200", displayName: "User bulk-1200" }, version: 1 });
      });
    });

    describe("filters agree with evaluate.ts", () => {
      function wireForm(r: StoredResource, members: Map<string, { value: string; type: ResourceKind; display: string | null }[]>, groupsOf: Map<string, { value: string; display: string | null }[]>): Record<string, unknown> {
        return {
          ...r.document,
          id: r.id,
          meta: { resourceType: r.kind, created: r.created, lastModified: r.lastModified, version: `W/"${r.version}"` },
          ...(r.kind === "Group"
            ? { members: members.get(r.id) ?? [] }
            : { groups: (groupsOf.get(r.id) ?? []).map((g) => ({ ...g, type: "direct" })) }),
        };
      }

      async function expected(kind: ResourceKind, filter: ResolvedFilter): Promise<string[]> {
        return store.transaction(async (s) => {
          const all = (await s.queryResources("t1", kind, { count: 1000 })).resources;
          const members = new Map([...(await s.listMembersOfGroups("t1", all.map((r) => r.id))).entries()].map(([k, v]) => [k, [...v]]));
          const groupsOf = new Map([...(await s.listGroupsOf("t1", all.map((r) => r.id))).entries()].map(([k, v]) => [k, [...v]]));
          return all.filter((r) => evaluateFilter(filter, wireForm(r, members, groupsOf))).map((r) => r.id);
        });
      }

      beforeEach(async () => {
        await seedDirectory("t1");
        // The same directory in t2 with other ids: a filter never reaches across tenants.
        await store.transaction(async (s) => {
          for (const user of USERS) await s.insertResource(resource("t2", "User", `t2-${user.id}`, user.document, user));
          await s.insertResource(resource("t2", "Group", "t2-g", { displayName: "Engineering" }));
          await s.addMembers("t2", "t2-g", [{ id: "t2-u-bjensen", kind: "User" }]);
        });
      });

      it.each(USER_FILTERS.map((text) => [text]))("Users: %s", async (text) => {
        const filter = filterOf(text);
        const want = await expected("User", filter);
        expect(await ids("t1", "User", { filter })).toEqual(want);
        const page = await store.transaction((s) => s.queryResources("t1", "User", { count: 0, filter }));
        expect(page).toEqual({ totalResults: want.length, resources: [] });
      });

      it.each(GROUP_FILTERS.map((text) => [text]))("Groups: %s", async (text) => {
        const filter = filterOf(text, GROUP);
        expect(await ids("t1", "Group", { filter })).toEqual(await expected("Group", filter));
      });

      it("matches a representative set with the expected resources", async () => {
        const cases: [string, string[]][] = [
          ['userName eq "BJENSEN@EXAMPLE.COM"', ["u-bjensen"]],
          ['userName sw "Ü"', ["u-ulrich"]],
          ['userName co "%"', ["u-percent"]],
          ['externalId eq "BJENSEN"', []],
          ['emails[type eq "work" and value ew "@example.com"]', ["u-bjensen"]],
          ['emails.type eq "work"', ["u-bjensen", "u-percent"]],
          ['meta.lastModified gt "2014-01-01T00:00:00Z"', ["u-percent", "u-typed", "u-ulrich"]],
          ['title ne "Tour Guide"', ["u-jsmith", "u-percent", "u-typed"]],
          ['active eq true', ["u-bjensen", "u-percent"]],
          [`${ACME}:tags eq "red"`, ["u-bjensen", "u-typed"]],
          [`${ACME}:level ge 3 and ${ACME}:level lt 10`, ["u-bjensen", "u-ulrich"]],
          ['groups.display eq "sales"', ["u-jsmith"]],
        ];
        for (const [text, want] of cases) expect([text, await ids("t1", "User", { filter: filterOf(text) })]).toEqual([text, want]);
      });
    });

    describe("sorting and paging", () => {
      beforeEach(async () => {
        await seedDirectory("t1");
      });

      it.each<[string, SortSpec["order"], string[]]>([
        ["userName", "ascending", ["u-percent", "u-bjensen", "u-jsmith", "u-typed", "u-ulrich"]],
        ["userName", "descending", ["u-ulrich", "u-typed", "u-jsmith", "u-bjensen", "u-percent"]],
        ["title", "ascending", ["u-percent", "u-jsmith", "u-bjensen", "u-ulrich", "u-typed"]],
        ["title", "descending", ["u-typed", "u-bjensen", "u-ulrich", "u-jsmith", "u-percent"]],
        ["emails.value", "ascending", ["u-bjensen", "u-jsmith", "u-percent", "u-typed", "u-ulrich"]],
        ["emails.type", "ascending", ["u-jsmith", "u-percent", "u-bjensen", "u-typed", "u-ulrich"]],
        ["meta.lastModified", "descending", ["u-typed", "u-percent", "u-ulrich", "u-jsmith", "u-bjensen"]],
        [`${ACME}:level`, "descending", ["u-percent", "u-typed", "u-jsmith", "u-bjensen", "u-ulrich"]],
        ["active", "ascending", ["u-jsmith", "u-bjensen", "u-percent", "u-typed", "u-ulrich"]],
      ])("sorts Users by %s %s, missing values last ascending and first descending (RFC 7644 §3.4.2.3), id breaking ties", async (path, order, want) => {
        expect(await ids("t1", "User", { sort: sortOf(path, order) })).toEqual(want);
      });

      it("sorts Groups by displayName ignoring case", async () => {
        expect(await ids("t1", "Group", { sort: sortOf("displayName", "ascending", GROUP) })).toEqual(["g-empty", "g-eng", "g-sales"]);
      });

      it("pages by index: 1-based startIndex, count, totals from SQL", async () => {
        const sort = sortOf("userName");
        const page = await store.transaction((s) => s.queryResources("t1", "User", { sort, startIndex: 2, count: 2 }));
        expect(page.totalResults).toBe(5);
        expect(page.resources.map((r) => r.id)).toEqual(["u-bjensen", "u-jsmith"]);
        expect(page.nextCursor).toBeUndefined();
        expect(await ids("t1", "User", { sort, startIndex: 5, count: 10 })).toEqual(["u-ulrich"]);
        expect(await ids("t1", "User", { sort, startIndex: 9, count: 10 })).toEqual([]);
      });

      it("binds each query's own values into SQL compiled for an earlier query of the same shape", async () => {
        // The first query of each shape compiles it; the later ones only bind (prepared-query.ts).
        const expectations: [string, string[]][] = [
          ['userName eq "JSMITH"', ["u-jsmith"]],
          ['userName eq "bjensen@example.COM"', ["u-bjensen"]],
          ['userName eq "ülrich"', ["u-ulrich"]],
          ['userName eq "nobody"', []],
          ['externalId eq "bjensen"', ["u-bjensen"]],
          ['externalId eq "BJENSEN"', []],
          ['externalId eq "ULR"', ["u-ulrich"]],
          ['emails[type eq "home" and value eq "john@example.org"]', ["u-jsmith"]],
          ['emails[type eq "work" and value eq "john@example.org"]', []],
          ['userName sw "j" and not (externalId eq "x")', ["u-jsmith"]],
          ['userName sw "b" and not (externalId eq "bjensen")', []],
          ['userName co "%_" or userName eq "typed"', ["u-percent", "u-typed"]],
          ['userName co "ul" or userName eq "JSmith"', ["u-jsmith"]],
          ['meta.lastModified gt "2011-05-13T04:42:34Z"', await ids("t1", "User", { filter: filterOf('meta.lastModified gt "2011-05-13T04:42:34Z"') })],
        ];
        for (const [text, want] of [...expectations, ...expectations]) {
          expect((await ids("t1", "User", { filter: filterOf(text) })).sort(), text).toEqual([...want].sort());
          expect((await store.transaction((s) => s.queryResources("t1", "User", { filter: filterOf(text), count: 0 }))).totalResults, text).toBe(want.length);
        }
        // Another tenant binds its own id into the same shapes.
        expect(await ids("t2", "User", { filter: filterOf('userName eq "JSMITH"') })).toEqual([]);
      });

      it("tells the total on every kind of page, whether it could be read off the page or had to be counted", async () => {
        const total = async (query: ResourceQuery) => (await store.transaction((s) => s.queryResources("t1", "User", query))).totalResults;
        const bjensen = filterOf('userName eq "BJENSEN@example.COM"');
        const nobody = filterOf('userName eq "nobody"');
        // 5 users: short pages, full pages, pages past the end, a page ending exactly at the end.
        for (const [startIndex, count] of [[1, 10], [1, 5], [1, 4], [4, 2], [5, 1], [5, 10], [6, 10], [9, 3], [1, 1]] as const) {
          expect(await total({ startIndex, count }), `startIndex ${startIndex}, count ${count}`).toBe(5);
        }
        expect(await total({ filter: bjensen, count: 100 })).toBe(1);
        expect(await total({ filter: bjensen, startIndex: 2, count: 100 })).toBe(1);
        expect(await total({ filter: nobody, count: 100 })).toBe(0);
        expect(await total({ filter: nobody, startIndex: 3, count: 100 })).toBe(0);
        expect(await total({ count: 0 })).toBe(5);
        expect(await total({ cursor: "", count: 10 })).toBe(5);
        expect(await total({ cursor: "", count: 5 })).toBe(5);
        const first = await store.transaction((s) => s.queryResources("t1", "User", { cursor: "", count: 2 }));
        expect(first.totalResults).toBe(5);
        const last = await store.transaction((s) => s.queryResources("t1", "User", { cursor: first.nextCursor!, count: 10 }));
        expect(last).toMatchObject({ totalResults: 5 });
        expect(last.resources).toHaveLength(3);
      });

      describe("cursor paging walks every resource once", () => {
        const titles = ["b", "A", undefined, "c", "a", undefined, "B"];
        beforeEach(async () => {
          await store.transaction(async (s) => {
            for (let i = 0; i < 23; i++) {
              const title = titles[i % titles.length];
              await s.insertResource(resource("t3", "User", `p-${String(i).padStart(2, "0")}`, { userName: `user${(i * 7) % 23}`, ...(title === undefined ? {} : { title }) }));
            }
          });
        });

        it.each<[string | undefined, SortSpec["order"], number]>([
          [undefined, "ascending", 5],
          ["title", "ascending", 4],
          ["title", "descending", 3],
          ["userName", "descending", 7],
          ["meta.created", "ascending", 23],
          ["meta.created", "descending", 1],
        ])("sorted by %s %s in pages of %i", async (path, order, count) => {
          const sort = path === undefined ? undefined : sortOf(path, order);
          const whole = await ids("t3", "User", sort === undefined ? {} : { sort });
          const seen: string[] = [];
          let cursor = "";
          for (let pages = 0; pages < 50; pages++) {
            const page = await store.transaction((s) => s.queryResources("t3", "User", { ...(sort === undefined ? {} : { sort }), count, cursor }));
            expect(page.totalResults).toBe(23);
            expect(page.resources.length).toBeLessThanOrEqual(count);
            seen.push(...page.resources.map((r) => r.id));
            if (page.nextCursor === undefined) break;
            cursor = page.nextCursor;
          }
          expect(new Set(seen).size).toBe(23);
          expect(seen).toEqual(whole);
        });

        it("pages a filtered query and refuses its cursor for another filter or sort", async () => {
          const filter = filterOf('title eq "a"');
          const first = await store.transaction((s) => s.queryResources("t3", "User", { filter, count: 2, cursor: "" }));
          expect(first.totalResults).toBe(7);
          const next = first.nextCursor ?? "";
          expect(next).not.toBe("");
          const second = await store.transaction((s) => s.queryResources("t3", "User", { filter, count: 10, cursor: next }));
          expect(second.resources).toHaveLength(5);
          expect(second.nextCursor).toBeUndefined();
          await expect(store.transaction((s) => s.queryResources("t3", "User", { filter: filterOf('title eq "b"'), count: 2, cursor: next }))).rejects.toBeInstanceOf(StoreCursorError);
          await expect(store.transaction((s) => s.queryResources("t3", "User", { filter, sort: sortOf("title"), count: 2, cursor: next }))).rejects.toBeInstanceOf(StoreCursorError);
          await expect(store.transaction((s) => s.queryResources("t2", "User", { filter, count: 2, cursor: next }))).rejects.toBeInstanceOf(StoreCursorError);
          for (const bad of ["garbage", "e30", Buffer.from('{"v":2}').toString("base64url")]) {
            await expect(store.transaction((s) => s.queryResources("t3", "User", { filter, count: 2, cursor: bad }))).rejects.toBeInstanceOf(StoreCursorError);
          }
        });
      });
    });

    describe("memberships", () => {
      beforeEach(async () => {
        await seedDirectory("t1");
      });

      it("adds and removes members idempotently, returning only what changed", async () => {
        await store.transaction(async (s) => {
          expect(await s.addMembers("t1", "g-empty", [{ id: "u-ulrich", kind: "User" }, { id: "u-ulrich", kind: "User" }, { id: "g-sales", kind: "Group" }])).toEqual(
            expect.arrayContaining(["u-ulrich", "g-sales"]),
          );
          expect(await s.addMembers("t1", "g-empty", [{ id: "u-ulrich", kind: "User" }, { id: "u-typed", kind: "User" }])).toEqual(["u-typed"]);
          expect(await s.removeMembers("t1", "g-empty", ["u-typed", "u-percent"])).toEqual(["u-typed"]);
          expect(await s.removeMembers("t1", "g-empty", ["u-typed"])).toEqual([]);
          expect((await s.listMembers("t1", "g-empty")).map((m) => m.value)).toEqual(["g-sales", "u-ulrich"]);
          expect(await s.removeAllMembers("t1", "g-empty")).toBe(2);
          expect(await s.listMembers("t1", "g-empty")).toEqual([]);
        });
      });

      it("lists members with their kind and current display name", async () => {
        await store.transaction(async (s) => {
          expect(await s.listMembers("t1", "g-sales")).toEqual([
            { value: "g-eng", type: "Group", display: "Engineering" },
            { value: "u-jsmith", type: "User", display: "John Smith" },
          ]);
          await s.updateResource({ ...resource("t1", "User", "u-jsmith", { userName: "JSmith" }), version: 2 });
          expect(await s.listMembers("t1", "g-eng")).toEqual([
            { value: "u-bjensen", type: "User", display: "Babs Jensen" },
            { value: "u-jsmith", type: "User", display: "JSmith" },
          ]);
          const of = await s.listMembersOfGroups("t1", ["g-eng", "g-empty", "g-missing"]);
          expect(of.get("g-eng")).toHaveLength(2);
          expect(of.get("g-empty")).toEqual([]);
          const groups = await s.listGroupsOf("t1", ["u-jsmith", "g-eng", "u-ulrich"]);
          expect(groups.get("u-jsmith")).toEqual([{ value: "g-eng", display: "Engineering" }, { value: "g-sales", display: "Sales" }]);
          expect(groups.get("g-eng")).toEqual([{ value: "g-sales", display: "Sales" }]);
          expect(groups.get("u-ulrich")).toEqual([]);
        });
      });

      it.each<[string, string[]]>([
        ['members[value eq "u-jsmith"]', ["u-jsmith"]],
        ['members[type eq "group"]', ["g-eng"]],
        ['members[display co "ENG"]', ["g-eng"]],
        ['members[not (type eq "User") or display sw "john"]', ["g-eng", "u-jsmith"]],
        ['members[display pr]', ["g-eng", "u-jsmith"]],
      ])("lists the members matching %s", async (text, want) => {
        const valuePath = filterOf(text, GROUP);
        if (valuePath.kind !== "valuePath") throw new Error("expected a value path");
        const members = await store.transaction((s) => s.listMembers("t1", "g-sales", valuePath.filter));
        expect(members.map((m) => m.value)).toEqual(want);
      });

      it("deletes membership rows naming a deleted resource on both sides", async () => {
        await store.transaction(async (s) => {
          expect(await s.deleteResource("t1", "User", "u-jsmith")).toBe(true);
          expect((await s.listMembers("t1", "g-eng")).map((m) => m.value)).toEqual(["u-bjensen"]);
          expect(await s.deleteResource("t1", "Group", "g-eng")).toBe(true);
          expect((await s.listMembers("t1", "g-sales")).map((m) => m.value)).toEqual([]);
          expect((await s.listGroupsOf("t1", ["u-bjensen"])).get("u-bjensen")).toEqual([]);
        });
      });

      it("loses no member when many transactions add to one group at once", async () => {
        await store.transaction(async (s) => {
          for (let i = 0; i < 20; i++) await s.insertResource(resource("t1", "User", `m-${i}`, { userName: `member${i}` }));
        });
        await Promise.all(
          Array.from({ length: 20 }, (_, i) => store.transaction((s) => s.addMembers("t1", "g-empty", [{ id: `m-${i}`, kind: "User" }, { id: "m-0", kind: "User" }]))),
        );
        expect(await store.transaction((s) => s.listMembers("t1", "g-empty"))).toHaveLength(20);
      });

      it("scopes memberships by tenant", async () => {
        await store.transaction(async (s) => {
          expect(await s.listMembers("t2", "g-eng")).toEqual([]);
          expect(await s.removeAllMembers("t2", "g-eng")).toBe(0);
          expect((await s.listGroupsOf("t2", ["u-jsmith"])).get("u-jsmith")).toEqual([]);
        });
        expect(await store.transaction((s) => s.listMembers("t1", "g-eng"))).toHaveLength(2);
      });
    });
  });
}
