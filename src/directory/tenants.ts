import { randomUUID } from "node:crypto";
import { StoreConflictError, type Store, type Tenant } from "../store/store.js";

/** DNS-label-like: lower-case letters, digits and inner hyphens, 1–63 characters. */
export const TENANT_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const DEFAULT_TENANT_SLUG = "default";

export type TenantErrorCode = "invalidSlug" | "tenantExists" | "tenantNotFound";

/** A tenant operation refused; `message` is one line fit for a user. */
export class TenantError extends Error {
  constructor(
    readonly code: TenantErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "TenantError";
  }
}

/** Undefined when `slug` is valid; otherwise a one-line reason naming the slug. */
export function checkTenantSlug(slug: string): string | undefined {
  if (TENANT_SLUG_PATTERN.test(slug)) return undefined;
  const shown = JSON.stringify(slug);
  if (slug.length === 0) return "tenant slug is empty; use 1-63 characters a-z 0-9 -";
  if (slug.length > 63) return `tenant slug ${shown} is ${slug.length} characters long; at most 63 are allowed`;
  const bad = [...slug].findIndex((c) => !/[a-z0-9-]/.test(c));
  if (bad >= 0) {
    return `tenant slug ${shown} has ${JSON.stringify(slug[bad])} at column ${bad + 1}; use only lower-case a-z, 0-9 and -`;
  }
  return `tenant slug ${shown} starts or ends with "-"; it must start and end with a-z or 0-9`;
}

/** Throws TenantError("invalidSlug") unless `slug` matches TENANT_SLUG_PATTERN. */
export function assertTenantSlug(slug: string): void {
  const problem = checkTenantSlug(slug);
  if (problem !== undefined) throw new TenantError("invalidSlug", problem);
}

/** Throws TenantError "invalidSlug" or "tenantExists". */
export async function createTenant(store: Store, slug: string, now: Date = new Date()): Promise<Tenant> {
  assertTenantSlug(slug);
  try {
    return await store.transaction((session) =>
      session.createTenant({ id: randomUUID(), slug, created: now.toISOString() }),
    );
  } catch (error) {
    if (error instanceof StoreConflictError && error.constraint === "tenant.slug") {
      throw new TenantError("tenantExists", `tenant ${JSON.stringify(slug)} already exists`);
    }
    throw error;
  }
}

export async function listTenants(store: Store): Promise<readonly Tenant[]> {
  return store.transaction((session) => session.listTenants());
}

/** Undefined when no tenant has that slug. */
export async function findTenantBySlug(store: Store, slug: string): Promise<Tenant | undefined> {
  return store.transaction((session) => session.findTenantBySlug(slug));
}

/** Throws TenantError("tenantNotFound") when no tenant has that slug. */
export async function getTenantBySlug(store: Store, slug: string): Promise<Tenant> {
  const tenant = await findTenantBySlug(store, slug);
  if (tenant === undefined) {
    throw new TenantError("tenantNotFound", `tenant ${JSON.stringify(slug)} does not exist (see: roster tenants list)`);
  }
  return tenant;
}

/**
 * Creates the `default` tenant when there is no tenant at all; returns every tenant. Two
 * processes starting together on an empty database may both try: the one that loses reads
 * the tenant the other created.
 */
export async function ensureDefaultTenant(store: Store, now: Date = new Date()): Promise<readonly Tenant[]> {
  try {
    return await store.transaction(async (session) => {
      const existing = await session.listTenants();
      if (existing.length > 0) return existing;
      const created = await session.createTenant({ id: randomUUID(), slug: DEFAULT_TENANT_SLUG, created: now.toISOString() });
      return [created];
    });
  } catch (error) {
    if (!(error instanceof StoreConflictError && error.constraint === "tenant.slug")) throw error;
    return store.transaction((session) => session.listTenants());
  }
}
