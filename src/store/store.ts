import type { ResolvedFilter, ResolvedPath } from "../scim/filter/ast.js";

/** Whether the store reads a filter path from a column of the resource row (the filter budget's "indexed"). */
export { isIndexedFilterPath } from "./sql/compile-filter.js";

export type ResourceKind = "User" | "Group";

/** A resource document as SCIM serialises it, without `id`, `meta`, `groups` or `members`. */
export type ScimDocument = Readonly<Record<string, unknown>>;

export interface Tenant {
  readonly id: string;
  readonly slug: string;
  readonly created: string;
  /** Grows by one on every profile change (0 or absent: never had a profile); compared against a process's cached profile. */
  readonly profileVersion?: number;
  /** A display name (the customer's company); absent when none was given. */
  readonly name?: string;
  /** False while its SCIM sync is switched off (every SCIM request refused, ADR 0031); absent means on. */
  readonly scimEnabled?: false;
}

/** What updateTenant changes; an absent field stays as it is (`name: null` removes the name). */
export interface TenantChanges {
  readonly name?: string | null;
  readonly scimEnabled?: boolean;
}

/** One page of tenants in slug order: those whose slug or name contains `q` (ignoring case), with slug after `after`. */
export interface TenantPageQuery {
  readonly q?: string;
  readonly after?: string;
  readonly limit: number;
}

/** A tenant's profile as stored: its YAML source (null when removed or never set) and version. */
export interface StoredProfile {
  readonly version: number;
  readonly source: string | null;
}

export interface TokenRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly created: string;
  readonly lastUsed: string | null;
  readonly revoked: string | null;
  /** The unmanaged user the token belongs to (it works only while that user is active); absent when none. */
  readonly principalId?: string;
  /** When the token stops working (ISO 8601, UTC); absent when it does not expire. */
  readonly expiresAt?: string;
}

/** Which of a tenant's tokens a page lists, and where it continues (newest first). */
export interface TokenPageQuery {
  /** true: revoked ones only; false: unrevoked ones only; absent: all. */
  readonly revoked?: boolean;
  /** The last token of the previous page: the page continues with older ones. */
  readonly after?: { readonly created: string; readonly id: string };
  readonly limit: number;
}

export interface NewToken {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  readonly hash: string;
  readonly principalId?: string;
  /** ISO 8601 (UTC); absent for a token that does not expire. */
  readonly expiresAt?: string;
}

/** A management API key; `tenantId` null for an administrator key (every tenant). */
export interface ApiKeyRecord {
  readonly id: string;
  readonly tenantId: string | null;
  readonly name: string;
  readonly created: string;
  readonly revoked: string | null;
}

/** A key as the management API lists it: with its tenant's slug (null for an administrator key). */
export interface ApiKeyListing extends ApiKeyRecord {
  readonly tenantSlug: string | null;
}

export interface NewApiKey {
  readonly id: string;
  readonly tenantId: string | null;
  readonly name: string;
  /** SHA-256 of the key, hex. The key itself is never stored. */
  readonly hash: string;
}

/** One control-plane change as stored (src/directory/audit.ts); `seq` orders the log. */
export interface AuditEntry {
  readonly seq: number;
  readonly id: string;
  /** Null for a change outside any tenant (an administrator key). */
  readonly tenantId: string | null;
  readonly tenantSlug: string | null;
  readonly at: string;
  /** `apikey:<id>` or `cli`. */
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  /** JSON text `{"before"?, "after"?}`; null when nothing more than the action is recorded. */
  readonly details: string | null;
}

export type NewAuditEntry = Omit<AuditEntry, "seq">;

export interface RequestLogEntry {
  readonly tenantId: string;
  readonly requestId: string;
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly durationMs: number;
  readonly scimType: string | null;
  readonly errorDetail: string | null;
  readonly userAgent: string | null;
  /** The request body with secrets removed, as JSON text; null when there was none. */
  readonly requestBody: string | null;
  /** What the request did other than asked (an update the tenant profile ignores); absent when nothing. */
  readonly notes?: readonly string[];
  /**
   * Answered without an authenticated tenant (a 401, or a refusal before authentication) and
   * logged under the tenant its URL names; absent for an authenticated request. Such entries
   * are kept under an allowance of their own (ADR 0029).
   */
  readonly unauthenticated?: true;
  /** The ids of the change events the request caused (every operation's, for /Bulk), in the order they were recorded; absent when none. */
  readonly eventIds?: readonly string[];
}

/** An entry as read back, with its position in the log (`seq`: higher is newer). */
export interface LoggedRequest extends RequestLogEntry {
  readonly seq: number;
}

/** A status filter of the request log: a class (4 for 4xx) or one exact status. */
export type RequestStatusFilter = { readonly kind: "class"; readonly value: number } | { readonly kind: "code"; readonly value: number };

/** What queryRequestLog reads (ADR 0032). */
export interface RequestLogQuery {
  readonly limit: number;
  /** Only entries with `seq` below this one (the position a page continues from). */
  readonly before?: number;
  readonly status?: RequestStatusFilter;
  /** Exact, as logged (upper case). */
  readonly method?: string;
  /** The logged path (query string included) starts with it, case-sensitively. */
  readonly pathPrefix?: string;
  /** ISO times, inclusive. */
  readonly since?: string;
  readonly until?: string;
  /**
   * The most entries one page examines for the filters no index serves (method, path, an exact
   * status): a page may then hold fewer than `limit` entries, with `next` to continue from.
   */
  readonly scanLimit: number;
}

export interface RequestLogPage {
  readonly entries: readonly LoggedRequest[];
  /** Where the next page starts (its `before`); undefined when nothing older can match. */
  readonly next: number | undefined;
}

/** What a tenant's status page shows of its request log (ADR 0032). */
export interface RequestLogSummary {
  readonly first: LoggedRequest | undefined;
  readonly last: LoggedRequest | undefined;
  /** Entries answered at or after `since`, by status class (2 for 2xx…); classes without any are absent. */
  readonly classCounts: ReadonlyMap<number, number>;
}

/** A tenant's resources counted by state: users (active or not, managed or not) and groups (managed or not). */
export interface ResourceCounts {
  readonly users: { readonly active: number; readonly inactive: number; readonly managed: number; readonly unmanaged: number };
  readonly groups: { readonly managed: number; readonly unmanaged: number };
}

/** How many entries of each kind the request log keeps per tenant, the newest (ADR 0029). */
export interface RequestLogRetention {
  readonly authenticated: number;
  readonly unauthenticated: number;
}

/** The one way the request log is written (Store.openRequestLogSink). */
export interface RequestLogSink {
  /**
   * Appends `entries` in order, then keeps the newest `keep.authenticated` authenticated and
   * `keep.unauthenticated` unauthenticated entries of each tenant in `prune`, counting the
   * unauthenticated ones removed (countUnauthenticatedDropped), in one transaction; resolves
   * once committed, in the order of the calls.
   */
  write(entries: readonly RequestLogEntry[], prune: readonly string[], keep: RequestLogRetention): Promise<void>;
  /** Waits for the writes under way, then stops; later writes reject. */
  close(): Promise<void>;
}

/** A change event to append (docs/events.md). `data` is the event as delivered, JSON text. */
export interface NewEvent {
  readonly id: string;
  readonly type: string;
  /** The resource the event is about: its events are delivered in order. */
  readonly resourceType: ResourceKind;
  readonly resourceId: string;
  readonly occurredAt: string;
  readonly data: string;
}

/** An event as read back; `seq` is its position in the tenant's feed (commit order). */
export interface StoredEvent extends NewEvent {
  readonly tenantId: string;
  readonly seq: number;
}

// Webhooks and their deliveries (docs/webhooks.md)

/** A webhook as listed; its secret stays in the store (sealed) and is read only to sign. */
export interface WebhookRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly url: string;
  /** Validated event type patterns (`user.*`, `group.member_added`, `*`). */
  readonly events: readonly string[];
  readonly enabled: boolean;
  /** The last event `seq` of the tenant turned into deliveries for this webhook. */
  readonly cursorSeq: number;
  readonly created: string;
  readonly updated: string;
}

export interface NewWebhook {
  readonly id: string;
  readonly tenantId: string;
  readonly url: string;
  readonly events: readonly string[];
  /** The signing secret, already encrypted (src/events/secret-box.ts). */
  readonly sealedSecret: string;
  /** Where fan-out starts: the tenant's last event `seq` at creation. */
  readonly cursorSeq: number;
}

/** A webhook's encrypted signing secret, for checking that the configured key opens it. */
export interface SealedWebhookSecret {
  readonly webhookId: string;
  readonly tenantId: string;
  readonly sealedSecret: string;
}

export type DeliveryStatus = "pending" | "succeeded" | "failed";

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ["pending", "succeeded", "failed"];

/** One event to send to one webhook, and how its attempts went. */
export interface DeliveryRecord {
  /** Position in the store, newest highest: the paging key of listDeliveries. */
  readonly seq: number;
  readonly id: string;
  readonly webhookId: string;
  readonly tenantId: string;
  readonly eventSeq: number;
  readonly eventId: string;
  readonly eventType: string;
  /** `<resource type>:<resource id>`: deliveries of one key go out one at a time, in event order. */
  readonly resourceKey: string;
  readonly status: DeliveryStatus;
  /** Attempts started so far (a claim counts one, even if its process died before the answer). */
  readonly attempts: number;
  /** When a pending delivery is due next. */
  readonly nextAttemptAt: string;
  /** While a process is sending it: until when its claim holds. */
  readonly leaseUntil: string | null;
  readonly lastAttemptAt: string | null;
  /** The receiver's HTTP status of the last attempt; null when it did not answer. */
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly created: string;
  readonly completed: string | null;
}

/** A delivery claimed for sending, with what sending needs. `event` is undefined when retention removed it. */
export interface ClaimedDelivery {
  readonly delivery: DeliveryRecord;
  readonly url: string;
  readonly sealedSecret: string;
  readonly event: { readonly id: string; readonly data: string } | undefined;
}

/** The outcome of one claimed attempt; `attempt` is the delivery's `attempts` as claimed (a stale claim changes nothing). */
export type DeliveryOutcome =
  | { readonly status: "succeeded"; readonly id: string; readonly attempt: number; readonly at: string; readonly httpStatus: number }
  | {
      readonly status: "pending";
      readonly id: string;
      readonly attempt: number;
      readonly at: string;
      readonly nextAttemptAt: string;
      readonly httpStatus: number | null;
      readonly error: string;
    }
  | { readonly status: "failed"; readonly id: string; readonly attempt: number; readonly at: string; readonly httpStatus: number | null; readonly error: string };

/** Decides whether an event of `type` goes to a webhook with these patterns (src/events/patterns.ts). */
export type EventTypeMatcher = (patterns: readonly string[], type: string) => boolean;

/**
 * What a replay did: `deliveries` made for the events after its `after` up to `through`
 * (`complete` false when the limit stopped it before the webhook's cursor), or refused because
 * `pending` replayed deliveries of the webhook have not been sent yet.
 */
export type ReplayOutcome =
  | { readonly ok: true; readonly deliveries: number; readonly through: number; readonly complete: boolean }
  | { readonly ok: false; readonly pending: number };

export interface FanOutOptions {
  /** Webhooks handled per call. */
  readonly webhooks: number;
  /** Events read per webhook per call. */
  readonly events: number;
  readonly at: string;
  readonly matches: EventTypeMatcher;
}

export interface ClaimOptions {
  readonly limit: number;
  readonly at: string;
  readonly leaseUntil: string;
}

/** One stored User or Group. `version` grows by one on every change, membership included. */
export interface StoredResource {
  readonly tenantId: string;
  readonly id: string;
  readonly kind: ResourceKind;
  readonly document: ScimDocument;
  readonly created: string;
  readonly lastModified: string;
  readonly version: number;
  /**
   * False for the application's own (unmanaged) resources, made through the management API;
   * true or absent for those created over SCIM. Fixed at insert: updateResource keeps it.
   */
  readonly managed?: boolean;
  /**
   * A user's direct groups in group id order, read with it in the same statement: present
   * only on a user read with `withGroups` (findResource, queryResources), or empty on a user
   * just created; never written.
   */
  readonly groups?: readonly GroupRef[];
}

/** Which of a user's groups a read returns with it: all, or only managed (true) or only unmanaged (false) ones. */
export interface GroupsScope {
  readonly managed?: boolean;
}

export interface MemberRef {
  readonly id: string;
  readonly kind: ResourceKind;
}

/** A member as read back: its id, kind and current display name (userName / displayName). */
export interface Member {
  readonly value: string;
  readonly type: ResourceKind;
  readonly display: string | null;
}

/** A group a user belongs to directly. */
export interface GroupRef {
  readonly value: string;
  readonly display: string | null;
  /**
   * False for a group the application created itself (unmanaged), as listGroupsOf reads it;
   * absent for the identity provider's groups, and on groups read with a user (withGroups),
   * which never decide roles.
   */
  readonly managed?: false;
}

export interface SortSpec {
  readonly path: ResolvedPath;
  readonly order: "ascending" | "descending";
}

/**
 * A page request: index paging (`startIndex`, 1-based) or cursor paging (RFC 9865,
 * `cursor` opaque as returned in `nextCursor`; "" asks for the first page).
 * `count` 0 asks for totals only.
 */
export interface ResourceQuery {
  readonly filter?: ResolvedFilter;
  readonly sort?: SortSpec;
  readonly count: number;
  readonly startIndex?: number;
  readonly cursor?: string;
  /** Only managed (true) or only unmanaged (false) resources; both when absent. */
  readonly managed?: boolean;
  /**
   * Users, with `managed` absent: leave out each unmanaged user whose userName a managed user
   * of the tenant also has, ignoring case (docs/decisions/0023): a lookup by userName then
   * finds one user, never two.
   */
  readonly hideShadowed?: boolean;
  /**
   * Users only: read each user's groups with the page (StoredResource.groups), except on an
   * index page read past an OFFSET, where they are left absent (PostgreSQL would run the
   * groups subquery for every skipped row): callers read absent groups themselves.
   */
  readonly withGroups?: GroupsScope;
}

export interface ResourcePage {
  readonly totalResults: number;
  readonly resources: readonly StoredResource[];
  /** Cursor paging only: the cursor of the next page, absent on the last page. */
  readonly nextCursor?: string;
}

/** Raised by the store when a unique constraint (tenant slug, userName) refuses a write. */
export class StoreConflictError extends Error {
  constructor(readonly constraint: "tenant.slug" | "user.userName", message: string) {
    super(message);
    this.name = "StoreConflictError";
  }
}

/** Raised by the store when a cursor cannot be decoded or no longer matches the query. */
export class StoreCursorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreCursorError";
  }
}

/** Raised by the store when the database cannot be reached. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}

/**
 * A write lost a race with a concurrent change of what it depends on: its tenant deleted
 * (a foreign key refused the row) or a deadlock with that deletion. Answered like
 * unavailability (503, retry): the retry gets a definite answer (401 once the tenant is gone).
 */
export class StoreContentionError extends StoreUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreContentionError";
  }
}

/** A statement ran past the statement timeout (PostgreSQL's `statement_timeout`) and was cancelled; answered like unavailability (503). */
export class StoreTimeoutError extends StoreUnavailableError {
  constructor(
    readonly timeoutMs: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(`the query ran longer than the statement timeout${timeoutMs === undefined ? "" : ` (${timeoutMs} ms)`} and was cancelled`, options);
    this.name = "StoreTimeoutError";
  }
}

/** The database refused a filter's SQL as too large or too deep (SQLite's expression depth, PostgreSQL's stack depth): the client's filter, not the server, is at fault. */
export class StoreFilterError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreFilterError";
  }
}

/**
 * Persistence behind one interface. Every method of `StoreSession` runs inside the
 * transaction that `Store.transaction` opened; nothing is visible to others before it
 * commits, and a thrown error rolls everything back.
 */
export interface Store {
  readonly dialect: "sqlite" | "postgres";
  /** Brings the schema up to date; safe to call from several processes at once. */
  migrate(): Promise<void>;
  /** Resolves when the database answers a trivial query; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  /**
   * A value that changes whenever anyone (this process or another) commits to the database,
   * read at once without a query round trip; undefined when the store cannot tell cheaply
   * (PostgreSQL, an in-memory SQLite database). A read made after it may be reused for as
   * long as it returns the same value.
   */
  changeVersion(): string | undefined;
  /**
   * Opens a writer of the request log, which its caller closes before the store. On a SQLite
   * file a thread writes it on a connection of its own to the log's file (ADR 0017), so a
   * directory write never waits for it; elsewhere it is written in the store's transactions.
   */
  openRequestLogSink(): RequestLogSink;
  /**
   * Removes a deleted tenant's request log where deleteTenant cannot (a SQLite file keeps the
   * log in a file of its own, ADR 0017); nothing to do elsewhere. Call it after the deletion commits.
   */
  purgeRequestLog(tenantId: string): Promise<void>;
  close(): Promise<void>;
  /** Runs `fn` in one transaction (serialisable enough that unique checks and membership rows cannot race). */
  transaction<T>(fn: (session: StoreSession) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` for reads only, without a write lock or BEGIN/COMMIT: each statement sees what
   * was committed when it ran (within a PostgreSQL READ COMMITTED transaction each statement
   * does too). For the request paths that only read: a token lookup, GET, list and search.
   */
  read<T>(fn: (session: ReadSession) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` over one consistent snapshot of committed data (every statement sees the same
   * state), blocking no writer. With `long`, it holds a connection of its own for as long
   * as `fn` runs (SQLite: one opened for it), for reads that wait on a client between
   * statements (a large group's members written out as the client takes them); without, it
   * shares the read connection and must not wait on anything but the database.
   */
  snapshot<T>(fn: (session: ReadSession) => Promise<T>, options?: { readonly long?: boolean }): Promise<T>;
}

/** What a read-only path may ask of the store (`Store.read`); every StoreSession is one. */
export type ReadSession = Pick<
  StoreSession,
  | "findTenantBySlug"
  | "findTenantById"
  | "listTenants"
  | "listTenantsPage"
  | "findTenantProfile"
  | "findTenantProfileVersion"
  | "findActiveToken"
  | "listTokens"
  | "listTokensPage"
  | "findToken"
  | "findTokenByHash"
  | "listRequestLog"
  | "queryRequestLog"
  | "findRequestLogEntry"
  | "summarizeRequestLog"
  | "countResources"
  | "countUnauthenticatedDropped"
  | "listAuditEntries"
  | "findActiveApiKey"
  | "listApiKeys"
  | "listApiKeysPage"
  | "findApiKey"
  | "findList"
  | "listEvents"
  | "eventBounds"
  | "eventSeqBefore"
  | "queryResources"
  | "findKinds"
  | "findResources"
  | "listMembers"
  | "listMembersOfGroups"
  | "listGroupsOf"
  | "listMembersPage"
  | "findWebhook"
  | "listWebhooks"
  | "listWebhookSecrets"
  | "listDeliveries"
  | "hasDeliveryWork"
> & {
  /** Undefined when missing (no row lock: nothing is written after it); `withGroups` reads a user's groups with it. */
  findResource(tenantId: string, kind: ResourceKind, id: string, options?: { withGroups?: GroupsScope }): Promise<StoredResource | undefined>;
};

export interface StoreSession {
  // Tenants
  /** Throws StoreConflictError("tenant.slug") when the slug is taken. */
  createTenant(tenant: Tenant): Promise<Tenant>;
  /** Undefined when no tenant has that slug. */
  findTenantBySlug(slug: string): Promise<Tenant | undefined>;
  /** Undefined when no tenant has that id. */
  findTenantById(id: string): Promise<Tenant | undefined>;
  listTenants(): Promise<readonly Tenant[]>;
  /** Up to `limit` tenants in slug order (TenantPageQuery). */
  listTenantsPage(query: TenantPageQuery): Promise<readonly Tenant[]>;
  /** Sets the name and SCIM switch given; returns the tenant as changed, undefined when missing. */
  updateTenant(tenantId: string, changes: TenantChanges): Promise<Tenant | undefined>;
  /**
   * Removes the tenant and everything it owns (resources, memberships, tokens, API keys,
   * lists, events, webhooks and deliveries; on PostgreSQL its request log too; on SQLite the
   * log's own file is purged afterwards, Store.purgeRequestLog). False when missing.
   */
  deleteTenant(tenantId: string): Promise<boolean>;
  /** Replaces the tenant's profile source (null removes it) and increments its version; returns the new version. Undefined when the tenant is missing. */
  setTenantProfile(tenantId: string, source: string | null): Promise<number | undefined>;
  /** Undefined when the tenant is missing. */
  findTenantProfile(tenantId: string): Promise<StoredProfile | undefined>;
  /** The version findTenantProfile would answer with, without the source (one indexed read); undefined when the tenant is missing. */
  findTenantProfileVersion(tenantId: string): Promise<number | undefined>;

  // Tokens
  insertToken(token: NewToken, created: string): Promise<TokenRecord>;
  /** The unrevoked token with that hash and its tenant; undefined otherwise. */
  findActiveToken(hash: string): Promise<{ readonly token: TokenRecord; readonly tenant: Tenant } | undefined>;
  listTokens(tenantId: string): Promise<readonly TokenRecord[]>;
  /** A page of the tenant's tokens, newest first (created, then id, descending). */
  listTokensPage(tenantId: string, query: TokenPageQuery): Promise<readonly TokenRecord[]>;
  /** The token with that id, revoked or not, and its tenant; undefined when none has it. */
  findToken(id: string): Promise<{ readonly token: TokenRecord; readonly tenant: Tenant } | undefined>;
  /**
   * The token with that hash whatever its state (revoked, its principal gone): an unrevoked
   * one before a revoked one, the newest first. For saying why a token was refused, never for
   * accepting one.
   */
  findTokenByHash(hash: string): Promise<TokenRecord | undefined>;
  /** False when no unrevoked token has that id. */
  revokeToken(id: string, at: string): Promise<boolean>;
  touchToken(id: string, at: string): Promise<void>;

  // API keys (management API)
  insertApiKey(key: NewApiKey, created: string): Promise<ApiKeyRecord>;
  /** The unrevoked key with that hash; undefined otherwise. */
  findActiveApiKey(hash: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, administrator keys included, oldest first. */
  listApiKeys(): Promise<readonly ApiKeyRecord[]>;
  /** Up to `limit` keys oldest first (creation time, then id), after the key `after` names; each with its tenant's slug (null for an administrator key). */
  listApiKeysPage(query: { readonly after?: { readonly created: string; readonly id: string }; readonly limit: number }): Promise<readonly ApiKeyListing[]>;
  /** Undefined when no key has that id. */
  findApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** False when no unrevoked key has that id. */
  revokeApiKey(id: string, at: string): Promise<boolean>;

  // Named lists of the application (roles, record sets…)
  /** Replaces the list's entries (creating the list). */
  putList(tenantId: string, name: string, entries: readonly string[], at: string): Promise<void>;
  /** Undefined when the list was never put. */
  findList(tenantId: string, name: string): Promise<readonly string[] | undefined>;

  // Request log (written through Store.openRequestLogSink)
  /**
   * Newest first. Read it through Store.read or snapshot: on a SQLite file the write
   * connection has the log's file attached only while migrating (ADR 0017).
   */
  listRequestLog(tenantId: string, limit: number): Promise<readonly RequestLogEntry[]>;
  /** A page of the tenant's entries matching the query, newest first (ADR 0032). Read it as listRequestLog. */
  queryRequestLog(tenantId: string, query: RequestLogQuery): Promise<RequestLogPage>;
  /** The tenant's newest entry with that request id; undefined when it has none. Read it as listRequestLog. */
  findRequestLogEntry(tenantId: string, requestId: string): Promise<LoggedRequest | undefined>;
  /** The tenant's oldest and newest entries and the counts by status class of those answered at or after `since`. Read it as listRequestLog. */
  summarizeRequestLog(tenantId: string, since: string): Promise<RequestLogSummary>;
  /** The tenant's users and groups counted by state, in SQL (no row is loaded). */
  countResources(tenantId: string): Promise<ResourceCounts>;
  /** How many of the tenant's unauthenticated entries were removed past their allowance since it was created (ADR 0029); 0 when none. Read it as listRequestLog. */
  countUnauthenticatedDropped(tenantId: string): Promise<number>;

  // Audit log of control-plane changes (src/directory/audit.ts)
  /** Appends one entry; call it in the transaction of the change it records. */
  insertAuditEntry(entry: NewAuditEntry): Promise<void>;
  /** Newest first: every entry, or one tenant's (`tenantId`), with `seq` below `before` when given. */
  listAuditEntries(query: { readonly tenantId?: string; readonly before?: number; readonly limit: number }): Promise<readonly AuditEntry[]>;

  // Change events (docs/decisions/0010-change-events.md)
  /** Appends the events in order after every other event of the tenant; call it last in a writing transaction (it serialises the tenant's event writers until commit). */
  appendEvents(tenantId: string, events: readonly NewEvent[]): Promise<void>;
  /** Up to `limit` events of the tenant with `seq` above `after`, in feed order. */
  listEvents(tenantId: string, after: number, limit: number): Promise<readonly StoredEvent[]>;
  /** The tenant's newest event `seq` (0 when none) and the highest `seq` retention removed (0 when none). */
  eventBounds(tenantId: string): Promise<{ readonly last: number; readonly pruned: number }>;
  /** The `seq` just before the tenant's first event that occurred at or after `at` (for "since a time"). */
  eventSeqBefore(tenantId: string, at: string): Promise<number>;
  /** Removes the tenant's events that occurred before `before` and raises the pruned mark; returns how many. */
  pruneEvents(tenantId: string, before: string): Promise<number>;

  // Webhooks and deliveries (docs/webhooks.md)
  insertWebhook(webhook: NewWebhook, created: string): Promise<WebhookRecord>;
  /** Undefined when missing. */
  findWebhook(id: string): Promise<WebhookRecord | undefined>;
  /** The tenant's webhooks, oldest first. */
  listWebhooks(tenantId: string): Promise<readonly WebhookRecord[]>;
  /** Every webhook's sealed secret, all tenants. */
  listWebhookSecrets(): Promise<readonly SealedWebhookSecret[]>;
  /** Sets `enabled` (and the cursor, when given); false when the webhook is missing. */
  updateWebhook(id: string, changes: { readonly enabled: boolean; readonly cursorSeq?: number }, at: string): Promise<boolean>;
  /** Removes the webhook and its deliveries; false when missing. */
  deleteWebhook(id: string): Promise<boolean>;
  /**
   * For up to `options.webhooks` enabled webhooks whose tenant has events after their cursor —
   * skipping, without waiting, any another transaction is fanning out — inserts a pending
   * delivery (due at once) for each of up to `options.events` events after the cursor that
   * `matches` the webhook's patterns, and moves the cursor past every event read. Returns how
   * many webhooks advanced (0: nothing left to fan out) and how many deliveries were made.
   */
  fanOutDeliveries(options: FanOutOptions): Promise<{ readonly webhooks: number; readonly deliveries: number }>;
  /**
   * Claims up to `limit` pending deliveries of enabled webhooks that are due at `at`, not
   * leased (or whose lease expired), and not behind an earlier pending delivery of the same
   * webhook and resource key; skips, without waiting, rows another transaction holds. Each
   * claimed delivery gets `lease_until`, one more attempt and `lastAttemptAt`.
   */
  claimDeliveries(options: ClaimOptions): Promise<readonly ClaimedDelivery[]>;
  /** Whether fanOutDeliveries or claimDeliveries at `at` would find anything: a cheap read to skip their write transactions. */
  hasDeliveryWork(at: string): Promise<boolean>;
  /** Records an attempt's outcome and ends the lease; false (nothing changed) when the claim is stale or the delivery gone. */
  recordDeliveryOutcome(outcome: DeliveryOutcome): Promise<boolean>;
  /** The webhook's deliveries, newest first, with `seq` below `before` when given, of one status when given. */
  listDeliveries(webhookId: string, query: { readonly status?: DeliveryStatus; readonly limit: number; readonly before?: number }): Promise<readonly DeliveryRecord[]>;
  /**
   * New pending deliveries (due at once), marked as replayed, for the webhook's events with
   * `seq` above `after` and up to its cursor that `matches` its patterns, at most `limit` of
   * them. Refused (`ok: false`) while replayed deliveries of the webhook are still pending,
   * checked under the webhook's row lock so that two replays cannot both pass. A missing
   * webhook makes no deliveries.
   */
  replayDeliveries(webhookId: string, after: number, at: string, matches: EventTypeMatcher, limit: number): Promise<ReplayOutcome>;
  /** Removes the tenant's succeeded and failed deliveries completed before `before` (never a pending one); returns how many. */
  pruneDeliveries(tenantId: string, before: string): Promise<number>;

  // Resources
  /** Throws StoreConflictError("user.userName") when a user of the tenant has the same userName, ignoring case. */
  insertResource(resource: StoredResource): Promise<void>;
  /**
   * Undefined when missing. `lock` takes a row lock (PostgreSQL) until the transaction ends;
   * `withGroups` reads a user's groups with it (StoredResource.groups).
   */
  findResource(tenantId: string, kind: ResourceKind, id: string, options?: { lock?: boolean; withGroups?: GroupsScope }): Promise<StoredResource | undefined>;
  /** Replaces document, lastModified and version; throws StoreConflictError like insertResource. */
  updateResource(resource: StoredResource): Promise<void>;
  /** Makes an unmanaged resource managed (an IdP account linked to it) and replaces its document like updateResource; throws StoreConflictError like insertResource. */
  linkResource(resource: StoredResource): Promise<void>;
  /** Sets lastModified and version only (a membership change). */
  touchResource(tenantId: string, id: string, lastModified: string, version: number): Promise<void>;
  /** Removes the resource and every membership row that names it. False when missing. */
  deleteResource(tenantId: string, kind: ResourceKind, id: string): Promise<boolean>;
  /** Filter, sort and page in SQL. Throws StoreCursorError for a bad cursor. */
  queryResources(tenantId: string, kind: ResourceKind, query: ResourceQuery): Promise<ResourcePage>;
  /** Of the given ids (Users and Groups alike), the resources that exist in the tenant, by id; one query per 500 ids. */
  findResources(tenantId: string, ids: readonly string[]): Promise<ReadonlyMap<string, StoredResource>>;
  /** Of the given ids, those that exist in the tenant (and have the given `managed` flag, when given), with their kind. */
  findKinds(tenantId: string, ids: readonly string[], options?: { readonly managed?: boolean }): Promise<ReadonlyMap<string, ResourceKind>>;

  // Memberships: one row per (group, member); cost proportional to the change.
  /** Inserts the rows that are missing; returns the ids actually added. */
  addMembers(tenantId: string, groupId: string, members: readonly MemberRef[]): Promise<readonly string[]>;
  /** Deletes the given rows; returns the ids actually removed. */
  removeMembers(tenantId: string, groupId: string, memberIds: readonly string[]): Promise<readonly string[]>;
  /** Deletes every row of the group; returns how many. */
  removeAllMembers(tenantId: string, groupId: string): Promise<number>;
  /**
   * Members of the group matching a filter over the member sub-attributes
   * (`value`, `type`, `display`), or all of them without a filter.
   */
  listMembers(tenantId: string, groupId: string, filter?: ResolvedFilter): Promise<readonly Member[]>;
  /** For each group id, its members. */
  listMembersOfGroups(tenantId: string, groupIds: readonly string[]): Promise<ReadonlyMap<string, readonly Member[]>>;
  /** For each user (or group) id, the groups it belongs to directly (only those with the given `managed` flag, when given). */
  listGroupsOf(
    tenantId: string,
    memberIds: readonly string[],
    options?: { readonly managed?: boolean },
  ): Promise<ReadonlyMap<string, readonly GroupRef[]>>;
  /** Up to `limit` members of the group ordered by id, starting after the id `after` (keyset paging). */
  listMembersPage(tenantId: string, groupId: string, page: { readonly limit: number; readonly after?: string }): Promise<readonly Member[]>;
}
