import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createResource, deleteResource, getResource, patchResource, replaceResource, type ScimContext } from "../../src/directory/resources.js";
import { tenantSchemas } from "../../src/directory/schemas.js";
import { createTenant } from "../../src/directory/tenants.js";
import { recordEvents } from "../../src/events/record-events.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store, StoreSession, Tenant } from "../../src/store/store.js";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.js";
import { testDatabaseKind } from "../helpers/roster.js";
import { PATCH_OP } from "./support.js";

/** The store, counting the session calls every transaction makes (by method name). */
function counting(store: Store): { store: Store; take(): Record<string, number> } {
  let calls: Record<string, number> = {};
  const wrapped: Store = {
    dialect: store.dialect,
    migrate: () => store.migrate(),
    ping: () => store.ping(),
    changeVersion: () => store.changeVersion(),
    openRequestLogSink: () => store.openRequestLogSink(),
    purgeRequestLog: (tenantId) => store.purgeRequestLog(tenantId),
    close: () => store.close(),
    read: (fn) => store.read(fn),
    snapshot: (fn, options) => store.snapshot(fn, options),
    transaction: (fn) =>
      store.transaction((session) =>
        fn(
          new Proxy(session, {
            get(target, name, receiver) {
              const value = Reflect.get(target, name, receiver) as unknown;
              if (typeof value !== "function" || typeof name !== "string") return value;
              return (...args: unknown[]) => {
                calls[name] = (calls[name] ?? 0) + 1;
                return (value as (...a: unknown[]) => unknown).apply(target, args);
              };
            },
          }) as StoreSession,
        ),
      ),
  };
  return {
    store: wrapped,
    take() {
      const taken = calls;
      calls = {};
      return taken;
    },
  };
}

/** What the second record has that the first has not (positive) or lacks (negative). */
function difference(plain: Record<string, number>, recorded: Record<string, number>): Record<string, number> {
  const names = new Set([...Object.keys(plain), ...Object.keys(recorded)]);
  const diff: Record<string, number> = {};
  for (const name of names) {
    const delta = (recorded[name] ?? 0) - (plain[name] ?? 0);
    if (delta !== 0) diff[name] = delta;
  }
  return diff;
}

const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

let raw: Store;
let directory: string;
let postgres: TestDatabase | undefined;
let tenant: Tenant;
let counter: ReturnType<typeof counting>;
let plain: ScimContext;
let recorded: ScimContext;
let serial = 0;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "roster-cost-"));
  postgres = testDatabaseKind() === "postgres" ? await createTestDatabase("cost") : undefined;
  raw = await openStore(postgres?.url ?? join(directory, "roster.db"), { migrate: true });
  tenant = await createTenant(raw, "acme");
  counter = counting(raw);
  const base = { tenant, baseUrl: "http://localhost/scim/v2/acme", schemas: tenantSchemas() };
  plain = { ...base, store: counter.store };
  recorded = { ...base, store: recordEvents(counter.store) };
  // Every request looks its tenant up first (token or API key), which tells the recorder its slug.
  await recorded.store.transaction((session) => session.findTenantBySlug("acme"));
});
afterAll(async () => {
  await raw.close();
  await postgres?.drop();
  rmSync(directory, { recursive: true, force: true });
});

const user = () => ({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: `cost${++serial}@acme.example`, active: true });

/** The session calls of `operation` run once without events and once with them (each on its own resource). */
async function callsOf(operation: (scim: ScimContext) => Promise<unknown>): Promise<{ plain: Record<string, number>; recorded: Record<string, number> }> {
  counter.take();
  await operation(plain);
  const without = counter.take();
  await operation(recorded);
  return { plain: without, recorded: counter.take() };
}

const newUser = async () => (await createResource(plain, "User", user(), {})).body["id"] as string;

describe("what recording events costs a write (session calls, with and without the recorder)", () => {
  it("costs a read nothing", async () => {
    const id = await newUser();
    const { plain: without, recorded: withEvents } = await callsOf((scim) => getResource(scim, "User", id, {}));
    expect(withEvents).toEqual(without);
  });

  // Every recorded write reads its tenant's profile version (one indexed read, never the
  // profile's source while the version is cached): its events follow the profile as the
  // transaction sees it, whoever changed it (issue 19).
  it("costs a created user two calls: the tenant's profile version and the event's INSERT", async () => {
    const calls = await callsOf((scim) => createResource(scim, "User", user(), {}));
    expect(difference(calls.plain, calls.recorded)).toEqual({ findTenantProfileVersion: 1, appendEvents: 1 });
  });

  it("costs a changed user three: the profile version, its groups for the snapshot, and the INSERT", async () => {
    const [a, b] = [await newUser(), await newUser()];
    const ids = [a, b];
    const calls = await callsOf((scim) =>
      patchResource(scim, "User", ids.shift()!, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value: "Changed" }] }, undefined, {}, true),
    );
    expect(difference(calls.plain, calls.recorded)).toEqual({ findTenantProfileVersion: 1, listGroupsOf: 1, appendEvents: 1 });
  });

  it("costs a deleted user three: the profile version, its groups for the last snapshot, and the INSERT", async () => {
    const ids = [await newUser(), await newUser()];
    const calls = await callsOf((scim) => deleteResource(scim, "User", ids.shift()!, undefined));
    expect(difference(calls.plain, calls.recorded)).toEqual({ findTenantProfileVersion: 1, listGroupsOf: 1, appendEvents: 1 });
  });

  it("costs one member added to a group of 1,000 two calls (the profile version and the INSERT), and reads nothing of the group's members", async () => {
    const members = await raw.transaction(async (session) => {
      const ids: string[] = [];
      for (let i = 0; i < 1000; i += 1) {
        const id = `bulk-member-${i}`;
        const at = new Date().toISOString();
        await session.insertResource({ tenantId: tenant.id, id, kind: "User", document: { userName: `${id}@acme.example` }, created: at, lastModified: at, version: 1 });
        ids.push(id);
      }
      return ids;
    });
    const group = (await createResource(plain, "Group", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Big", members: members.map((value) => ({ value })) }, {})).body["id"] as string;
    const newcomers = [await newUser(), await newUser()];
    const calls = await callsOf((scim) =>
      patchResource(scim, "Group", group, { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: newcomers.shift()! }] }] }, undefined, {}, false),
    );
    // findKinds is answered by reading the named members whole (same one call): the event shows them.
    expect(difference(calls.plain, calls.recorded)).toEqual({ findKinds: -1, findResources: 1, findTenantProfileVersion: 1, appendEvents: 1 });
    expect(total(calls.recorded) - total(calls.plain)).toBe(2);
    for (const read of ["listMembers", "listMembersOfGroups", "listMembersPage"]) expect(calls.recorded[read], read).toBeUndefined();

    // Okta removes one member by a filter naming its id: the row is deleted directly (no
    // listing of the matches), and the recorder reads the member whole for the event, one
    // call, as for an add.
    const leaving = [members[0]!, members[1]!];
    const removal = await callsOf((scim) =>
      patchResource(scim, "Group", group, { schemas: [PATCH_OP], Operations: [{ op: "remove", path: `members[value eq "${leaving.shift()!}"]` }] }, undefined, {}, false),
    );
    expect(removal.plain).toEqual({ findResource: 1, removeMembers: 1, touchResource: 1 });
    expect(difference(removal.plain, removal.recorded)).toEqual({ findResources: 1, findTenantProfileVersion: 1, appendEvents: 1 });
    for (const read of ["listMembers", "listMembersOfGroups", "listMembersPage"]) expect(removal.recorded[read], read).toBeUndefined();
  });

  it("lists the members a PUT replaces (the event names who left), once", async () => {
    const [a, b, c] = [await newUser(), await newUser(), await newUser()];
    const groups = await Promise.all(
      ["One", "Two"].map(async (displayName) => (await createResource(plain, "Group", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName, members: [{ value: a }, { value: b }] }, {})).body["id"] as string),
    );
    const calls = await callsOf((scim) =>
      replaceResource(scim, "Group", groups.shift()!, { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Same", members: [{ value: b }, { value: c }] }, undefined, {}),
    );
    expect(difference(calls.plain, calls.recorded)).toEqual({ findKinds: -1, findResources: 1, listMembers: 1, findTenantProfileVersion: 1, appendEvents: 1 });
  });
});
