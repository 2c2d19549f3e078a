import { loadProfile } from "../directory/tenant-profiles.js";
import { EMPTY_PROFILE, type TenantProfile } from "../directory/profiles.js";
import type { StoreSession, Tenant } from "../store/store.js";

/**
 * What building a tenant's events needs to know about it — its slug and its profile — kept per
 * process. Every request looks its tenant up first (token or API key), through the same
 * recording store, and that lookup carries the profile version: `observe` keeps it, so a
 * profile changed by another process is applied from that process's next request, as
 * ProfileCache does, without another query in the write. A tenant not seen yet (the CLI) is
 * read inside the transaction.
 */
export class TenantViews {
  private readonly slugs = new Map<string, string>();
  private readonly versions = new Map<string, number>();
  private readonly profiles = new Map<string, { readonly version: number; readonly profile: TenantProfile }>();

  /** Remembers a tenant read through the store (its slug and current profile version). */
  observe(tenant: Tenant): void {
    this.slugs.set(tenant.id, tenant.slug);
    this.versions.set(tenant.id, tenant.profileVersion ?? 0);
  }

  /** Records the version a profile change just wrote. */
  observeProfileVersion(tenantId: string, version: number): void {
    this.versions.set(tenantId, version);
  }

  /** The tenant's slug; reads the tenant list once when the tenant was never seen. */
  async slugOf(session: StoreSession, tenantId: string): Promise<string> {
    const known = this.slugs.get(tenantId);
    if (known !== undefined) return known;
    for (const tenant of await session.listTenants()) this.observe(tenant);
    const slug = this.slugs.get(tenantId);
    if (slug === undefined) throw new Error(`events: tenant ${JSON.stringify(tenantId)} does not exist`);
    return slug;
  }

  /** The tenant's profile at the version last seen; reads it in the transaction when that version is not cached or none was seen. */
  async profileOf(session: StoreSession, tenantId: string): Promise<TenantProfile> {
    const seen = this.versions.get(tenantId);
    if (seen === 0) return EMPTY_PROFILE;
    const cached = this.profiles.get(tenantId);
    if (seen !== undefined && cached !== undefined && cached.version >= seen) return cached.profile;
    const stored = await session.findTenantProfile(tenantId);
    if (stored === undefined) return EMPTY_PROFILE;
    // Stored profiles were validated on write; a failure here is a bug, not user input.
    const profile = stored.source === null ? EMPTY_PROFILE : loadProfile(stored.source, `profile of tenant ${JSON.stringify(tenantId)}`);
    this.profiles.set(tenantId, { version: stored.version, profile });
    this.versions.set(tenantId, stored.version);
    return profile;
  }
}
