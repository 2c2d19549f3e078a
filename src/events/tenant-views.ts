import { loadProfile } from "../directory/tenant-profiles.js";
import { EMPTY_PROFILE, type TenantProfile } from "../directory/profiles.js";
import { StoreContentionError, type StoreSession, type Tenant } from "../store/store.js";

/**
 * What building a tenant's events needs to know about it — its slug and its profile — kept per
 * process. The profile's version is read inside every transaction that records events (one
 * indexed read of the tenant's row), and the parsed profile is reused only while that version
 * is the one it was parsed at: a profile changed by another process (`roster tenants update`),
 * or by this one, applies to the very next write's events. Never a version seen earlier by a
 * request: the events of a write follow the profile as the write's own transaction sees it.
 */
export class TenantViews {
  private readonly slugs = new Map<string, string>();
  private readonly profiles = new Map<string, { readonly version: number; readonly profile: TenantProfile }>();

  /** Remembers a tenant read through the store (its slug). */
  observe(tenant: Tenant): void {
    this.slugs.set(tenant.id, tenant.slug);
  }

  /** The tenant's slug; reads the tenant list once when the tenant was never seen. */
  async slugOf(session: StoreSession, tenantId: string): Promise<string> {
    const known = this.slugs.get(tenantId);
    if (known !== undefined) return known;
    for (const tenant of await session.listTenants()) this.observe(tenant);
    const slug = this.slugs.get(tenantId);
    // Deleted by a transaction that committed after this write's request was authenticated.
    if (slug === undefined) throw new StoreContentionError(`events: tenant ${JSON.stringify(tenantId)} does not exist (deleted meanwhile)`);
    return slug;
  }

  /** The tenant's profile as `session` sees it now: its version read in the transaction, the source only when that version is not cached. */
  async profileOf(session: StoreSession, tenantId: string): Promise<TenantProfile> {
    const version = await session.findTenantProfileVersion(tenantId);
    if (version === undefined || version === 0) return EMPTY_PROFILE;
    const cached = this.profiles.get(tenantId);
    if (cached !== undefined && cached.version === version) return cached.profile;
    const stored = await session.findTenantProfile(tenantId);
    if (stored === undefined) return EMPTY_PROFILE;
    // Stored profiles were validated on write; a failure here is a bug, not user input.
    const profile = stored.source === null ? EMPTY_PROFILE : loadProfile(stored.source, `profile of tenant ${JSON.stringify(tenantId)}`);
    this.profiles.set(tenantId, { version: stored.version, profile });
    return profile;
  }
}
