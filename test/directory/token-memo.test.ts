import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { createTenant } from "../../src/directory/tenants.js";
import { authenticateToken, createToken, revokeToken, whyTokenRefused } from "../../src/directory/tokens.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store, Tenant } from "../../src/store/store.js";

// On SQLite, authenticateToken reuses a token it found while the store's change version
// (PRAGMA data_version of the read connection) stays the same. Whatever changes the answer
// must show on the very next request, whichever connection or process committed it: a
// second store on the same file stands for another process (`roster tokens revoke`).

let dir: string;
let store: Store;
let other: Store;
let tenant: Tenant;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "roster-token-memo-"));
  store = await openStore(join(dir, "roster.db"), { migrate: true });
  other = await openStore(join(dir, "roster.db"));
  tenant = await createTenant(store, "acme");
});
afterEach(async () => {
  await other.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** Authenticates twice: the first use writes lastUsed (a commit), the second is then kept. */
async function warm(token: string): Promise<void> {
  expect(await authenticateToken(store, token)).toBeDefined();
  expect(await authenticateToken(store, token)).toBe(await authenticateToken(store, token));
}

describe("authenticateToken while nothing is committed", () => {
  it("answers a second request from memory: the same answer, no new version", async () => {
    const { token } = await createToken(store, tenant, "cli", "okta");
    // The first use writes lastUsed (a commit); from the second on nothing is committed.
    expect((await authenticateToken(store, token))?.tenant.slug).toBe("acme");
    const second = await authenticateToken(store, token);
    const version = store.changeVersion();
    expect(version).toEqual(expect.any(String));
    expect(await authenticateToken(store, token)).toBe(second);
    expect(store.changeVersion()).toBe(version);
  });

  it("refuses a token on the next request once another process revoked it", async () => {
    const { token, record } = await createToken(store, tenant, "cli", "okta");
    await warm(token);
    expect((await revokeToken(other, "cli", record.id)).ok).toBe(true);
    expect(await authenticateToken(store, token)).toBeUndefined();
  });

  it("refuses a memoised token once its expiry has come, though nothing was committed", async () => {
    const t0 = new Date();
    const expiresAt = new Date(t0.getTime() + 30_000).toISOString();
    const { token } = await createToken(store, tenant, "cli", "okta", t0, { expiresAt });
    // The first use writes lastUsed at t0; the second is kept, and is still fresh 31 s later.
    expect(await authenticateToken(store, token, t0)).toBeDefined();
    const kept = await authenticateToken(store, token, new Date(t0.getTime() + 1_000));
    expect(kept?.token.expiresAt).toBe(expiresAt);
    const version = store.changeVersion();
    expect(await authenticateToken(store, token, new Date(t0.getTime() + 29_999))).toBe(kept);
    expect(await authenticateToken(store, token, new Date(t0.getTime() + 30_000))).toBeUndefined();
    expect(store.changeVersion()).toBe(version);
    expect(await whyTokenRefused(store, token, new Date(t0.getTime() + 30_000))).toEqual({ kind: "expired", at: expiresAt });
    expect(await whyTokenRefused(store, token, new Date(t0.getTime() + 1_000))).toEqual({ kind: "unknown" });
  });

  it("refuses a token on the next request once this process revoked it", async () => {
    const { token, record } = await createToken(store, tenant, "cli", "okta");
    await warm(token);
    expect((await revokeToken(store, "cli", record.id)).ok).toBe(true);
    expect(await authenticateToken(store, token)).toBeUndefined();
  });

  it("refuses a principal's token on the next request once another process deactivated the principal", async () => {
    await store.transaction((s) =>
      s.insertResource({ tenantId: tenant.id, id: "app-1", kind: "User", document: { userName: "app@example.com", active: true }, created: tenant.created, lastModified: tenant.created, version: 1, managed: false }),
    );
    const { token } = await createToken(store, tenant, "cli", "app", new Date(), { principalId: "app-1" });
    await warm(token);
    await other.transaction(async (s) => {
      const user = await s.findResource(tenant.id, "User", "app-1");
      await s.updateResource({ ...user!, document: { ...user!.document, active: false }, version: 2 });
    });
    expect(await authenticateToken(store, token)).toBeUndefined();
  });

  it("carries the profile version another process set, so the new profile applies from the next request", async () => {
    const { token } = await createToken(store, tenant, "cli", "okta");
    await warm(token);
    const before = (await authenticateToken(store, token))?.tenant.profileVersion ?? 0;
    await setTenantProfile(other, "acme", "unmanagedUsers:\n  visible: true\n", "profile.yaml");
    expect((await authenticateToken(store, token))?.tenant.profileVersion).toBeGreaterThan(before);
  });

  it("keeps nothing for an unknown token: one created afterwards works at once", async () => {
    expect(await authenticateToken(store, "roster_" + "x".repeat(43))).toBeUndefined();
    const { token } = await createToken(other, tenant, "cli", "late");
    expect((await authenticateToken(store, token))?.tenant.slug).toBe("acme");
  });

  it("cannot tell a version for an in-memory database, and authenticates all the same", async () => {
    const memory = await openStore(":memory:", { migrate: true });
    try {
      const acme = await createTenant(memory, "acme");
      const { token, record } = await createToken(memory, acme, "cli", "okta");
      expect(memory.changeVersion()).toBeUndefined();
      expect(await authenticateToken(memory, token)).toBeDefined();
      await revokeToken(memory, "cli", record.id);
      expect(await authenticateToken(memory, token)).toBeUndefined();
    } finally {
      await memory.close();
    }
  });
});
