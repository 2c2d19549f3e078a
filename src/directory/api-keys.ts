import { randomUUID } from "node:crypto";
import type { ApiKeyRecord, Store, Tenant } from "../store/store.js";
import { AppError } from "./app-errors.js";
import { type AppPage, objectBody, parsePaging } from "./app-paging.js";
import { type AuditActor, CLI_ACTOR, recordAudit } from "./audit.js";
import { checkTenantSlug } from "./tenants.js";
import { generateSecret, hashToken } from "./tokens.js";

/** Every management API key starts with this (SCIM tokens with "roster_"), so the two are never confused. */
export const API_KEY_PREFIX = "rosterkey_";

const API_KEY_SHAPE = /^rosterkey_[A-Za-z0-9_-]{43}$/;

export interface IssuedApiKey {
  readonly record: ApiKeyRecord;
  /** The key; shown once, never stored. */
  readonly key: string;
}

/**
 * Issues a key for one tenant, or an administrator key (every tenant) when `tenant` is
 * undefined; stores only its hash, and records who issued it in the audit log.
 */
export async function createApiKey(store: Store, tenant: Tenant | undefined, name: string, now: Date = new Date(), actor: AuditActor = CLI_ACTOR): Promise<IssuedApiKey> {
  const key = generateSecret(API_KEY_PREFIX);
  const record = await store.transaction(async (session) => {
    const inserted = await session.insertApiKey({ id: randomUUID(), tenantId: tenant?.id ?? null, name, hash: hashToken(key) }, now.toISOString());
    const scope = tenant === undefined ? null : tenant.slug;
    await recordAudit(session, { tenant: tenant ?? null, actor, action: "apikey.created", target: inserted.id, after: { name, tenant: scope } }, now);
    return inserted;
  });
  return { record, key };
}

export async function listApiKeys(store: Store): Promise<readonly ApiKeyRecord[]> {
  return store.transaction((session) => session.listApiKeys());
}

/** False when no unrevoked key has that id; a revocation is audited under the key's tenant (none for an administrator key). */
export async function revokeApiKey(store: Store, id: string, now: Date = new Date(), actor: AuditActor = CLI_ACTOR): Promise<boolean> {
  return store.transaction(async (session) => {
    const key = await session.findApiKey(id);
    if (key === undefined || key.revoked !== null || !(await session.revokeApiKey(id, now.toISOString()))) return false;
    const tenant = key.tenantId === null ? null : ((await session.findTenantById(key.tenantId)) ?? null);
    await recordAudit(session, { tenant, actor, action: "apikey.revoked", target: id, before: { name: key.name, tenant: tenant?.slug ?? null } }, now);
    return true;
  });
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

/** A key as the management API lists it: never the key, nor its hash. */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  /** The tenant's slug; null for an administrator key. */
  readonly tenant: string | null;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

export const API_KEY_FIELDS = ["name", "tenant"] as const;
export const MAX_API_KEY_NAME_LENGTH = 200;

/** Undefined when `name` is a usable label (1-200 characters, no control character); otherwise why not. */
export function checkApiKeyName(name: string): string | undefined {
  if (name.length === 0 || name.length > MAX_API_KEY_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(name)) {
    return `name: expected 1 to ${MAX_API_KEY_NAME_LENGTH} characters without control characters, got ${name.length === 0 ? "an empty string" : `${name.length} characters`}`;
  }
  return undefined;
}

/** Reads `POST /api-keys`: `{"name", "tenant"?}`, `tenant` a slug (absent or null: an administrator key). */
export function parseNewApiKey(body: unknown): { readonly name: string; readonly tenant?: string } {
  const record = objectBody(body, API_KEY_FIELDS, "API key");
  const name = record["name"];
  if (typeof name !== "string") throw new AppError("invalidRequest", `name: required, a label such as "billing-backend"; got ${name === undefined ? "nothing" : typeof name}`);
  const problem = checkApiKeyName(name);
  if (problem !== undefined) throw new AppError("invalidRequest", problem);
  const tenant = record["tenant"];
  if (tenant !== undefined && tenant !== null && typeof tenant !== "string") {
    throw new AppError("invalidRequest", `tenant: expected a tenant slug, or null for an administrator key; got ${typeof tenant}`);
  }
  if (typeof tenant === "string") {
    const slugProblem = checkTenantSlug(tenant);
    if (slugProblem !== undefined) throw new AppError("invalidRequest", `tenant: ${slugProblem}`);
  }
  return { name, ...(typeof tenant === "string" ? { tenant } : {}) };
}

/** The cursor of a key page: the last key's creation time and id. */
function encodeKeyCursor(key: { readonly created: string; readonly id: string }): string {
  return Buffer.from(JSON.stringify([key.created, key.id])).toString("base64url");
}

function decodeKeyCursor(cursor: string): { readonly created: string; readonly id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string") return { created: value[0], id: value[1] };
  } catch {
    // Refused below.
  }
  throw new AppError("invalidCursor", "cursor: not one this listing issued; pass nextCursor unchanged, or start again without it");
}

/** Every key, oldest first, each with its tenant's slug: keyset-paged in SQL (one query a page, however many keys). */
export async function listApiKeyViews(store: Store, query: Readonly<Record<string, unknown>>): Promise<AppPage<ApiKeyView>> {
  const { limit, cursor } = parsePaging(query);
  const after = cursor === "" ? undefined : decodeKeyCursor(cursor);
  // One more than the page: whether there is a next page, without a second query.
  const keys = await store.read((session) => session.listApiKeysPage({ ...(after === undefined ? {} : { after }), limit: limit + 1 }));
  const page = keys.slice(0, limit);
  const data = page.map((key): ApiKeyView => ({ id: key.id, name: key.name, tenant: key.tenantSlug, createdAt: key.created, revokedAt: key.revoked }));
  const last = page[page.length - 1];
  return { data, nextCursor: keys.length > limit && last !== undefined ? encodeKeyCursor(last) : null };
}
