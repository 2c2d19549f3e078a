import { randomUUID } from "node:crypto";
import type { ApiKeyRecord, Store, Tenant } from "../store/store.js";
import { generateSecret, hashToken } from "./tokens.js";

/** Every management API key starts with this (SCIM tokens with "roster_"), so the two are never confused. */
export const API_KEY_PREFIX = "rosterkey_";

const API_KEY_SHAPE = /^rosterkey_[A-Za-z0-9_-]{43}$/;

export interface IssuedApiKey {
  readonly record: ApiKeyRecord;
  /** The key; shown once, never stored. */
  readonly key: string;
}

/** Issues a key for one tenant, or an administrator key (every tenant) when `tenant` is undefined; stores only its hash. */
export async function createApiKey(store: Store, tenant: Tenant | undefined, name: string, now: Date = new Date()): Promise<IssuedApiKey> {
  const key = generateSecret(API_KEY_PREFIX);
  const record = await store.transaction((session) =>
    session.insertApiKey({ id: randomUUID(), tenantId: tenant?.id ?? null, name, hash: hashToken(key) }, now.toISOString()),
  );
  return { record, key };
}

export async function listApiKeys(store: Store): Promise<readonly ApiKeyRecord[]> {
  return store.transaction((session) => session.listApiKeys());
}

/** False when no unrevoked key has that id. */
export async function revokeApiKey(store: Store, id: string, now: Date = new Date()): Promise<boolean> {
  return store.transaction((session) => session.revokeApiKey(id, now.toISOString()));
}

/** The unrevoked key a presented secret is; undefined when malformed, unknown or revoked. */
export async function authenticateApiKey(store: Store, presented: string): Promise<ApiKeyRecord | undefined> {
  if (!API_KEY_SHAPE.test(presented)) return undefined;
  return store.read((session) => session.findActiveApiKey(hashToken(presented)));
}

/** Whether the key may act on the tenant: a tenant key on its own tenant only, an administrator key on all. */
export function apiKeyAllows(key: ApiKeyRecord, tenant: Tenant): boolean {
  return key.tenantId === null || key.tenantId === tenant.id;
}
