import { parse, stringify } from "yaml";
import type { Tenant, Store } from "../store/store.js";
import { AppError } from "./app-errors.js";
import type { AuditActor } from "./audit.js";
import { ROLES_LIST } from "./lists.js";
import { assessProfileImpact, type ProfileImpact } from "./profile-impact.js";
import { declareRolesWith, loadSentProfile, storedProfile, updateTenantProfile } from "./tenant-profiles.js";

/** What the management API's profile endpoints act on. */
export interface AppProfileContext {
  readonly store: Store;
  readonly tenant: Tenant;
  readonly actor: AuditActor;
}

/** A profile as sent: YAML text (Content-Type: application/yaml), or the equivalent JSON object. */
export type ProfileInput = { readonly format: "yaml"; readonly text: string } | { readonly format: "json"; readonly value: unknown };

/** How refusals name the text sent to the API. */
const FILE = "profile";

/** The profile as stored (its YAML text; null when it has none) and its version (0 when never set). */
export interface StoredAppProfile {
  readonly version: number;
  readonly source: string | null;
}

export async function getAppProfile(context: Pick<AppProfileContext, "store" | "tenant">): Promise<StoredAppProfile> {
  const stored = await context.store.read((session) => session.findTenantProfile(context.tenant.id));
  if (stored === undefined) throw new AppError("notFound", `tenant "${context.tenant.slug}" does not exist`);
  return { version: stored.version, source: stored.source };
}

/** The stored text as a JSON value: what its YAML says (null for none, or a text of comments only). */
export function profileAsJson(source: string | null): unknown {
  return source === null ? null : (parse(source) ?? null);
}

/** A profile is a few kilobytes; this bounds what is parsed from the API, however it was sent. */
export const MAX_PROFILE_SOURCE_LENGTH = 256 * 1024;

/**
 * The YAML text of a profile sent: as sent, or written from the JSON object (so that the
 * stored profile is always YAML, and reads back as YAML whatever it came as). Refused past
 * MAX_PROFILE_SOURCE_LENGTH characters, on every endpoint that takes a profile.
 */
export function profileSourceOf(input: ProfileInput): { readonly source: string; readonly positions: boolean } {
  const sent = sourceOf(input);
  if (sent.source.length > MAX_PROFILE_SOURCE_LENGTH) {
    throw new AppError("invalidRequest", `profile: ${sent.source.length} characters long; at most ${MAX_PROFILE_SOURCE_LENGTH} are allowed`);
  }
  return sent;
}

function sourceOf(input: ProfileInput): { readonly source: string; readonly positions: boolean } {
  if (input.format === "yaml") return { source: input.text, positions: true };
  const value = input.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AppError(
      "invalidRequest",
      `expected the profile as a JSON object (its options: attributes, roles, identity, sync, deprovisioning, unmanagedUsers), or as YAML text with Content-Type: application/yaml; got ${Array.isArray(value) ? "an array" : JSON.stringify(value)}`,
    );
  }
  // An empty object is the empty profile: "{}" would read back as a flow mapping, "" says the same.
  if (Object.keys(value).length === 0) return { source: "", positions: false };
  return { source: stringify(value, { aliasDuplicateObjects: false, lineWidth: 0 }), positions: false };
}

export interface ProfileReplaced {
  readonly version: number;
  readonly previousVersion: number;
  readonly impact: ProfileImpact;
}

/**
 * PUT …/profile: validates and stores the profile (updateTenantProfile, as `roster tenants
 * update`), recording the change in the audit log and role.granted/role.revoked events;
 * answers the new version and the impact judged in the same transaction.
 */
export async function putAppProfile(context: AppProfileContext, input: ProfileInput): Promise<ProfileReplaced> {
  const { source, positions } = profileSourceOf(input);
  const updated = await updateTenantProfile(context.store, context.tenant.slug, source, { file: FILE, actor: context.actor, impact: true, positions });
  return { version: updated.version, previousVersion: updated.previousVersion, impact: updated.impact as ProfileImpact };
}

export interface ProfileChecked {
  readonly valid: true;
  /** The version the impact was judged against (the stored one). */
  readonly version: number;
  readonly impact: ProfileImpact;
}

/**
 * POST …/profile/check: what PUT would answer, saving nothing: the same validation (a refusal
 * is the same 400 invalidProfile) and the impact on the directory as one snapshot shows it.
 */
export async function checkAppProfile(context: Pick<AppProfileContext, "store" | "tenant">, input: ProfileInput): Promise<ProfileChecked> {
  const { source, positions } = profileSourceOf(input);
  const { tenant } = context;
  loadSentProfile(source, FILE, positions);
  return context.store.snapshot(async (session) => {
    const declaredRoles = (await session.findList(tenant.id, ROLES_LIST)) ?? [];
    const profile = loadSentProfile(source, FILE, positions, { declaredRoles, declareWith: declareRolesWith(tenant.slug) });
    const stored = await session.findTenantProfile(tenant.id);
    if (stored === undefined) throw new AppError("notFound", `tenant "${tenant.slug}" does not exist`);
    const impact = await assessProfileImpact(session, tenant.id, storedProfile(stored.source, tenant.slug), profile);
    return { valid: true, version: stored.version, impact };
  });
}
