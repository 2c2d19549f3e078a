import { countCharacters, isLongerThan } from "../scim/schema/limits.js";
import { AppError } from "./app-errors.js";
import type { AppContext } from "./app-users.js";
import { type AuditActor, recordAudit } from "./audit.js";
import { now } from "./clock.js";

/** The application's roles are the list named "roles" (`PUT roles` and `PUT lists/roles` are the same list). */
export const ROLES_LIST = "roles";

export const LIST_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
export const MAX_LIST_ENTRIES = 10_000;
export const MAX_ENTRY_LENGTH = 256;

export function assertListName(name: string): void {
  if (!LIST_NAME_PATTERN.test(name)) {
    throw new AppError("invalidRequest", `list name ${JSON.stringify(name)}: use 1-63 characters a-z 0-9 _, starting with a letter (e.g. record_sets)`);
  }
}

/** A JSON array of distinct, non-empty names; 400 naming the first offending entry. */
export function parseNameList(body: unknown, where: string): string[] {
  if (!Array.isArray(body)) throw new AppError("invalidRequest", `${where}: expected a JSON array of names, e.g. ["Mechanic", "Driver"]`);
  if (body.length > MAX_LIST_ENTRIES) throw new AppError("invalidRequest", `${where}: at most ${MAX_LIST_ENTRIES} names, got ${body.length}`);
  const seen = new Set<string>();
  return body.map((entry: unknown, index) => {
    if (typeof entry !== "string" || entry.trim() === "") {
      throw new AppError("invalidRequest", `${where}[${index}]: expected a non-empty string of at most ${MAX_ENTRY_LENGTH} characters, got ${JSON.stringify(entry)}`);
    }
    // Characters (code points) as every SCIM limit counts them (docs/attribute-limits.md); the name is not echoed.
    if (isLongerThan(entry, MAX_ENTRY_LENGTH)) {
      throw new AppError("invalidRequest", `${where}[${index}]: expected a non-empty string of at most ${MAX_ENTRY_LENGTH} characters, got ${countCharacters(entry)} characters`);
    }
    if (entry.includes("\u0000")) {
      throw new AppError("invalidRequest", `${where}[${index}]: names may not contain the NUL character (U+0000), as no SCIM value can`);
    }
    if (seen.has(entry)) throw new AppError("invalidRequest", `${where}[${index}]: ${JSON.stringify(entry)} is listed twice`);
    seen.add(entry);
    return entry;
  });
}

/**
 * PUT lists/<name> (and PUT roles): replaces the whole list; returns it. A change is recorded in
 * the audit log with `actor` and the entries before (null: never declared) and after; putting
 * the list it already is records nothing.
 */
export async function putAppList(context: AppContext, actor: AuditActor, name: string, body: unknown): Promise<readonly string[]> {
  assertListName(name);
  const entries = parseNameList(body, name);
  const { tenant } = context;
  await context.store.transaction(async (session) => {
    const before = await session.findList(tenant.id, name);
    const at = now();
    await session.putList(tenant.id, name, entries, at);
    if (before !== undefined && before.length === entries.length && before.every((entry, index) => entry === entries[index])) return;
    await recordAudit(session, { tenant, actor, action: "list.updated", target: name, before: before ?? null, after: entries }, new Date(at));
  });
  return entries;
}

/** GET lists/<name>: 404 when never declared. GET roles answers [] instead: a tenant has no roles until the application declares them. */
export async function getAppList(context: AppContext, name: string): Promise<readonly string[]> {
  assertListName(name);
  const entries = await context.store.transaction((session) => session.findList(context.tenant.id, name));
  if (entries !== undefined) return entries;
  if (name === ROLES_LIST) return [];
  throw new AppError("notFound", `list "${name}" has not been declared; declare it with PUT lists/${name}`);
}
