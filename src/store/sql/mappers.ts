import type { Selectable } from "kysely";
import { foldCase } from "../../scim/filter/values.js";
import type { ApiKeyRecord, GroupRef, Member, RequestLogEntry, ResourceKind, StoredResource, Tenant, TokenRecord } from "../store.js";
import type { ApiKeysTable, RequestLogTable, ResourcesTable, TenantsTable, TokensTable } from "./schema.js";

export function toTenant(
  row: Pick<Selectable<TenantsTable>, "id" | "slug" | "created" | "profile_version"> & Partial<Pick<Selectable<TenantsTable>, "name" | "scim_enabled">>,
): Tenant {
  const profileVersion = Number(row.profile_version);
  // Absent until the first profile (a name, the switch turned off), so a tenant reads back as createTenant wrote it.
  return {
    id: row.id,
    slug: row.slug,
    created: row.created,
    ...(profileVersion === 0 ? {} : { profileVersion }),
    ...(row.name === null || row.name === undefined ? {} : { name: row.name }),
    ...(row.scim_enabled !== undefined && Number(row.scim_enabled) === 0 ? { scimEnabled: false as const } : {}),
  };
}

export function toTokenRecord(row: Selectable<TokensTable>): TokenRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    created: row.created,
    lastUsed: row.last_used,
    revoked: row.revoked,
    ...(row.principal_id === null ? {} : { principalId: row.principal_id }),
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
  };
}

export function toApiKeyRecord(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return { id: row.id, tenantId: row.tenant_id, name: row.name, created: row.created, revoked: row.revoked };
}

export function toRequestLogEntry(row: Selectable<RequestLogTable>): RequestLogEntry {
  return {
    tenantId: row.tenant_id,
    requestId: row.request_id,
    at: row.at,
    method: row.method,
    path: row.path,
    status: Number(row.status),
    durationMs: Number(row.duration_ms),
    scimType: row.scim_type,
    errorDetail: row.error_detail,
    userAgent: row.user_agent,
    requestBody: row.request_body,
    ...(row.notes === null ? {} : { notes: JSON.parse(row.notes) as string[] }),
    ...(Number(row.authenticated) === 0 ? { unauthenticated: true as const } : {}),
    ...(row.event_ids === null ? {} : { eventIds: JSON.parse(row.event_ids) as string[] }),
  };
}

/** The request log's columns, in the order toRequestLogValues lays an entry out. */
export const REQUEST_LOG_COLUMNS = [
  "tenant_id",
  "request_id",
  "at",
  "method",
  "path",
  "status",
  "duration_ms",
  "scim_type",
  "error_detail",
  "user_agent",
  "request_body",
  "notes",
  "authenticated",
  "event_ids",
] as const satisfies readonly (keyof RequestLogTable)[];

/** An entry as the values of its row, in REQUEST_LOG_COLUMNS order (toRequestLogEntry reads it back). */
export function toRequestLogValues(entry: RequestLogEntry): (string | number | null)[] {
  const notes = entry.notes === undefined || entry.notes.length === 0 ? null : JSON.stringify(entry.notes);
  const eventIds = entry.eventIds === undefined || entry.eventIds.length === 0 ? null : JSON.stringify(entry.eventIds);
  return [entry.tenantId, entry.requestId, entry.at, entry.method, entry.path, entry.status, entry.durationMs, entry.scimType, entry.errorDetail, entry.userAgent, entry.requestBody, notes, entry.unauthenticated === true ? 0 : 1, eventIds];
}

export type ResourceRow = Pick<
  Selectable<ResourcesTable>,
  "tenant_id" | "id" | "kind" | "data" | "created" | "last_modified" | "version" | "managed"
> & {
  /** A read with groups (`groupsJson` in memberships.ts): `[[group id, display], …]` as JSON text. */
  readonly groups_json?: string | null;
};

export function toStoredResource(row: ResourceRow): StoredResource {
  return {
    tenantId: row.tenant_id,
    id: row.id,
    kind: row.kind,
    document: JSON.parse(row.data) as Record<string, unknown>,
    created: row.created,
    lastModified: row.last_modified,
    version: Number(row.version),
    // Absent means managed (StoredResource.managed), so a resource reads back as it was written.
    ...(Number(row.managed) === 0 ? { managed: false } : {}),
    ...(typeof row.groups_json === "string" ? { groups: toGroupRefs(row.groups_json) } : {}),
  };
}

/** `[[group id, display], …]` as a user's groups in group id order (as listGroupsOf orders them). */
function toGroupRefs(json: string): GroupRef[] {
  const pairs = JSON.parse(json) as [string, string | null][];
  return pairs.map(([value, display]) => ({ value, display })).sort(byGroupId);
}

/** A user's groups in the order SCIM lists them. Group ids are UUIDs (ASCII), so UTF-16 order is code point order, as the dialects compare. */
export function byGroupId(a: GroupRef, b: GroupRef): number {
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function toMember(row: { member_id: string; member_kind: ResourceKind; display: string | null }): Member {
  return { value: row.member_id, type: row.member_kind, display: row.display };
}

function stringAt(document: Readonly<Record<string, unknown>>, key: string): string | null {
  const value = document[key];
  return typeof value === "string" ? value : null;
}

/** The indexed columns derived from a resource; case folding happens here, in JS, so every database folds alike. */
export function toResourceRow(resource: StoredResource): Omit<ResourcesTable, never> {
  const userName = stringAt(resource.document, "userName");
  const displayName = stringAt(resource.document, "displayName");
  const name = resource.kind === "User" ? userName : displayName;
  const active = resource.document["active"];
  return {
    tenant_id: resource.tenantId,
    id: resource.id,
    kind: resource.kind,
    name_ci: foldCase(name ?? ""),
    external_id: stringAt(resource.document, "externalId"),
    display_name_ci: displayName === null ? null : foldCase(displayName),
    display: displayName ?? userName,
    active: typeof active === "boolean" ? (active ? 1 : 0) : null,
    created: resource.created,
    last_modified: resource.lastModified,
    version: resource.version,
    data: JSON.stringify(resource.document),
    managed: resource.managed === false ? 0 : 1,
  };
}

export interface EmailRow {
  tenant_id: string;
  resource_id: string;
  position: number;
  value_ci: string | null;
  type: string | null;
  is_primary: number;
}

export function toEmailRows(resource: StoredResource): EmailRow[] {
  const emails = resource.document["emails"];
  if (!Array.isArray(emails)) return [];
  return emails.flatMap((email: unknown, position): EmailRow[] => {
    if (typeof email !== "object" || email === null) return [];
    const record = email as Record<string, unknown>;
    return [
      {
        tenant_id: resource.tenantId,
        resource_id: resource.id,
        position,
        value_ci: typeof record["value"] === "string" ? foldCase(record["value"]) : null,
        type: typeof record["type"] === "string" ? record["type"] : null,
        is_primary: record["primary"] === true ? 1 : 0,
      },
    ];
  });
}
