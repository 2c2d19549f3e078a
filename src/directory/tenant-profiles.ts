import type { Store, Tenant } from "../store/store.js";
import { ROLES_LIST } from "./lists.js";
import { parseProfile, type ProfileContext } from "./profile-yaml.js";
import { EMPTY_PROFILE, type TenantProfile } from "./profiles.js";
import { tenantSchemas, type TenantSchemas } from "./schemas.js";
import { getTenantBySlug, TenantError } from "./tenants.js";
import type { ScimVisibility } from "./visibility.js";

/** A profile refused on load: one line per problem, `file:line:column: path: expected …, got …`. */
export class ProfileError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "ProfileError";
  }
}

/** Parses `source` (checked against `context` when given); throws ProfileError listing every problem. */
export function loadProfile(source: string, file: string, context?: ProfileContext): TenantProfile {
  const result = parseProfile(source, file, context);
  if (!result.ok) throw new ProfileError(result.errors);
  return result.value;
}

/** How the application of tenant `slug` declares roles, for profile errors. */
export function declareRolesWith(slug: string): string {
  return `PUT /api/v1/tenants/${slug}/roles`;
}

/**
 * Validates and stores the profile of the tenant `slug` (null removes it). Every process
 * applies it from its next request: the version stored with it changes. A mapping's target
 * role must be one the application declared (`PUT roles`), read in the same transaction.
 * Throws ProfileError, or TenantError("tenantNotFound").
 */
export async function setTenantProfile(store: Store, slug: string, source: string | null, file: string): Promise<TenantProfile> {
  if (source !== null) loadProfile(source, file);
  const tenant = await getTenantBySlug(store, slug);
  return store.transaction(async (session) => {
    const declaredRoles = (await session.findList(tenant.id, ROLES_LIST)) ?? [];
    const profile = source === null ? EMPTY_PROFILE : loadProfile(source, file, { declaredRoles, declareWith: declareRolesWith(slug) });
    const version = await session.setTenantProfile(tenant.id, source);
    if (version === undefined) throw new TenantError("tenantNotFound", `tenant ${JSON.stringify(slug)} does not exist (see: roster tenants list)`);
    return profile;
  });
}

/** The YAML source of a tenant's profile; null when it has none. */
export async function getTenantProfileSource(store: Store, slug: string): Promise<string | null> {
  const tenant = await getTenantBySlug(store, slug);
  return (await store.transaction((session) => session.findTenantProfile(tenant.id)))?.source ?? null;
}

/** What a SCIM or management request takes from its tenant's profile. */
export interface ProfiledTenant {
  readonly profile: TenantProfile;
  readonly schemas: TenantSchemas;
  readonly visibility: ScimVisibility;
}

const PLAIN: ProfiledTenant = { profile: EMPTY_PROFILE, schemas: tenantSchemas(), visibility: { unmanagedUsers: false } };

function profiled(profile: TenantProfile): ProfiledTenant {
  return { profile, schemas: tenantSchemas(profile), visibility: { unmanagedUsers: profile.unmanagedUsers.visible } };
}

/**
 * Per-process profiles, keyed by tenant id and checked against the version that comes with
 * every tenant lookup (the token or API key lookup reads it on each request): a profile
 * changed by `roster tenants update` in another process is applied from the next request.
 */
export class ProfileCache {
  private readonly entries = new Map<string, { readonly version: number; readonly value: ProfiledTenant }>();

  constructor(private readonly store: Store) {}

  /** The tenant's profile as of `tenant.profileVersion`; reads the database only when that version is not cached. */
  async resolve(tenant: Tenant): Promise<ProfiledTenant> {
    const version = tenant.profileVersion ?? 0;
    if (version === 0) return PLAIN;
    const cached = this.entries.get(tenant.id);
    if (cached !== undefined && cached.version >= version) return cached.value;
    const stored = await this.store.read((session) => session.findTenantProfile(tenant.id));
    if (stored === undefined) return PLAIN;
    // Stored profiles were validated on write; a failure here is a bug, not user input.
    const value = stored.source === null ? PLAIN : profiled(loadProfile(stored.source, `profile of tenant "${tenant.slug}"`));
    this.entries.set(tenant.id, { version: stored.version, value });
    return value;
  }
}
