import type { Store, Tenant } from "../store/store.js";
import { type AuditActor, recordAudit } from "./audit.js";
import { ROLES_LIST } from "./lists.js";
import { assessProfileImpact, type ProfileImpact } from "./profile-impact.js";
import { formatProfileProblem, parseProfile, type ProfileContext, type ProfileProblem } from "./profile-yaml.js";
import { EMPTY_PROFILE, type TenantProfile } from "./profiles.js";
import { tenantSchemas, type TenantSchemas } from "./schemas.js";
import { getTenantBySlug, TenantError } from "./tenants.js";
import type { ScimVisibility } from "./visibility.js";

/**
 * A profile refused on load: every problem, in line order, as data (`problems`) and as the
 * command line prints them (`lines`: `file:line:column: path: expected …, got …`).
 */
export class ProfileError extends Error {
  readonly lines: readonly string[];
  /**
   * @param positions whether line and column mean something to the sender: false for a
   *   profile sent as a JSON object, whose YAML text Roster wrote.
   */
  constructor(
    readonly file: string,
    readonly problems: readonly ProfileProblem[],
    readonly positions = true,
  ) {
    const lines = problems.map((problem) => formatProfileProblem(file, problem));
    super(lines.join("\n"));
    this.lines = lines;
    this.name = "ProfileError";
  }
}

/** Parses `source` (checked against `context` when given); throws ProfileError listing every problem. */
export function loadProfile(source: string, file: string, context?: ProfileContext): TenantProfile {
  const result = parseProfile(source, file, context);
  if (!result.ok) throw new ProfileError(file, result.problems);
  return result.value;
}

/**
 * loadProfile for a text sent to the API: with `positions` false (a text Roster wrote from a
 * JSON object) a refusal says so, and its lines and columns are not shown to the sender.
 */
export function loadSentProfile(source: string, file: string, positions: boolean, context?: ProfileContext): TenantProfile {
  try {
    return loadProfile(source, file, context);
  } catch (error) {
    if (error instanceof ProfileError && !positions) throw new ProfileError(error.file, error.problems, false);
    throw error;
  }
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
  return (await writeTenantProfile(store, slug, source, { file })).profile;
}

export interface ProfileUpdateOptions {
  /** How messages name the text (`fleetio.yaml`, `profile`). */
  readonly file: string;
  /** Who changes it, for the audit log (`profile.updated`, in the same transaction). */
  readonly actor: AuditActor;
  /** Also report what the change does to the directory as it is (reads every user once). */
  readonly impact?: boolean;
  /** False for a text Roster wrote from a JSON object: a refusal's lines and columns mean nothing to the sender. */
  readonly positions?: boolean;
}

export interface ProfileUpdate {
  readonly profile: TenantProfile;
  readonly version: number;
  readonly previousVersion: number;
  readonly impact?: ProfileImpact;
}

/**
 * Replaces a tenant's profile as `roster tenants update` and `PUT …/profile` do: setTenantProfile,
 * with the change recorded in the audit log, and its impact (assessProfileImpact) judged in
 * the same transaction when asked. Throws ProfileError, or TenantError("tenantNotFound").
 */
export async function updateTenantProfile(store: Store, slug: string, source: string | null, options: ProfileUpdateOptions): Promise<ProfileUpdate> {
  return writeTenantProfile(store, slug, source, { ...options, audit: options.actor });
}

/** The largest profile text the audit log keeps in full; a longer one is recorded by its length. */
const AUDITED_SOURCE_MAX = 65_536;

function audited(version: number, source: string | null): { version: number; source?: string | null; sourceCharacters?: number } {
  return source !== null && source.length > AUDITED_SOURCE_MAX ? { version, sourceCharacters: source.length } : { version, source };
}

async function writeTenantProfile(
  store: Store,
  slug: string,
  source: string | null,
  options: { readonly file: string; readonly audit?: AuditActor; readonly impact?: boolean; readonly positions?: boolean },
): Promise<ProfileUpdate> {
  const load = (text: string, context?: ProfileContext): TenantProfile => loadSentProfile(text, options.file, options.positions !== false, context);
  if (source !== null) load(source);
  const tenant = await getTenantBySlug(store, slug);
  return store.transaction(async (session) => {
    const declaredRoles = (await session.findList(tenant.id, ROLES_LIST)) ?? [];
    const profile = source === null ? EMPTY_PROFILE : load(source, { declaredRoles, declareWith: declareRolesWith(slug) });
    const stored = await session.findTenantProfile(tenant.id);
    if (stored === undefined) throw new TenantError("tenantNotFound", `tenant ${JSON.stringify(slug)} does not exist (see: roster tenants list)`);
    const impact =
      options.impact === true ? await assessProfileImpact(session, tenant.id, storedProfile(stored.source, tenant.slug), profile) : undefined;
    const version = await session.setTenantProfile(tenant.id, source);
    if (version === undefined) throw new TenantError("tenantNotFound", `tenant ${JSON.stringify(slug)} does not exist (see: roster tenants list)`);
    if (options.audit !== undefined) {
      await recordAudit(session, {
        tenant,
        actor: options.audit,
        action: "profile.updated",
        target: slug,
        before: audited(stored.version, stored.source),
        after: audited(version, source),
      });
    }
    return { profile, version, previousVersion: stored.version, ...(impact === undefined ? {} : { impact }) };
  });
}

/** A profile as stored: validated when written, so a failure to load it is a bug, not input. */
export function storedProfile(source: string | null, slug: string): TenantProfile {
  return source === null ? EMPTY_PROFILE : loadProfile(source, `profile of tenant "${slug}"`);
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
    const value = stored.source === null ? PLAIN : profiled(storedProfile(stored.source, tenant.slug));
    this.entries.set(tenant.id, { version: stored.version, value });
    return value;
  }
}
