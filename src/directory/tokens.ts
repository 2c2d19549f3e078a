import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Store, Tenant, TokenRecord } from "../store/store.js";

/** Every SCIM bearer token starts with this, so leaked tokens are recognisable by secret scanners. */
export const TOKEN_PREFIX = "roster_";

const TOKEN_SHAPE = /^roster_[A-Za-z0-9_-]{43}$/;

/** `lastUsed` is written at most once per this many milliseconds per token. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export interface IssuedToken {
  readonly record: TokenRecord;
  /** The bearer secret; shown once, never stored. */
  readonly token: string;
}

export interface AuthenticatedToken {
  readonly tenant: Tenant;
  readonly token: TokenRecord;
}

/** SHA-256 of the token, hex: the only form in which a token is stored. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** 256 random bits, base64url, behind TOKEN_PREFIX. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** Issues a token for the tenant and stores only its hash. */
export async function createToken(
  store: Store,
  tenant: Tenant,
  name: string,
  now: Date = new Date(),
): Promise<IssuedToken> {
  const token = generateToken();
  const record = await store.transaction((session) =>
    session.insertToken({ id: randomUUID(), tenantId: tenant.id, name, hash: hashToken(token) }, now.toISOString()),
  );
  return { record, token };
}

export async function listTokens(store: Store, tenant: Tenant): Promise<readonly TokenRecord[]> {
  return store.transaction((session) => session.listTokens(tenant.id));
}

/** False when no unrevoked token has that id. */
export async function revokeToken(store: Store, id: string, now: Date = new Date()): Promise<boolean> {
  return store.transaction((session) => session.revokeToken(id, now.toISOString()));
}

/**
 * The tenant and token a presented bearer secret belongs to; undefined when it is
 * malformed, unknown or revoked. Touches `lastUsed` at most once a minute.
 */
export async function authenticateToken(
  store: Store,
  presented: string,
  now: Date = new Date(),
): Promise<AuthenticatedToken | undefined> {
  if (!TOKEN_SHAPE.test(presented)) return undefined;
  // Looked up by SHA-256 of a 256-bit secret: an index probe's timing reveals bits of
  // the hash, never of the secret, so no secret-dependent comparison happens here.
  const hash = hashToken(presented);
  return store.transaction(async (session) => {
    const found = await session.findActiveToken(hash);
    if (found === undefined) return undefined;
    if (isStale(found.token.lastUsed, now)) {
      const at = now.toISOString();
      await session.touchToken(found.token.id, at);
      return { tenant: found.tenant, token: { ...found.token, lastUsed: at } };
    }
    return found;
  });
}

function isStale(lastUsed: string | null, now: Date): boolean {
  if (lastUsed === null) return true;
  const last = Date.parse(lastUsed);
  return Number.isNaN(last) || now.getTime() - last >= LAST_USED_RESOLUTION_MS;
}
