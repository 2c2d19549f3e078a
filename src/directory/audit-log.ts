import type { AuditEntry, Store, Tenant } from "../store/store.js";
import { AppError } from "./app-errors.js";
import { type AppPage, parsePaging } from "./app-paging.js";

/** One audit entry as the management API answers it. */
export interface AuditView {
  readonly id: string;
  readonly at: string;
  /** `apikey:<id>` or `cli`. */
  readonly actor: string;
  readonly action: string;
  /** The tenant's slug; null for a change outside any tenant (an administrator key). */
  readonly tenant: string | null;
  readonly target: string;
  readonly before: unknown;
  readonly after: unknown;
}

function toAuditView(entry: AuditEntry): AuditView {
  const details = entry.details === null ? {} : (JSON.parse(entry.details) as { before?: unknown; after?: unknown });
  return {
    id: entry.id,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    tenant: entry.tenantSlug,
    target: entry.target,
    before: details.before ?? null,
    after: details.after ?? null,
  };
}

function encodeCursor(seq: number): string {
  return Buffer.from(`a:${seq}`, "utf8").toString("base64url");
}

function decodeCursor(cursor: string): number {
  const text = /^[A-Za-z0-9_-]{1,40}$/.test(cursor) ? Buffer.from(cursor, "base64url").toString("utf8") : "";
  const match = /^a:(\d{1,15})$/.exec(text);
  if (match === null) throw new AppError("invalidCursor", "cursor: not one this listing issued; pass nextCursor unchanged");
  return Number(match[1]);
}

/**
 * The audit log newest first, cursor-paged on its sequence (`limit`, `cursor`): every entry
 * (`GET /audit`, administrators) or one tenant's (`GET /tenants/<slug>/audit`).
 */
export async function listAuditLog(store: Store, query: Readonly<Record<string, unknown>>, tenant?: Tenant): Promise<AppPage<AuditView>> {
  const { limit, cursor } = parsePaging(query);
  const before = cursor === "" ? undefined : decodeCursor(cursor);
  const entries = await store.read((session) =>
    session.listAuditEntries({ limit: limit + 1, ...(tenant === undefined ? {} : { tenantId: tenant.id }), ...(before === undefined ? {} : { before }) }),
  );
  const page = entries.slice(0, limit);
  const last = page[page.length - 1];
  return { data: page.map(toAuditView), nextCursor: entries.length > limit && last !== undefined ? encodeCursor(last.seq) : null };
}
