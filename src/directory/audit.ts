import { randomUUID } from "node:crypto";
import type { StoreSession, Tenant } from "../store/store.js";

/**
 * Who made a control-plane change: `apikey:<id>` for a management API key, `cli` for the
 * command line (whoever has a shell on the server).
 */
export type AuditActor = `apikey:${string}` | "cli";

export const CLI_ACTOR: AuditActor = "cli";

export function apiKeyActor(keyId: string): AuditActor {
  return `apikey:${keyId}`;
}

/** Every kind of change the audit log records. */
export const AUDIT_ACTIONS = [
  "tenant.created",
  "tenant.updated",
  "tenant.deleted",
  "profile.updated",
  "token.created",
  "token.revoked",
  "apikey.created",
  "apikey.revoked",
  "webhook.created",
  "webhook.updated",
  "webhook.deleted",
  "webhook.replayed",
  "list.updated",
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditChange {
  /** The tenant changed; null for a change outside any tenant (an administrator key). */
  readonly tenant: Pick<Tenant, "id" | "slug"> | null;
  readonly actor: AuditActor;
  readonly action: AuditAction;
  /** What was changed: a tenant slug, a token, key or webhook id, a list name. */
  readonly target: string;
  /** The settings before and after (never a secret: callers pass only what may be shown). */
  readonly before?: unknown;
  readonly after?: unknown;
}

/** Records one change in the transaction that makes it, so that the log and the change commit together. */
export async function recordAudit(session: Pick<StoreSession, "insertAuditEntry">, change: AuditChange, now: Date = new Date()): Promise<void> {
  const details = change.before === undefined && change.after === undefined ? null : JSON.stringify({ before: change.before, after: change.after });
  await session.insertAuditEntry({
    id: randomUUID(),
    tenantId: change.tenant?.id ?? null,
    tenantSlug: change.tenant?.slug ?? null,
    at: now.toISOString(),
    actor: change.actor,
    action: change.action,
    target: change.target,
    details,
  });
}
