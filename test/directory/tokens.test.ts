import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTenant } from "../../src/directory/tenants.js";
import {
  LAST_USED_RESOLUTION_MS,
  TOKEN_PREFIX,
  authenticateToken,
  createToken,
  hashToken,
  listTokens,
  revokeToken,
} from "../../src/directory/tokens.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store, Tenant } from "../../src/store/store.js";

let dir: string;
let store: Store;
let tenant: Tenant;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "roster-tokens-"));
  store = await openStore(join(dir, "roster.db"));
  await store.migrate();
  tenant = await createTenant(store, "acme");
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const T0 = new Date("2026-01-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

describe("tokens", () => {
  it("issues a prefixed token carrying 256 random bits", async () => {
    const { token } = await createToken(store, tenant, "cli", "okta");
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(Buffer.from(token.slice(TOKEN_PREFIX.length), "base64url")).toHaveLength(32);
  });

  it("hashes a token as SHA-256 hex", () => {
    expect(hashToken("roster_abc")).toBe(createHash("sha256").update("roster_abc").digest("hex"));
  });

  it("stores the token's SHA-256 hash and never the token", async () => {
    const { token } = await createToken(store, tenant, "cli", "okta");
    await store.close();
    const files = await readdir(dir);
    const contents = Buffer.concat(await Promise.all(files.map((file) => readFile(join(dir, file)))));
    expect(contents.includes(hashToken(token))).toBe(true);
    expect(contents.includes(token)).toBe(false);
    expect(contents.includes(token.slice(TOKEN_PREFIX.length))).toBe(false);
    store = await openStore(join(dir, "roster.db"));
  });

  it("authenticates a token to its tenant and token record", async () => {
    const { token, record } = await createToken(store, tenant, "cli", "okta");
    const found = await authenticateToken(store, token, T0);
    expect(found?.tenant).toEqual(tenant);
    expect(found?.token).toMatchObject({ id: record.id, name: "okta", tenantId: tenant.id, revoked: null });
  });

  it("authenticates to the right tenant when several tenants have tokens", async () => {
    const other = await createTenant(store, "globex");
    const mine = await createToken(store, tenant, "cli", "a");
    const theirs = await createToken(store, other, "cli", "b");
    expect((await authenticateToken(store, mine.token))?.tenant.slug).toBe("acme");
    expect((await authenticateToken(store, theirs.token))?.tenant.slug).toBe("globex");
  });

  it("stops authenticating a token once it is revoked", async () => {
    const { token, record } = await createToken(store, tenant, "cli", "okta");
    expect((await revokeToken(store, "cli", record.id)).ok).toBe(true);
    expect(await authenticateToken(store, token)).toBeUndefined();
    expect((await revokeToken(store, "cli", record.id)).ok).toBe(false);
  });

  it("leaves other tokens working when one is revoked", async () => {
    const kept = await createToken(store, tenant, "cli", "kept");
    const gone = await createToken(store, tenant, "cli", "gone");
    await revokeToken(store, "cli", gone.record.id);
    expect(await authenticateToken(store, kept.token)).toBeDefined();
  });

  it.each([
    ["empty", () => ""],
    ["the hash instead of the token", (t: string) => hashToken(t)],
    ["the last character changed", (t: string) => t.slice(0, -1) + (t.endsWith("A") ? "B" : "A")],
    ["without the prefix", (t: string) => t.slice(TOKEN_PREFIX.length)],
    ["one character longer", (t: string) => `${t}A`],
    ["one character shorter", (t: string) => t.slice(0, -1)],
    ["upper-cased", (t: string) => t.toUpperCase()],
  ])("refuses a presented token that is %s", async (_name, alter) => {
    const { token } = await createToken(store, tenant, "cli", "okta");
    expect(await authenticateToken(store, alter(token))).toBeUndefined();
  });

  it("records lastUsed on first use and at most once per minute after that", async () => {
    const { token } = await createToken(store, tenant, "cli", "okta", T0);
    const lastUsed = async () => (await listTokens(store, tenant))[0]?.lastUsed;
    expect(await lastUsed()).toBeNull();

    await authenticateToken(store, token, at(1_000));
    expect(await lastUsed()).toBe(at(1_000).toISOString());

    await authenticateToken(store, token, at(1_000 + LAST_USED_RESOLUTION_MS - 1));
    expect(await lastUsed()).toBe(at(1_000).toISOString());

    await authenticateToken(store, token, at(1_000 + LAST_USED_RESOLUTION_MS));
    expect(await lastUsed()).toBe(at(1_000 + LAST_USED_RESOLUTION_MS).toISOString());
  });

  it("lists a tenant's tokens without any secret or hash", async () => {
    const { token } = await createToken(store, tenant, "cli", "okta");
    const listed = await listTokens(store, tenant);
    expect(listed).toHaveLength(1);
    const text = JSON.stringify(listed);
    expect(text).not.toContain(token);
    expect(text).not.toContain(hashToken(token));
  });
});

describe("token expiry", () => {
  it("keeps an expired token's secret from being issued again until the token is revoked", async () => {
    const t0 = new Date();
    const secret = "Fluid-Shared-Secret-0123456789-abcdef!";
    const expired = await createToken(store, tenant, "cli", "fluid", t0, { secret, expiresAt: new Date(t0.getTime() + 1_000).toISOString() });
    const later = new Date(t0.getTime() + 2_000);
    expect(await authenticateToken(store, secret, later)).toBeUndefined();
    await expect(createToken(store, tenant, "cli", "fluid", later, { secret })).rejects.toThrow("already the secret of an unrevoked token (working or expired)");
    expect((await revokeToken(store, "cli", expired.record.id)).ok).toBe(true);
    await createToken(store, tenant, "cli", "fluid", later, { secret });
    expect(await authenticateToken(store, secret, later)).toBeDefined();
  });
});
