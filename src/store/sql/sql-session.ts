import { type Kysely, sql } from "kysely";
import {
  type ApiKeyRecord,
  type ApiKeyListing,
  type AuditEntry,
  type NewAuditEntry,
  type ClaimedDelivery,
  type ClaimOptions,
  type DeliveryOutcome,
  type ReplayOutcome,
  type DeliveryRecord,
  type DeliveryStatus,
  type EventTypeMatcher,
  type FanOutOptions,
  type NewWebhook,
  type SealedWebhookSecret,
  type WebhookRecord,
  type GroupRef,
  type GroupsScope,
  type Member,
  type MemberRef,
  type NewEvent,
  type NewApiKey,
  type NewToken,
  type LoggedRequest,
  type RequestLogEntry,
  type RequestLogPage,
  type RequestLogQuery,
  type RequestLogRetention,
  type RequestLogSummary,
  type ResourceCounts,
  type ResourceKind,
  type ResourcePage,
  type ResourceQuery,
  type StoredEvent,
  type StoredProfile,
  type StoredResource,
  type StoreSession,
  type Tenant,
  type TokenPageQuery,
  type TenantChanges,
  type TenantPageQuery,
  type TokenRecord,
  StoreConflictError,
  StoreFilterError,
} from "../store.js";
import type { ResolvedFilter } from "../../scim/filter/ast.js";
import type { SqlDialect, UniqueIndex } from "./dialect.js";
import { insertAuditEntry, listAuditEntries } from "./audit.js";
import { deleteTenant, listTenantsPage, updateTenant } from "./tenants.js";
import { appendEvents, eventBounds, eventSeqBefore, listEvents, pruneEvents } from "./events.js";
import { REQUEST_LOG_COLUMNS, toApiKeyRecord, toEmailRows, toRequestLogEntry, toRequestLogValues, toResourceRow, toStoredResource, toTenant, toTokenRecord } from "./mappers.js";
import { addMembers, groupsJson, listGroupsOf, listMembers, listMembersOfGroups, listMembersPage, removeAllMembers, removeMembers, scopeKey } from "./memberships.js";
import { PreparedQuery, powerOfTwoRuns, preparedInsert } from "./prepared-query.js";
import { countResources, findRequestLogEntry, queryRequestLog, summarizeRequestLog } from "./request-log-queries.js";
import { type ListMemo, queryResources } from "./query-resources.js";
import type { Database, ResourceEmailsTable, ResourcesTable } from "./schema.js";
import {
  claimDeliveries,
  deleteWebhook,
  fanOutDeliveries,
  findWebhook,
  hasDeliveryWork,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  listWebhookSecrets,
  pruneDeliveries,
  recordDeliveryOutcome,
  replayDeliveries,
  updateWebhook,
} from "./webhooks.js";

/** A tenant's columns without its profile source, which only findTenantProfile reads. */
const TENANT_COLUMNS = ["id", "slug", "created", "profile_version", "name", "scim_enabled"] as const;

export const TENANT_SLUG_INDEX: UniqueIndex = { name: "tenants_slug_unique", table: "tenants", columns: ["slug"] };
export const USER_NAME_INDEX: UniqueIndex = {
  name: "resources_managed_user_name_unique",
  table: "resources",
  columns: ["tenant_id", "managed", "name_ci"],
};

/** A tenant's profile version alone: read by every write that records events (tenant-views.ts), so compiled once. */
const PROFILE_VERSION = new PreparedQuery((db, param) => db.selectFrom("tenants").select("profile_version").where("id", "=", param(0)));

const ACTIVE_TOKEN = new PreparedQuery((db, param) =>
  db
    .selectFrom("tokens as k")
    .innerJoin("tenants as t", "t.id", "k.tenant_id")
    .selectAll("k")
    .select(["t.slug as tenant_slug", "t.created as tenant_created", "t.profile_version as tenant_profile_version", "t.name as tenant_name", "t.scim_enabled as tenant_scim_enabled"])
    // A token with a principal works only while that user exists, is unmanaged and active: checked on every lookup.
    .leftJoin("resources as p", (join) => join.onRef("p.tenant_id", "=", "k.tenant_id").onRef("p.id", "=", "k.principal_id"))
    .where("k.hash", "=", param(0))
    .where("k.revoked", "is", null)
    // Constants are SQL literals, never bound: SQLite re-plans a statement whenever a value it
    // planned with changes, and better-sqlite3 rebinds every value on each call (prepared-query.ts).
    .where((eb) =>
      eb.or([eb("k.principal_id", "is", null), eb.and([eb("p.kind", "=", sql.lit("User")), eb("p.managed", "=", eb.lit(0)), eb("p.active", "=", eb.lit(1))])]),
    ),
);

// Values of every type are bound here (numbers, nulls): a raw insert passes each through
// untouched. One statement writes up to REQUEST_LOG_ROWS entries (a flush of a busy second
// is a few statements, not one per request; on PostgreSQL, a few round trips).
const INSERT_REQUEST_LOG = new PreparedQuery((db, param, rows, dialect) => {
  const columns = sql.join(REQUEST_LOG_COLUMNS.map((column) => sql.ref(column)));
  const tuples = Array.from({ length: rows }, (_, row) =>
    sql`(${sql.join(REQUEST_LOG_COLUMNS.map((_, column) => param(row * REQUEST_LOG_COLUMNS.length + column)))})`,
  );
  const table = dialect.requestLogSchema === undefined ? "request_log" : `${dialect.requestLogSchema}.request_log`;
  const insert = sql`insert into ${sql.table(table)} (${columns}) values ${sql.join(tuples)}`;
  return { compile: () => insert.compile(db) };
});

/** The most entries one request-log insert writes: 64 × 14 values stays far below every database's parameter limit. */
const REQUEST_LOG_ROWS = 64;

function resourceById(lock: boolean, groups: GroupsScope | undefined) {
  return new PreparedQuery((db, param, _size, dialect) => {
    let query = db
      .selectFrom("resources as r")
      .select(["r.tenant_id", "r.id", "r.kind", "r.data", "r.created", "r.last_modified", "r.version", "r.managed"])
      .where("r.tenant_id", "=", param(0))
      .where("r.kind", "=", param(1) as ResourceKind)
      .where("r.id", "=", param(2));
    if (groups !== undefined) query = query.select(groupsJson(db, dialect, "r", groups));
    return lock ? dialect.lockForUpdate(query) : query;
  });
}

/** By lock, then by the scope of the groups read with a user (scopeKey). */
const RESOURCE_BY_ID = new Map<string, ReturnType<typeof resourceById>>(
  [false, true].flatMap((lock) =>
    [undefined, {}, { managed: true }, { managed: false }].map((groups) => [`${String(lock)} ${scopeKey(groups)}`, resourceById(lock, groups)] as const),
  ),
);

/**
 * What the indexes of a resource hold: its indexed columns, and its email rows (one row of
 * the result per email; one with null email columns when it has none).
 */
const INDEXED_STATE = new PreparedQuery((db, param) =>
  db
    .selectFrom("resources as r")
    .leftJoin("resource_emails as e", (join) => join.onRef("e.tenant_id", "=", "r.tenant_id").onRef("e.resource_id", "=", "r.id"))
    .select(["r.kind", "r.name_ci", "r.external_id", "r.display_name_ci", "e.position", "e.value_ci", "e.type", "e.is_primary"])
    .where("r.tenant_id", "=", param(0))
    .where("r.id", "=", param(1)),
);

/** A group's new version and lastModified after its members changed (its row otherwise as it was). */
const TOUCH_RESOURCE = new PreparedQuery((db, param) =>
  db
    .updateTable("resources")
    .set({ last_modified: param(0), version: param(1) as unknown as number })
    .where("tenant_id", "=", param(2))
    .where("id", "=", param(3)),
);

/** Ids per prepared lookup by ids (kinds, whole resources): runs of powers of two up to this. */
const IDS_RUN = 256;

/** The kind of each id that names a resource of the tenant, any or only (un)managed ones; `managed` a literal, as the planner reads it. */
function kindsOf(managed: boolean | undefined) {
  return new PreparedQuery((db, param, size) => {
    let query = db
      .selectFrom("resources")
      .select(["id", "kind"])
      .where("tenant_id", "=", param(0))
      .where("id", "in", Array.from({ length: size }, (_, index) => param(1 + index)));
    if (managed !== undefined) query = query.where("managed", "=", sql.lit(managed ? 1 : 0));
    return query;
  });
}

const KINDS_OF = { any: kindsOf(undefined), managed: kindsOf(true), unmanaged: kindsOf(false) };

/** Resources by id, whole (the change-event recorder reads the members a group PATCH names). */
const RESOURCES_BY_IDS = new PreparedQuery((db, param, size) =>
  db
    .selectFrom("resources")
    .select(["tenant_id", "id", "kind", "data", "created", "last_modified", "version", "managed"])
    .where("tenant_id", "=", param(0))
    .where("id", "in", Array.from({ length: size }, (_, index) => param(1 + index))),
);

/** Set on every update; the indexed columns below are set only when their value changes. */
const UPDATED_COLUMNS = ["display", "active", "last_modified", "version", "data"] as const;
const INDEXED_COLUMNS = ["name_ci", "external_id", "display_name_ci"] as const;

/**
 * An UPDATE of one resource, one shape per set of changed indexed columns (bits 0-2 of
 * `size`) and kind (bit 3). Assigning an indexed column rewrites its index entries even to
 * the same value: SQLite decides which indexes to maintain from the SET list, and a
 * PostgreSQL update of an indexed column loses its HOT path only when the value changes.
 */
const UPDATE_RESOURCE = new PreparedQuery((db, param, size) => {
  const columns = [...UPDATED_COLUMNS, ...INDEXED_COLUMNS.filter((_, bit) => (size & (1 << bit)) !== 0)];
  const values = Object.fromEntries(columns.map((column, index) => [column, param(index)]));
  return db
    .updateTable("resources")
    .set(values)
    .where("tenant_id", "=", param(columns.length))
    .where("kind", "=", sql.lit((size & 8) === 0 ? "User" : "Group"))
    .where("id", "=", param(columns.length + 1));
});

const RESOURCE_COLUMNS = [
  "tenant_id",
  "id",
  "kind",
  "name_ci",
  "external_id",
  "display_name_ci",
  "display",
  "active",
  "created",
  "last_modified",
  "version",
  "data",
  "managed",
] as const satisfies readonly (keyof ResourcesTable)[];

/** The INSERT of one resource, compiled once: Kysely built and compiled it anew for every create. */
const INSERT_RESOURCE = preparedInsert("resources", RESOURCE_COLUMNS);

const EMAIL_COLUMNS = ["tenant_id", "resource_id", "position", "value_ci", "type", "is_primary"] as const satisfies readonly (keyof ResourceEmailsTable)[];

/** The INSERT of a run of email rows, one compiled shape per power of two. */
const INSERT_EMAILS = preparedInsert("resource_emails", EMAIL_COLUMNS);

/** One transaction's view of the database; `db` is bound to the transaction's connection. */
export class SqlSession implements StoreSession {
  /** @param memo list answers to reuse while nothing is committed: only for a connection that never writes (query-resources.ts). */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
    private readonly memo?: ListMemo,
  ) {}

  async createTenant(tenant: Tenant): Promise<Tenant> {
    try {
      await this.db.insertInto("tenants").values({ id: tenant.id, slug: tenant.slug, created: tenant.created, name: tenant.name ?? null }).execute();
    } catch (error) {
      if (this.dialect.isUniqueViolation(error, TENANT_SLUG_INDEX)) {
        throw new StoreConflictError("tenant.slug", `tenant slug "${tenant.slug}" is already taken`);
      }
      throw error;
    }
    return tenant;
  }

  async findTenantBySlug(slug: string): Promise<Tenant | undefined> {
    const row = await this.db.selectFrom("tenants").select(TENANT_COLUMNS).where("slug", "=", slug).executeTakeFirst();
    return row === undefined ? undefined : toTenant(row);
  }

  async findTenantById(id: string): Promise<Tenant | undefined> {
    const row = await this.db.selectFrom("tenants").select(TENANT_COLUMNS).where("id", "=", id).executeTakeFirst();
    return row === undefined ? undefined : toTenant(row);
  }

  async listTenants(): Promise<readonly Tenant[]> {
    const rows = await this.db.selectFrom("tenants").select(TENANT_COLUMNS).orderBy("slug").execute();
    return rows.map(toTenant);
  }

  listTenantsPage(query: TenantPageQuery): Promise<readonly Tenant[]> {
    return listTenantsPage(this.db, query);
  }

  updateTenant(tenantId: string, changes: TenantChanges): Promise<Tenant | undefined> {
    return updateTenant(this.db, tenantId, changes);
  }

  deleteTenant(tenantId: string): Promise<boolean> {
    return deleteTenant(this.db, this.dialect, tenantId);
  }

  async setTenantProfile(tenantId: string, source: string | null): Promise<number | undefined> {
    const updated = await this.db
      .updateTable("tenants")
      .set((eb) => ({ profile: source, profile_version: eb("profile_version", "+", 1) }))
      .where("id", "=", tenantId)
      .returning("profile_version")
      .executeTakeFirst();
    return updated === undefined ? undefined : Number(updated.profile_version);
  }

  async findTenantProfile(tenantId: string): Promise<StoredProfile | undefined> {
    const row = await this.db.selectFrom("tenants").select(["profile", "profile_version"]).where("id", "=", tenantId).executeTakeFirst();
    return row === undefined ? undefined : { version: Number(row.profile_version), source: row.profile };
  }

  async findTenantProfileVersion(tenantId: string): Promise<number | undefined> {
    const [row] = await PROFILE_VERSION.execute(this.db, this.dialect, [tenantId]);
    return row === undefined ? undefined : Number(row.profile_version);
  }

  async insertToken(token: NewToken, created: string): Promise<TokenRecord> {
    const row = {
      id: token.id,
      tenant_id: token.tenantId,
      name: token.name,
      hash: token.hash,
      created,
      last_used: null,
      revoked: null,
      principal_id: token.principalId ?? null,
      expires_at: token.expiresAt ?? null,
    };
    await this.db.insertInto("tokens").values(row).execute();
    return toTokenRecord(row);
  }

  async findActiveToken(hash: string): Promise<{ readonly token: TokenRecord; readonly tenant: Tenant } | undefined> {
    const [row] = await ACTIVE_TOKEN.execute(this.db, this.dialect, [hash]);
    if (row === undefined) return undefined;
    const tenant = toTenant({
      id: row.tenant_id,
      slug: row.tenant_slug,
      created: row.tenant_created,
      profile_version: row.tenant_profile_version,
      name: row.tenant_name,
      scim_enabled: row.tenant_scim_enabled,
    });
    return { token: toTokenRecord(row), tenant };
  }

  async listTokens(tenantId: string): Promise<readonly TokenRecord[]> {
    const rows = await this.db.selectFrom("tokens").selectAll().where("tenant_id", "=", tenantId).orderBy("created").orderBy("id").execute();
    return rows.map(toTokenRecord);
  }

  async listTokensPage(tenantId: string, query: TokenPageQuery): Promise<readonly TokenRecord[]> {
    let select = this.db.selectFrom("tokens").selectAll().where("tenant_id", "=", tenantId);
    if (query.revoked !== undefined) select = select.where("revoked", query.revoked ? "is not" : "is", null);
    const after = query.after;
    if (after !== undefined) {
      select = select.where((eb) => eb.or([eb("created", "<", after.created), eb.and([eb("created", "=", after.created), eb("id", "<", after.id)])]));
    }
    const rows = await select.orderBy("created", "desc").orderBy("id", "desc").limit(Math.max(0, Math.trunc(query.limit))).execute();
    return rows.map(toTokenRecord);
  }

  async findToken(id: string): Promise<{ readonly token: TokenRecord; readonly tenant: Tenant } | undefined> {
    const row = await this.db
      .selectFrom("tokens as k")
      .innerJoin("tenants as t", "t.id", "k.tenant_id")
      .selectAll("k")
      .select(["t.slug as tenant_slug", "t.created as tenant_created", "t.profile_version as tenant_profile_version"])
      .where("k.id", "=", id)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return { token: toTokenRecord(row), tenant: toTenant({ id: row.tenant_id, slug: row.tenant_slug, created: row.tenant_created, profile_version: row.tenant_profile_version }) };
  }

  async findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    const row = await this.db
      .selectFrom("tokens")
      .selectAll()
      .where("hash", "=", hash)
      .orderBy(sql`revoked is null`, "desc")
      .orderBy("created", "desc")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? undefined : toTokenRecord(row);
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    const result = await this.db.updateTable("tokens").set({ revoked: at }).where("id", "=", id).where("revoked", "is", null).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async touchToken(id: string, at: string): Promise<void> {
    await this.db.updateTable("tokens").set({ last_used: at }).where("id", "=", id).execute();
  }

  async insertApiKey(key: NewApiKey, created: string): Promise<ApiKeyRecord> {
    const row = { id: key.id, tenant_id: key.tenantId, name: key.name, hash: key.hash, created, revoked: null };
    await this.db.insertInto("api_keys").values(row).execute();
    return toApiKeyRecord(row);
  }

  async findActiveApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.selectFrom("api_keys").selectAll().where("hash", "=", hash).where("revoked", "is", null).executeTakeFirst();
    return row === undefined ? undefined : toApiKeyRecord(row);
  }

  async listApiKeys(): Promise<readonly ApiKeyRecord[]> {
    const rows = await this.db.selectFrom("api_keys").selectAll().orderBy("created").orderBy("id").execute();
    return rows.map(toApiKeyRecord);
  }

  async listApiKeysPage(query: { readonly after?: { readonly created: string; readonly id: string }; readonly limit: number }): Promise<readonly ApiKeyListing[]> {
    let select = this.db
      .selectFrom("api_keys")
      .leftJoin("tenants", "tenants.id", "api_keys.tenant_id")
      .selectAll("api_keys")
      .select("tenants.slug as tenant_slug");
    const after = query.after;
    if (after !== undefined) {
      select = select.where((eb) =>
        eb.or([eb("api_keys.created", ">", after.created), eb.and([eb("api_keys.created", "=", after.created), eb("api_keys.id", ">", after.id)])]),
      );
    }
    const rows = await select.orderBy("api_keys.created").orderBy("api_keys.id").limit(Math.max(0, Math.trunc(query.limit))).execute();
    return rows.map((row) => ({ ...toApiKeyRecord(row), tenantSlug: row.tenant_slug ?? null }));
  }

  async findApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    const row = await this.db.selectFrom("api_keys").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? undefined : toApiKeyRecord(row);
  }

  async revokeApiKey(id: string, at: string): Promise<boolean> {
    const result = await this.db.updateTable("api_keys").set({ revoked: at }).where("id", "=", id).where("revoked", "is", null).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async putList(tenantId: string, name: string, entries: readonly string[], at: string): Promise<void> {
    const row = { tenant_id: tenantId, name, entries: JSON.stringify(entries), updated: at };
    await this.db
      .insertInto("app_lists")
      .values(row)
      .onConflict((conflict) => conflict.columns(["tenant_id", "name"]).doUpdateSet({ entries: row.entries, updated: at }))
      .execute();
  }

  async findList(tenantId: string, name: string): Promise<readonly string[] | undefined> {
    const row = await this.db.selectFrom("app_lists").select("entries").where("tenant_id", "=", tenantId).where("name", "=", name).executeTakeFirst();
    return row === undefined ? undefined : (JSON.parse(row.entries) as string[]);
  }

  insertAuditEntry(entry: NewAuditEntry): Promise<void> {
    return insertAuditEntry(this.db, entry);
  }

  listAuditEntries(query: { readonly tenantId?: string; readonly before?: number; readonly limit: number }): Promise<readonly AuditEntry[]> {
    return listAuditEntries(this.db, query);
  }

  appendEvents(tenantId: string, events: readonly NewEvent[]): Promise<void> {
    return appendEvents(this.db, this.dialect, tenantId, events);
  }

  listEvents(tenantId: string, after: number, limit: number): Promise<readonly StoredEvent[]> {
    return listEvents(this.db, tenantId, after, limit);
  }

  eventBounds(tenantId: string): Promise<{ readonly last: number; readonly pruned: number }> {
    return eventBounds(this.db, tenantId);
  }

  eventSeqBefore(tenantId: string, at: string): Promise<number> {
    return eventSeqBefore(this.db, tenantId, at);
  }

  pruneEvents(tenantId: string, before: string): Promise<number> {
    return pruneEvents(this.db, tenantId, before);
  }

  insertWebhook(webhook: NewWebhook, created: string): Promise<WebhookRecord> {
    return insertWebhook(this.db, webhook, created);
  }

  findWebhook(id: string): Promise<WebhookRecord | undefined> {
    return findWebhook(this.db, id);
  }

  listWebhooks(tenantId: string): Promise<readonly WebhookRecord[]> {
    return listWebhooks(this.db, tenantId);
  }

  listWebhookSecrets(): Promise<readonly SealedWebhookSecret[]> {
    return listWebhookSecrets(this.db);
  }

  updateWebhook(id: string, changes: { readonly enabled: boolean; readonly cursorSeq?: number }, at: string): Promise<boolean> {
    return updateWebhook(this.db, id, changes, at);
  }

  deleteWebhook(id: string): Promise<boolean> {
    return deleteWebhook(this.db, id);
  }

  fanOutDeliveries(options: FanOutOptions): Promise<{ readonly webhooks: number; readonly deliveries: number }> {
    return fanOutDeliveries(this.db, this.dialect, options);
  }

  claimDeliveries(options: ClaimOptions): Promise<readonly ClaimedDelivery[]> {
    return claimDeliveries(this.db, this.dialect, options);
  }

  hasDeliveryWork(at: string): Promise<boolean> {
    return hasDeliveryWork(this.db, at);
  }

  recordDeliveryOutcome(outcome: DeliveryOutcome): Promise<boolean> {
    return recordDeliveryOutcome(this.db, outcome);
  }

  listDeliveries(webhookId: string, query: { readonly status?: DeliveryStatus; readonly limit: number; readonly before?: number }): Promise<readonly DeliveryRecord[]> {
    return listDeliveries(this.db, webhookId, query);
  }

  replayDeliveries(webhookId: string, after: number, at: string, matches: EventTypeMatcher, limit: number): Promise<ReplayOutcome> {
    return replayDeliveries(this.db, this.dialect, webhookId, after, at, matches, limit);
  }

  pruneDeliveries(tenantId: string, before: string): Promise<number> {
    return pruneDeliveries(this.db, tenantId, before);
  }

  async appendRequestLog(entries: readonly RequestLogEntry[]): Promise<void> {
    // Written a batch at a time off the request path (request-log.ts), in entry order, in
    // statements of a power-of-two number of rows (at most seven compiled shapes).
    for (const run of powerOfTwoRuns(entries, REQUEST_LOG_ROWS)) {
      const values = run.flatMap(toRequestLogValues);
      await INSERT_REQUEST_LOG.execute(this.db, this.dialect, values, run.length);
    }
  }

  /** Where the request log is (SQLite: its own file, attached; request-log-file.ts). */
  private get requestLog(): Kysely<Database> {
    const schema = this.dialect.requestLogSchema;
    return schema === undefined ? this.db : this.db.withSchema(schema);
  }

  async listRequestLog(tenantId: string, limit: number): Promise<readonly RequestLogEntry[]> {
    const rows = await this.requestLog
      .selectFrom("request_log")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .orderBy("seq", "desc")
      .limit(Math.max(0, Math.trunc(limit)))
      .execute();
    return rows.map(toRequestLogEntry);
  }

  queryRequestLog(tenantId: string, query: RequestLogQuery): Promise<RequestLogPage> {
    return queryRequestLog(this.requestLog, tenantId, query);
  }

  findRequestLogEntry(tenantId: string, requestId: string): Promise<LoggedRequest | undefined> {
    return findRequestLogEntry(this.requestLog, tenantId, requestId);
  }

  summarizeRequestLog(tenantId: string, since: string): Promise<RequestLogSummary> {
    return summarizeRequestLog(this.requestLog, tenantId, since);
  }

  countResources(tenantId: string): Promise<ResourceCounts> {
    return countResources(this.db, tenantId);
  }

  async countUnauthenticatedDropped(tenantId: string): Promise<number> {
    const row = await this.requestLog.selectFrom("request_log_dropped").select("unauthenticated").where("tenant_id", "=", tenantId).executeTakeFirst();
    return row === undefined ? 0 : Number(row.unauthenticated);
  }

  /**
   * Keeps the tenant's newest `keep.authenticated` authenticated and `keep.unauthenticated`
   * unauthenticated entries, each kind pruned apart (ADR 0029), and counts the unauthenticated
   * ones removed; returns how many were removed. Mirrors the log thread's writer (request-log-thread.ts).
   */
  async pruneRequestLog(tenantId: string, keep: RequestLogRetention): Promise<number> {
    const authenticated = await this.pruneRequestLogKind(tenantId, 1, keep.authenticated);
    const unauthenticated = await this.pruneRequestLogKind(tenantId, 0, keep.unauthenticated);
    if (unauthenticated > 0) {
      await this.requestLog
        .insertInto("request_log_dropped")
        .values({ tenant_id: tenantId, unauthenticated })
        .onConflict((conflict) => conflict.column("tenant_id").doUpdateSet({ unauthenticated: sql`request_log_dropped.unauthenticated + excluded.unauthenticated` }))
        .execute();
    }
    return authenticated + unauthenticated;
  }

  private async pruneRequestLogKind(tenantId: string, authenticated: 0 | 1, keep: number): Promise<number> {
    const boundary = await this.requestLog
      .selectFrom("request_log")
      .select("seq")
      .where("tenant_id", "=", tenantId)
      .where("authenticated", "=", authenticated)
      .orderBy("seq", "desc")
      .offset(Math.max(0, Math.trunc(keep)))
      .limit(1)
      .executeTakeFirst();
    if (boundary === undefined) return 0;
    const result = await this.requestLog
      .deleteFrom("request_log")
      .where("tenant_id", "=", tenantId)
      .where("authenticated", "=", authenticated)
      .where("seq", "<=", boundary.seq)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async insertResource(resource: StoredResource): Promise<void> {
    try {
      const row = toResourceRow(resource);
      await INSERT_RESOURCE.execute(this.db, this.dialect, RESOURCE_COLUMNS.map((column) => row[column]), 1);
    } catch (error) {
      throw this.userNameConflict(error, resource);
    }
    await this.insertEmails(resource);
  }

  async findResource(tenantId: string, kind: ResourceKind, id: string, options?: { lock?: boolean; withGroups?: GroupsScope }): Promise<StoredResource | undefined> {
    const groups = kind === "User" ? options?.withGroups : undefined;
    const key = `${String(options?.lock === true)} ${scopeKey(groups)}`;
    const query = RESOURCE_BY_ID.get(key);
    if (query === undefined) throw new Error(`no resource-by-id query for "${key}"`);
    const [row] = await query.execute(this.db, this.dialect, [tenantId, kind, id]);
    return row === undefined ? undefined : toStoredResource(row);
  }

  async updateResource(resource: StoredResource): Promise<void> {
    // Index entries are rewritten only where a value changes: an Okta profile update (a new
    // title) touches the row and the last_modified index, not the userName, externalId,
    // displayName and email indexes of a million-row table (docs/benchmarks.md).
    const row = toResourceRow(resource);
    const stored = await INDEXED_STATE.execute(this.db, this.dialect, [row.tenant_id, row.id]);
    const current = stored[0];
    // As the UPDATE would: nothing to change when no resource of that kind has the id.
    if (current === undefined || current.kind !== row.kind) return;
    const changed = INDEXED_COLUMNS.filter((column) => current[column] !== row[column]);
    const mask = INDEXED_COLUMNS.reduce((bits, column, bit) => (changed.includes(column) ? bits | (1 << bit) : bits), row.kind === "Group" ? 8 : 0);
    const values = [...UPDATED_COLUMNS.map((column) => row[column]), ...changed.map((column) => row[column]), row.tenant_id, row.id];
    try {
      await UPDATE_RESOURCE.execute(this.db, this.dialect, values, mask);
    } catch (error) {
      throw this.userNameConflict(error, resource);
    }
    const emails = toEmailRows(resource);
    const storedEmails = stored.filter((email) => email.position !== null);
    const same =
      emails.length === storedEmails.length &&
      emails.every((email) =>
        storedEmails.some(
          (old) => Number(old.position) === email.position && old.value_ci === email.value_ci && old.type === email.type && Number(old.is_primary) === email.is_primary,
        ),
      );
    if (same) return;
    await this.db.deleteFrom("resource_emails").where("tenant_id", "=", row.tenant_id).where("resource_id", "=", row.id).execute();
    await this.insertEmails(resource);
  }

  async linkResource(resource: StoredResource): Promise<void> {
    const { tenant_id, id, kind, created: _created, managed: _managed, ...changes } = toResourceRow(resource);
    try {
      await this.db
        .updateTable("resources")
        .set({ ...changes, managed: 1 })
        .where("tenant_id", "=", tenant_id)
        .where("kind", "=", kind)
        .where("id", "=", id)
        .execute();
    } catch (error) {
      throw this.userNameConflict(error, resource);
    }
    await this.db.deleteFrom("resource_emails").where("tenant_id", "=", tenant_id).where("resource_id", "=", id).execute();
    await this.insertEmails(resource);
  }

  async touchResource(tenantId: string, id: string, lastModified: string, version: number): Promise<void> {
    await TOUCH_RESOURCE.execute(this.db, this.dialect, [lastModified, version, tenantId, id]);
  }

  async deleteResource(tenantId: string, kind: ResourceKind, id: string): Promise<boolean> {
    // Email and membership rows on both sides go with it (ON DELETE CASCADE).
    const result = await this.db
      .deleteFrom("resources")
      .where("tenant_id", "=", tenantId)
      .where("kind", "=", kind)
      .where("id", "=", id)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async queryResources(tenantId: string, kind: ResourceKind, query: ResourceQuery): Promise<ResourcePage> {
    try {
      return await queryResources(this.db, this.dialect, tenantId, kind, query, this.memo);
    } catch (error) {
      // The filter budget keeps filters well inside both databases' limits; should one
      // still be refused, it is the client's filter that is too large, never a 500.
      if (query.filter !== undefined && this.dialect.isTooComplex(error)) {
        throw new StoreFilterError(`the database cannot evaluate a filter this large or deeply nested (${error instanceof Error ? error.message : String(error)})`, { cause: error });
      }
      throw error;
    }
  }

  async findResources(tenantId: string, ids: readonly string[]): Promise<ReadonlyMap<string, StoredResource>> {
    const found = new Map<string, StoredResource>();
    for (const run of powerOfTwoRuns([...new Set(ids)], IDS_RUN)) {
      for (const row of await RESOURCES_BY_IDS.execute(this.db, this.dialect, [tenantId, ...run], run.length)) found.set(row.id, toStoredResource(row));
    }
    return found;
  }

  async findKinds(tenantId: string, ids: readonly string[], options?: { readonly managed?: boolean }): Promise<ReadonlyMap<string, ResourceKind>> {
    const kinds = new Map<string, ResourceKind>();
    const query = KINDS_OF[options?.managed === undefined ? "any" : options.managed ? "managed" : "unmanaged"];
    for (const run of powerOfTwoRuns([...new Set(ids)], IDS_RUN)) {
      for (const row of await query.execute(this.db, this.dialect, [tenantId, ...run], run.length)) kinds.set(row.id, row.kind);
    }
    return kinds;
  }

  addMembers(tenantId: string, groupId: string, members: readonly MemberRef[]): Promise<readonly string[]> {
    return addMembers(this.db, this.dialect, tenantId, groupId, members);
  }

  removeMembers(tenantId: string, groupId: string, memberIds: readonly string[]): Promise<readonly string[]> {
    return removeMembers(this.db, this.dialect, tenantId, groupId, memberIds);
  }

  removeAllMembers(tenantId: string, groupId: string): Promise<number> {
    return removeAllMembers(this.db, tenantId, groupId);
  }

  listMembers(tenantId: string, groupId: string, filter?: ResolvedFilter): Promise<readonly Member[]> {
    return listMembers(this.db, this.dialect, tenantId, groupId, filter);
  }

  listMembersOfGroups(tenantId: string, groupIds: readonly string[]): Promise<ReadonlyMap<string, readonly Member[]>> {
    return listMembersOfGroups(this.db, tenantId, groupIds);
  }

  listGroupsOf(tenantId: string, memberIds: readonly string[], options?: { readonly managed?: boolean }): Promise<ReadonlyMap<string, readonly GroupRef[]>> {
    return listGroupsOf(this.db, this.dialect, tenantId, memberIds, options?.managed);
  }

  listMembersPage(tenantId: string, groupId: string, page: { readonly limit: number; readonly after?: string }): Promise<readonly Member[]> {
    return listMembersPage(this.db, tenantId, groupId, page);
  }

  private async insertEmails(resource: StoredResource): Promise<void> {
    // Runs of at most 256 rows (1,536 values): at most nine compiled shapes however many emails a user has.
    for (const run of powerOfTwoRuns(toEmailRows(resource), 256)) {
      await INSERT_EMAILS.execute(this.db, this.dialect, run.flatMap((row) => EMAIL_COLUMNS.map((column) => row[column])), run.length);
    }
  }

  private userNameConflict(error: unknown, resource: StoredResource): unknown {
    if (this.dialect.isUniqueViolation(error, USER_NAME_INDEX)) {
      const userName = resource.document["userName"];
      return new StoreConflictError("user.userName", `userName "${String(userName)}" is already taken in this tenant (compared ignoring case)`);
    }
    return error;
  }
}
