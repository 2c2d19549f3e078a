import { randomUUID } from "node:crypto";
import { StoreConflictError, StoreContentionError, type Store, type Tenant, type TenantChanges } from "../store/store.js";
import { AppError } from "./app-errors.js";
import { type AppPage, objectBody, parsePaging, stringParam } from "./app-paging.js";
import { type AuditActor, recordAudit } from "./audit.js";
import { profileSourceOf } from "./app-profile.js";
import { declareRolesWith, loadSentProfile } from "./tenant-profiles.js";
import { checkTenantSlug, TenantError } from "./tenants.js";

/** A tenant as the management API and `roster tenants show --json` answer it. */
export interface TenantView {
  readonly slug: string;
  readonly name: string | null;
  readonly scimBaseUrl: string;
  readonly profileVersion: number;
  readonly scimEnabled: boolean;
  readonly createdAt: string;
}

/** `origin` is the server's public origin (`https://scim.example.com`, no trailing slash). */
export function toTenantView(tenant: Tenant, origin: string): TenantView {
  return {
    slug: tenant.slug,
    name: tenant.name ?? null,
    scimBaseUrl: `${origin}/scim/v2/${tenant.slug}`,
    profileVersion: tenant.profileVersion ?? 0,
    scimEnabled: tenant.scimEnabled !== false,
    createdAt: tenant.created,
  };
}

/** The settings an audit entry shows before and after a change: never a secret. */
function settingsOf(tenant: Tenant): { readonly name: string | null; readonly scimEnabled: boolean } {
  return { name: tenant.name ?? null, scimEnabled: tenant.scimEnabled !== false };
}

export const MAX_TENANT_NAME_LENGTH = 200;
/** `?q=` of the tenant listing. */
export const MAX_TENANT_QUERY_LENGTH = 200;

/** Undefined when `name` is acceptable (1-200 characters, no control character); otherwise why not. */
export function checkTenantName(name: string): string | undefined {
  if (name.trim().length === 0) return "name: expected 1 to 200 characters, got an empty or blank string; send null to remove the name";
  if (name.length > MAX_TENANT_NAME_LENGTH) return `name: ${name.length} characters long; at most ${MAX_TENANT_NAME_LENGTH} are allowed`;
  if (/[\u0000-\u001f\u007f]/.test(name)) return "name: holds a control character (a line break, a tab…); use a single line of text";
  return undefined;
}

export interface NewTenantRequest {
  readonly slug: string;
  readonly name?: string;
  /** The profile's YAML source (a JSON object given is turned into YAML: `positions` false), and what its errors call it. */
  readonly profile?: { readonly source: string; readonly file: string; readonly positions: boolean };
}

export const TENANT_CREATE_FIELDS = ["slug", "name", "profile"] as const;
export const TENANT_UPDATE_FIELDS = ["name", "scimEnabled"] as const;

/** Reads `POST /tenants`: `{"slug", "name"?, "profile"?}`, the profile as YAML text or the equivalent JSON object. */
export function parseNewTenant(body: unknown): NewTenantRequest {
  const record = objectBody(body, TENANT_CREATE_FIELDS, "tenant");
  const slug = record["slug"];
  if (typeof slug !== "string") throw new AppError("invalidRequest", `slug: required, a string of 1-63 characters a-z 0-9 -; got ${slug === undefined ? "nothing" : typeof slug}`);
  const slugProblem = checkTenantSlug(slug);
  if (slugProblem !== undefined) throw new AppError("invalidRequest", `slug: ${slugProblem}`);
  const name = record["name"];
  if (name !== undefined && name !== null && typeof name !== "string") throw new AppError("invalidRequest", `name: expected a string or null, got ${typeof name}`);
  if (typeof name === "string") {
    const problem = checkTenantName(name);
    if (problem !== undefined) throw new AppError("invalidRequest", problem);
  }
  const profile = record["profile"];
  let sent: { readonly source: string; readonly positions: boolean } | undefined;
  if (typeof profile === "string") sent = profileSourceOf({ format: "yaml", text: profile });
  else if (typeof profile === "object" && profile !== null && !Array.isArray(profile)) sent = profileSourceOf({ format: "json", value: profile });
  else if (profile !== undefined && profile !== null) {
    throw new AppError("invalidRequest", `profile: expected the profile as YAML text or a JSON object, got ${Array.isArray(profile) ? "an array" : typeof profile}`);
  }
  return {
    slug,
    ...(typeof name === "string" ? { name } : {}),
    ...(sent === undefined ? {} : { profile: { ...sent, file: "profile" } }),
  };
}

/** Reads `PATCH /tenants/<slug>`: `{"name"?, "scimEnabled"?}`, `name: null` removing the name. */
export function parseTenantChanges(body: unknown): TenantChanges {
  const record = objectBody(body ?? {}, TENANT_UPDATE_FIELDS, "tenant");
  const name = record["name"];
  const scimEnabled = record["scimEnabled"];
  if (name !== undefined && name !== null && typeof name !== "string") throw new AppError("invalidRequest", `name: expected a string or null, got ${typeof name}`);
  if (typeof name === "string") {
    const problem = checkTenantName(name);
    if (problem !== undefined) throw new AppError("invalidRequest", problem);
  }
  if (scimEnabled !== undefined && typeof scimEnabled !== "boolean") {
    throw new AppError("invalidRequest", `scimEnabled: expected true or false, got ${JSON.stringify(scimEnabled)}`);
  }
  if (name === undefined && scimEnabled === undefined) throw new AppError("invalidRequest", "tenant: nothing to change; send name, scimEnabled or both");
  return { ...(name === undefined ? {} : { name }), ...(scimEnabled === undefined ? {} : { scimEnabled }) };
}

/**
 * Creates a tenant, with its name and profile when given, and records it in the audit log,
 * in one transaction: a refused profile creates nothing. A new tenant has declared no role
 * yet, so a profile mapping groups to roles is refused (declare them, then set the profile).
 * Throws TenantError ("invalidSlug", "tenantExists") or ProfileError.
 */
export async function createTenantWithSettings(store: Store, request: NewTenantRequest, actor: AuditActor, now: Date = new Date()): Promise<Tenant> {
  const slugProblem = checkTenantSlug(request.slug);
  if (slugProblem !== undefined) throw new TenantError("invalidSlug", slugProblem);
  const { profile } = request;
  if (profile !== undefined) {
    loadSentProfile(profile.source, profile.file, profile.positions, { declaredRoles: [], declareWith: `${declareRolesWith(request.slug)}, then set the profile` });
  }
  try {
    return await store.transaction(async (session) => {
      const tenant: Tenant = { id: randomUUID(), slug: request.slug, created: now.toISOString(), ...(request.name === undefined ? {} : { name: request.name }) };
      await session.createTenant(tenant);
      const version = profile === undefined ? undefined : await session.setTenantProfile(tenant.id, profile.source);
      const created: Tenant = version === undefined ? tenant : { ...tenant, profileVersion: version };
      await recordAudit(session, { tenant: created, actor, action: "tenant.created", target: created.slug, after: { ...settingsOf(created), profileVersion: version ?? 0 } }, now);
      return created;
    });
  } catch (error) {
    if (error instanceof StoreConflictError && error.constraint === "tenant.slug") {
      throw new TenantError("tenantExists", `tenant ${JSON.stringify(request.slug)} already exists`);
    }
    throw error;
  }
}

function tenantNotFound(slug: string): TenantError {
  return new TenantError("tenantNotFound", `tenant ${JSON.stringify(slug)} does not exist`);
}

/** Changes a tenant's name and SCIM switch; audited with both before and after. Throws TenantError("tenantNotFound"). */
export async function updateTenantSettings(store: Store, slug: string, changes: TenantChanges, actor: AuditActor, now: Date = new Date()): Promise<Tenant> {
  return store.transaction(async (session) => {
    const before = await session.findTenantBySlug(slug);
    if (before === undefined) throw tenantNotFound(slug);
    const after = await session.updateTenant(before.id, changes);
    if (after === undefined) throw tenantNotFound(slug);
    await recordAudit(session, { tenant: after, actor, action: "tenant.updated", target: slug, before: settingsOf(before), after: settingsOf(after) }, now);
    return after;
  });
}

/** How many times a deletion that lost a deadlock to a write in flight is tried again. */
const DELETE_ATTEMPTS = 3;

/**
 * Deletes the tenant and everything it owns in one transaction, its audit entry in the same
 * one (the audit log outlives the tenant), then its request log where that lives apart
 * (SQLite). Its SCIM tokens and API keys stop at once: they are gone, and every lookup
 * reads them from the database (ADR 0031). Throws TenantError("tenantNotFound").
 */
export async function deleteTenantBySlug(store: Store, slug: string, actor: AuditActor, now: Date = new Date()): Promise<Tenant> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const deleted = await store.transaction(async (session) => {
        const tenant = await session.findTenantBySlug(slug);
        if (tenant === undefined) throw tenantNotFound(slug);
        await session.deleteTenant(tenant.id);
        await recordAudit(session, { tenant, actor, action: "tenant.deleted", target: slug, before: { ...settingsOf(tenant), profileVersion: tenant.profileVersion ?? 0 } }, now);
        return tenant;
      });
      await store.purgeRequestLog(deleted.id);
      return deleted;
    } catch (error) {
      if (!(error instanceof StoreContentionError) || attempt >= DELETE_ATTEMPTS) throw error;
    }
  }
}

/** `?confirm=<slug>` of a deletion: the slug typed again, so that a wrong URL deletes nothing. */
export function assertDeletionConfirmed(slug: string, query: Readonly<Record<string, unknown>>): void {
  const confirm = stringParam(query, "confirm");
  if (confirm === undefined) throw new AppError("invalidRequest", `confirm: required; deleting tenant "${slug}" removes everything it owns: send ?confirm=${slug}`);
  if (confirm !== slug) throw new AppError("invalidRequest", `confirm: ${JSON.stringify(confirm)} is not the tenant's slug; send ?confirm=${slug} to delete tenant "${slug}"`);
}

function encodeCursor(slug: string): string {
  return Buffer.from(`t:${slug}`, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): string {
  const text = /^[A-Za-z0-9_-]{1,200}$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  const slug = text.startsWith("t:") ? text.slice(2) : undefined;
  if (slug === undefined || checkTenantSlug(slug) !== undefined) {
    throw new AppError("invalidCursor", "cursor: not one this listing issued; pass nextCursor unchanged, with the same q");
  }
  return slug;
}

/** `GET /tenants`: a page in slug order, `q` a case-insensitive part of the slug or name. */
export async function listTenantViews(store: Store, query: Readonly<Record<string, unknown>>, origin: string): Promise<AppPage<TenantView>> {
  const { limit, cursor } = parsePaging(query);
  const q = stringParam(query, "q");
  if (q !== undefined && q.length > MAX_TENANT_QUERY_LENGTH) {
    throw new AppError("invalidRequest", `q: ${q.length} characters long; at most ${MAX_TENANT_QUERY_LENGTH} are allowed`);
  }
  const after = cursor === "" ? undefined : decodeCursor(cursor);
  const rows = await store.read((session) =>
    session.listTenantsPage({ limit: limit + 1, ...(after === undefined ? {} : { after }), ...(q === undefined || q === "" ? {} : { q }) }),
  );
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { data: page.map((tenant) => toTenantView(tenant, origin)), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.slug) : null };
}
