import { ScimError } from "../scim/errors.js";
import type { ScimDocument, Tenant } from "../store/store.js";
import { namespaceUrn, type TenantProfile } from "./profiles.js";

/** Throws 403 when the profile turns user sync off, so that every SCIM request (an IdP's connection test too) fails. */
export function assertUserSyncEnabled(profile: TenantProfile | undefined): void {
  if (profile !== undefined && !profile.sync.users) {
    throw new ScimError("forbidden", "SCIM user sync is disabled for this tenant (its profile sets sync.users: false); no request is accepted until it is enabled");
  }
}

/** The start of the refusal's detail while a tenant's SCIM sync is switched off: the request log's hint keys on it. */
export const SCIM_SWITCHED_OFF = "SCIM provisioning is switched off for this tenant";

/**
 * Throws 403 while the application switched the tenant's SCIM sync off (PATCH /api/v1/tenants/<slug>
 * `{"scimEnabled": false}`): every SCIM request, discovery included, so that an identity
 * provider's connection test fails too (ADR 0031).
 */
export function assertScimEnabled(tenant: Tenant): void {
  if (tenant.scimEnabled === false) {
    throw new ScimError(
      "forbidden",
      `${SCIM_SWITCHED_OFF} in the application's settings; nothing is created, changed or read until it is switched back on: ask the application's administrator to switch it on`,
    );
  }
}

function keyOf(record: unknown, name: string): string | undefined {
  if (typeof record !== "object" || record === null || Array.isArray(record)) return undefined;
  const lower = name.toLowerCase();
  return Object.keys(record).find((key) => key.toLowerCase() === lower);
}

/** The path of a switch inside a document: a declared attribute's name is under its namespace. */
function segments(profile: TenantProfile, path: string): string[] {
  const declared = profile.attributes.find((attribute) => attribute.name === path);
  const urn = declared === undefined ? undefined : namespaceUrn(declared.namespace);
  return urn === undefined ? path.split(".") : [urn, path];
}

function read(document: unknown, path: readonly string[]): unknown {
  let current = document;
  for (const segment of path) {
    const key = keyOf(current, segment);
    if (key === undefined) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function write(document: Readonly<Record<string, unknown>>, path: readonly string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = path;
  if (head === undefined) return { ...document };
  const key = keyOf(document, head) ?? head;
  const next: Record<string, unknown> = { ...document };
  if (rest.length === 0) {
    if (value === undefined) delete next[key];
    else next[key] = value;
    return next;
  }
  const child = next[key];
  const base = typeof child === "object" && child !== null && !Array.isArray(child) ? (child as Record<string, unknown>) : {};
  const written = write(base, rest, value);
  if (Object.keys(written).length === 0) delete next[key];
  else next[key] = written;
  return next;
}

/**
 * The document to store after an update: every attribute whose update the profile switches off
 * keeps its stored value. Each ignored change is described in `notes` (the request log shows them).
 */
export function keepIgnoredUpdates(profile: TenantProfile | undefined, existing: ScimDocument, next: ScimDocument, notes: string[] | undefined): ScimDocument {
  let result: Record<string, unknown> | undefined;
  for (const path of profile?.sync.ignoredUpdates ?? []) {
    const at = segments(profile as TenantProfile, path);
    const before = read(existing, at);
    if (JSON.stringify(before) === JSON.stringify(read(result ?? next, at))) continue;
    result = write(result ?? next, at, before);
    notes?.push(`ignored an update to "${path}": this tenant's profile sets sync.updates.${path}: false`);
  }
  return result ?? next;
}

function mentionsPassword(body: unknown, depth = 0): boolean {
  if (depth > 3 || typeof body !== "object" || body === null) return false;
  if (Array.isArray(body)) return body.some((item) => mentionsPassword(item, depth + 1));
  return Object.entries(body).some(
    ([key, value]) => key.toLowerCase() === "password" || (key.toLowerCase() === "path" && typeof value === "string" && value.toLowerCase() === "password") || mentionsPassword(value, depth + 1),
  );
}

/** With `sync.passwords: unsupported`, notes that a password in the request was ignored (it is never stored in any case). */
export function notePassword(profile: TenantProfile | undefined, body: unknown, notes: string[] | undefined): void {
  if (profile?.sync.passwords === "unsupported" && mentionsPassword(body)) {
    notes?.push("ignored the password: this tenant does not take passwords from the identity provider (its profile sets sync.passwords: unsupported)");
  }
}
