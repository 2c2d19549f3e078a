import type { Generated } from "kysely";

/** Kysely row types, one per table. Column names stay in src/store/sql; mappers turn rows into domain types. */
export interface Database {
  tenants: TenantsTable;
  tokens: TokensTable;
  request_log: RequestLogTable;
  request_log_dropped: RequestLogDroppedTable;
  resources: ResourcesTable;
  resource_emails: ResourceEmailsTable;
  group_members: GroupMembersTable;
  api_keys: ApiKeysTable;
  app_lists: AppListsTable;
  events: EventsTable;
  webhooks: WebhooksTable;
  deliveries: DeliveriesTable;
  audit_log: AuditLogTable;
}

export interface TenantsTable {
  id: string;
  slug: string;
  created: string;
  /** The profile's YAML source; null when the tenant has none. */
  profile: string | null;
  /** Grows by one on every profile change; 0 before the first. */
  profile_version: Generated<number>;
  /** The highest event sequence number retention removed from the feed; 0 when none. */
  events_pruned_seq: Generated<number>;
  /** A display name (the customer's company); null when none was given. */
  name: string | null;
  /** 1, or 0 while the tenant's SCIM sync is switched off (every SCIM request refused). */
  scim_enabled: Generated<number>;
}

export interface TokensTable {
  id: string;
  tenant_id: string;
  name: string;
  hash: string;
  created: string;
  last_used: string | null;
  revoked: string | null;
  /** The unmanaged user the token belongs to; null for a token of the tenant alone. */
  principal_id: string | null;
  /** When the token stops working; null for never. */
  expires_at: string | null;
}

export interface RequestLogTable {
  seq: Generated<number>;
  tenant_id: string;
  request_id: string;
  at: string;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
  scim_type: string | null;
  error_detail: string | null;
  user_agent: string | null;
  request_body: string | null;
  /** A JSON array of strings; null when there are none. */
  notes: string | null;
  /** 1, or 0 for a request answered without an authenticated tenant (ADR 0029). */
  authenticated: Generated<number>;
  /** The ids of the change events the request caused, a JSON array of strings (migration 0015); null when none. */
  event_ids: string | null;
}

/** Per tenant, how many unauthenticated request-log entries were pruned past their allowance (ADR 0029). */
export interface RequestLogDroppedTable {
  tenant_id: string;
  unauthenticated: number;
}

export interface ResourcesTable {
  tenant_id: string;
  id: string;
  kind: "User" | "Group";
  /** Lower-cased (JS `toLowerCase`) userName for users, displayName for groups. */
  name_ci: string;
  external_id: string | null;
  /** Lower-cased displayName (users and groups); null when absent. */
  display_name_ci: string | null;
  /** The name shown as a member's `display`: displayName, falling back to userName. */
  display: string | null;
  /** 1, 0 or null: integers on every dialect so that bindings stay portable. */
  active: number | null;
  created: string;
  last_modified: string;
  version: number;
  /** The SCIM document as JSON text, without id, meta, groups and members. */
  data: string;
  /** 1 for resources created over SCIM, 0 for the application's own (docs/decisions/0009). */
  managed: number;
}

export interface ResourceEmailsTable {
  tenant_id: string;
  resource_id: string;
  position: number;
  value_ci: string | null;
  type: string | null;
  is_primary: number;
}

export interface GroupMembersTable {
  tenant_id: string;
  group_id: string;
  member_id: string;
  member_kind: "User" | "Group";
}

export interface ApiKeysTable {
  id: string;
  /** Null for an administrator key. */
  tenant_id: string | null;
  name: string;
  hash: string;
  created: string;
  revoked: string | null;
}

export interface AppListsTable {
  tenant_id: string;
  name: string;
  /** A JSON array of strings. */
  entries: string;
  updated: string;
}

export interface EventsTable {
  /** The event's number in its tenant's feed: 1, 2, 3… in commit order, drawn under the tenant's lock (ADR 0026). */
  seq: number;
  id: string;
  tenant_id: string;
  type: string;
  resource_type: string;
  resource_id: string;
  occurred_at: string;
  /** The event as delivered, JSON text. */
  data: string;
}

export interface WebhooksTable {
  id: string;
  tenant_id: string;
  url: string;
  /** A JSON array of event type patterns. */
  events: string;
  /** The signing secret, encrypted with ROSTER_SECRET_KEY. */
  secret: string;
  enabled: number;
  /** The last event sequence number turned into deliveries for this webhook. */
  cursor_seq: number;
  created: string;
  updated: string;
}

export interface DeliveriesTable {
  seq: Generated<number>;
  id: string;
  webhook_id: string;
  tenant_id: string;
  event_seq: number;
  event_id: string;
  /** The event's type, kept for listings after retention removed the event; "" for rows older than migration 0007. */
  event_type: Generated<string>;
  resource_key: string;
  status: "pending" | "succeeded" | "failed";
  attempts: number;
  next_attempt_at: string;
  lease_until: string | null;
  last_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
  created: string;
  completed: string | null;
  /** 1 for a delivery made by a replay (migration 0013): a webhook has one replay pending at a time. */
  replayed: Generated<number>;
}

/** One control-plane change (tenant, profile, token, key, webhook, setting): who, what, when (src/directory/audit.ts). */
export interface AuditLogTable {
  seq: Generated<number>;
  id: string;
  tenant_id: string | null;
  tenant_slug: string | null;
  at: string;
  actor: string;
  action: string;
  target: string;
  details: string | null;
}
