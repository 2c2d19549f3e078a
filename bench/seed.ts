import { existsSync, rmSync } from "node:fs";
import { unwrap } from "../src/scim/errors.js";
import { parseResourceInput } from "../src/scim/resource/parse-resource.js";
import { tenantSchemas } from "../src/directory/schemas.js";
import { createTenant, findTenantBySlug } from "../src/directory/tenants.js";
import { openStore, sqlitePath } from "../src/store/open-store.js";
import type { MemberRef, Store, StoredResource, Tenant } from "../src/store/store.js";
import { MEMBER_GROUP_INDEX, TENANT_KEYS, type SeedSizes, type TenantKey, groupBody, groupId, oktaUser, userId, userName, usersOf } from "./sizes.js";

/** Users (or groups) written per transaction. */
const BATCH = 5_000;
const SEEDED_MARKER = "seeded";
const SEEDED_AT = "2026-01-01T00:00:00.000Z";

export type Progress = (message: string) => void;

/** Whether the database at `url` holds a complete seed (the marker tenant is written last). */
export async function isSeeded(url: string): Promise<boolean> {
  const path = sqlitePath(url);
  if (path !== undefined && path !== ":memory:" && !existsSync(path)) return false;
  const store = await openStore(url, { migrate: true });
  try {
    return (await findTenantBySlug(store, SEEDED_MARKER)) !== undefined;
  } finally {
    await store.close();
  }
}

/**
 * Seeds Roster's database through its own store, in big transactions: the tenants
 * `small`, `large` and `import` with their users, groups and memberships (see sizes.ts).
 * A half-written SQLite file is removed first; call `isSeeded` to skip a complete one.
 */
export async function seedRoster(url: string, sizes: SeedSizes, progress: Progress = () => undefined, parallel = 1): Promise<void> {
  const path = sqlitePath(url);
  if (path !== undefined && path !== ":memory:") for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
  const store = await openStore(url, { migrate: true });
  try {
    for (const key of TENANT_KEYS) {
      const tenant = (await findTenantBySlug(store, key)) ?? (await createTenant(store, key));
      await seedUsers(store, tenant, key, usersOf(sizes, key), progress, parallel);
      const groups = key === "small" ? sizes.smallUsers : key === "large" ? 1 : 0;
      await seedGroups(store, tenant, key, groups, parallel);
      const members = key === "small" ? sizes.smallGroupMembers : key === "large" ? sizes.bigGroupMembers : 0;
      await seedMembers(store, tenant, key, members);
      progress(`seeded tenant ${key}`);
    }
    await createTenant(store, SEEDED_MARKER);
  } finally {
    await store.close();
  }
}

async function inBatches(total: number, parallel: number, write: (from: number, to: number) => Promise<void>): Promise<void> {
  let next = 0;
  async function worker(): Promise<void> {
    while (next < total) {
      const from = next;
      next = Math.min(total, next + BATCH);
      await write(from, next);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
}

async function seedUsers(store: Store, tenant: Tenant, key: TenantKey, count: number, progress: Progress, parallel: number): Promise<void> {
  const schema = tenantSchemas().byKind.User;
  let written = 0;
  await inBatches(count, parallel, async (from, to) => {
    const resources: StoredResource[] = [];
    for (let index = from; index < to; index++) {
      const { document } = unwrap(parseResourceInput(oktaUser(userName(key, index), index), schema, { mode: "create" }));
      resources.push(stored(tenant, "User", userId(key, index), document));
    }
    await store.transaction(async (session) => {
      for (const resource of resources) await session.insertResource(resource);
    });
    written += to - from;
    if (written % 100_000 < BATCH) progress(`${key}: ${written} / ${count} users`);
  });
}

async function seedGroups(store: Store, tenant: Tenant, key: TenantKey, count: number, parallel: number): Promise<void> {
  const schema = tenantSchemas().byKind.Group;
  await inBatches(count, parallel, async (from, to) => {
    await store.transaction(async (session) => {
      for (let index = from; index < to; index++) {
        const { document } = unwrap(parseResourceInput(groupBody(key, index), schema, { mode: "create" }));
        await session.insertResource(stored(tenant, "Group", groupId(key, index), document));
      }
    });
  });
}

async function seedMembers(store: Store, tenant: Tenant, key: TenantKey, count: number): Promise<void> {
  for (let from = 0; from < count; from += BATCH * 4) {
    const members: MemberRef[] = [];
    for (let index = from; index < Math.min(count, from + BATCH * 4); index++) members.push({ id: userId(key, index), kind: "User" });
    await store.transaction((session) => session.addMembers(tenant.id, groupId(key, MEMBER_GROUP_INDEX), members));
  }
}

function stored(tenant: Tenant, kind: "User" | "Group", id: string, document: Readonly<Record<string, unknown>>): StoredResource {
  return { tenantId: tenant.id, id, kind, document, created: SEEDED_AT, lastModified: SEEDED_AT, version: 1 };
}
