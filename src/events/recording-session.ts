import type { ResolvedFilter } from "../scim/filter/ast.js";
import { ROLES_LIST } from "../directory/lists.js";
import type { TenantProfile } from "../directory/profiles.js";
import type {
  AuditEntry,
  NewAuditEntry,
  ApiKeyRecord,
  ApiKeyListing,
  ClaimedDelivery,
  ClaimOptions,
  DeliveryOutcome,
  ReplayOutcome,
  DeliveryRecord,
  DeliveryStatus,
  EventTypeMatcher,
  FanOutOptions,
  NewWebhook,
  SealedWebhookSecret,
  WebhookRecord,
  GroupRef,
  GroupsScope,
  Member,
  MemberRef,
  NewApiKey,
  NewEvent,
  NewToken,
  LoggedRequest,
  RequestLogEntry,
  RequestLogPage,
  RequestLogQuery,
  RequestLogSummary,
  ResourceCounts,
  ResourceKind,
  ResourcePage,
  ResourceQuery,
  StoredEvent,
  StoredProfile,
  StoredResource,
  StoreSession,
  Tenant,
  TokenPageQuery,
  TenantChanges,
  TenantPageQuery,
  TokenRecord,
} from "../store/store.js";
import { groupGrantsRole } from "./roles.js";
import type { TenantViews } from "./tenant-views.js";
import { emptyNotes, forgetMemberships, noteAdded, noteRemoved, type ResourceNote, type TenantNotes } from "./transaction-notes.js";

/**
 * The session a use case gets from the recording store (docs/decisions/0010-change-events.md).
 * Every mutation of resources, memberships and the roles list goes to the real session and is
 * noted with the state before it — taken from what the transaction already read when it can,
 * read once more when it cannot. Everything else passes through untouched. A method added to
 * StoreSession must be added here, recorded or passed through: the class stops compiling until then.
 */
export class RecordingSession implements StoreSession {
  /** Notes per tenant, in the order the tenants were first changed. */
  readonly notes = new Map<string, TenantNotes>();
  /**
   * Resources as this transaction read or wrote them (tenant id, NUL, resource id): the state
   * before a change when no note holds one yet, and what events show of a resource they name.
   */
  private readonly read = new Map<string, StoredResource>();
  /** Members as this transaction listed them (tenant id, NUL, member id): what a removal's event shows of them. */
  private readonly listed = new Map<string, Member>();
  /** Each tenant's profile as this transaction read it. */
  private readonly profiles = new Map<string, Promise<TenantProfile>>();
  /** Lists this transaction read or wrote (tenant id, NUL, list name). */
  readonly lists = new Map<string, readonly string[] | undefined>();

  constructor(
    readonly inner: StoreSession,
    private readonly views: TenantViews,
  ) {}

  /** A resource as this transaction last read or wrote it; undefined when it did not (or deleted it). */
  known(tenantId: string, id: string): StoredResource | undefined {
    return this.read.get(`${tenantId}\u0000${id}`);
  }

  private remember(resource: StoredResource): void {
    this.read.set(`${resource.tenantId}\u0000${resource.id}`, resource);
  }

  private notesOf(tenantId: string): TenantNotes {
    let notes = this.notes.get(tenantId);
    if (notes === undefined) {
      notes = emptyNotes();
      this.notes.set(tenantId, notes);
    }
    return notes;
  }

  /** The resource as it was before this transaction changed it; undefined when it does not exist. */
  private async stateBefore(tenantId: string, id: string, kind?: ResourceKind): Promise<StoredResource | undefined> {
    const read = this.read.get(`${tenantId}\u0000${id}`);
    if (read !== undefined) return read;
    if (kind !== undefined) return this.inner.findResource(tenantId, kind, id);
    return (await this.inner.findResources(tenantId, [id])).get(id);
  }

  /** The note of a resource about to change, made with its state before unless one exists; undefined when it does not exist. */
  private async noteOf(tenantId: string, id: string, kind?: ResourceKind): Promise<ResourceNote | undefined> {
    const notes = this.notesOf(tenantId);
    const existing = notes.resources.get(id);
    if (existing !== undefined) return existing;
    const before = await this.stateBefore(tenantId, id, kind);
    if (before === undefined) return undefined;
    return { kind: before.kind, before, after: before };
  }

  private keep(tenantId: string, note: ResourceNote): void {
    const id = (note.after ?? note.before)?.id;
    if (id === undefined) return;
    this.notesOf(tenantId).resources.set(id, note);
    if (note.after === null) this.read.delete(`${tenantId}\u0000${id}`);
    else this.remember(note.after);
  }

  // Recorded: resources.

  async insertResource(resource: StoredResource): Promise<void> {
    await this.inner.insertResource(resource);
    this.keep(resource.tenantId, { kind: resource.kind, before: null, after: resource });
  }

  async findResource(tenantId: string, kind: ResourceKind, id: string, options?: { lock?: boolean; withGroups?: GroupsScope }): Promise<StoredResource | undefined> {
    const resource = await this.inner.findResource(tenantId, kind, id, options);
    if (resource !== undefined && this.notes.get(tenantId)?.resources.has(id) !== true) {
      // Remembered as stored: the groups read with it are not part of the resource's snapshot.
      const { groups: _groups, ...stored } = resource;
      this.remember(stored);
    }
    return resource;
  }

  /**
   * As the store's findKinds, answered by reading the resources themselves (one query, as
   * findKinds makes): the members a write names are what its membership events show.
   */
  async findKinds(tenantId: string, ids: readonly string[], options?: { readonly managed?: boolean }): Promise<ReadonlyMap<string, ResourceKind>> {
    const unique = [...new Set(ids)];
    const missing = unique.filter((id) => this.known(tenantId, id) === undefined);
    if (missing.length > 0) for (const resource of (await this.inner.findResources(tenantId, missing)).values()) this.remember(resource);
    const kinds = new Map<string, ResourceKind>();
    for (const id of unique) {
      const resource = this.known(tenantId, id);
      if (resource !== undefined && (options?.managed === undefined || (resource.managed !== false) === options.managed)) kinds.set(id, resource.kind);
    }
    return kinds;
  }

  async updateResource(resource: StoredResource): Promise<void> {
    const note = await this.noteOf(resource.tenantId, resource.id, resource.kind);
    await this.inner.updateResource(resource);
    if (note === undefined) return;
    note.after = { ...resource, ...(note.after?.managed === false ? { managed: false } : {}) };
    this.keep(resource.tenantId, note);
  }

  async linkResource(resource: StoredResource): Promise<void> {
    const note = await this.noteOf(resource.tenantId, resource.id, resource.kind);
    await this.inner.linkResource(resource);
    if (note === undefined) return;
    const { managed: _managed, ...linked } = resource;
    note.after = linked;
    this.keep(resource.tenantId, note);
  }

  async touchResource(tenantId: string, id: string, lastModified: string, version: number): Promise<void> {
    const note = await this.noteOf(tenantId, id);
    await this.inner.touchResource(tenantId, id, lastModified, version);
    if (note?.after === null || note?.after === undefined) return;
    note.after = { ...note.after, lastModified, version };
    this.keep(tenantId, note);
  }

  async deleteResource(tenantId: string, kind: ResourceKind, id: string): Promise<boolean> {
    const note = await this.noteOf(tenantId, id, kind);
    const current = note?.after;
    if (note !== undefined && current !== null && current !== undefined) {
      if (kind === "User") {
        note.groupsBeforeDelete = (await this.inner.listGroupsOf(tenantId, [id])).get(id) ?? [];
      } else if (await this.grantsRole(tenantId, current)) {
        note.membersBeforeDelete = await this.membersBeforeTransaction(tenantId, id);
      }
    }
    const deleted = await this.inner.deleteResource(tenantId, kind, id);
    if (!deleted || note === undefined) return deleted;
    const notes = this.notesOf(tenantId);
    forgetMemberships(notes, id);
    if (note.before === null) {
      notes.resources.delete(id);
      this.read.delete(`${tenantId}\u0000${id}`);
      return deleted;
    }
    note.after = null;
    this.keep(tenantId, note);
    return deleted;
  }

  /** Whether the group's name grants a role under the tenant's profile (only then do its members matter to roles). */
  private async grantsRole(tenantId: string, group: StoredResource): Promise<boolean> {
    const profile = await this.profileOf(tenantId);
    const fromGroups = profile.roles.fromGroups;
    if (fromGroups === undefined) return false;
    const declared = fromGroups.matchDeclaredRoles ? ((await this.findList(tenantId, ROLES_LIST)) ?? []) : [];
    const name = group.document["displayName"];
    const before = this.notes.get(tenantId)?.rolesListBefore;
    return typeof name === "string" && (groupGrantsRole(fromGroups, declared, name) || (before !== undefined && groupGrantsRole(fromGroups, before, name)));
  }

  /** The group's members as they were when the transaction began: those now, less those it added, plus those it removed. */
  private async membersBeforeTransaction(tenantId: string, groupId: string): Promise<Member[]> {
    const now = await this.inner.listMembers(tenantId, groupId);
    const note = this.notes.get(tenantId)?.memberships.get(groupId);
    if (note === undefined) return [...now];
    const kept = now.filter((member) => !note.added.has(member.value));
    const removed = [...note.removed].map(([value, member]): Member => member ?? { value, type: "User", display: null });
    return [...kept, ...removed];
  }

  // Recorded: memberships.

  async addMembers(tenantId: string, groupId: string, members: readonly MemberRef[]): Promise<readonly string[]> {
    const added = await this.inner.addMembers(tenantId, groupId, members);
    if (added.length === 0) return added;
    // In the order the use case gave them (the order of the request), whatever order the database answered in.
    const inserted = new Set(added);
    const notes = this.notesOf(tenantId);
    for (const member of members) if (inserted.delete(member.id)) noteAdded(notes, groupId, member.id, member.kind);
    return added;
  }

  async removeMembers(tenantId: string, groupId: string, memberIds: readonly string[]): Promise<readonly string[]> {
    const removed = await this.inner.removeMembers(tenantId, groupId, memberIds);
    const deleted = new Set(removed);
    const notes = this.notesOf(tenantId);
    for (const id of memberIds) if (deleted.delete(id)) noteRemoved(notes, groupId, id, this.listed.get(`${tenantId}\u0000${id}`));
    return removed;
  }

  async removeAllMembers(tenantId: string, groupId: string): Promise<number> {
    // Which members leave is part of the event; removing them all costs as much anyway.
    const members = await this.inner.listMembers(tenantId, groupId);
    const count = await this.inner.removeAllMembers(tenantId, groupId);
    const notes = this.notesOf(tenantId);
    for (const member of members) noteRemoved(notes, groupId, member.value, member);
    return count;
  }

  /** As the store's; the members it returns are remembered, for the events of their removal (a PATCH removes by filter after listing). */
  async listMembers(tenantId: string, groupId: string, filter?: ResolvedFilter): Promise<readonly Member[]> {
    const members = await this.inner.listMembers(tenantId, groupId, filter);
    for (const member of members) this.listed.set(`${tenantId}\u0000${member.value}`, member);
    return members;
  }

  // Recorded: the roles list (group names matching declared roles grant them).

  async putList(tenantId: string, name: string, entries: readonly string[], at: string): Promise<void> {
    if (name === ROLES_LIST) {
      const before = await this.findList(tenantId, name);
      const notes = this.notesOf(tenantId);
      if (notes.rolesListBefore === undefined) notes.rolesListBefore = before ?? [];
    }
    await this.inner.putList(tenantId, name, entries, at);
    this.lists.set(`${tenantId}\u0000${name}`, entries);
  }

  async findList(tenantId: string, name: string): Promise<readonly string[] | undefined> {
    const key = `${tenantId}\u0000${name}`;
    if (this.lists.has(key)) return this.lists.get(key);
    const entries = await this.inner.findList(tenantId, name);
    this.lists.set(key, entries);
    return entries;
  }

  // Observed: tenants as read (their slug and profile version).

  async createTenant(tenant: Tenant): Promise<Tenant> {
    const created = await this.inner.createTenant(tenant);
    this.views.observe(created);
    return created;
  }

  async findTenantBySlug(slug: string): Promise<Tenant | undefined> {
    const tenant = await this.inner.findTenantBySlug(slug);
    if (tenant !== undefined) this.views.observe(tenant);
    return tenant;
  }

  async findTenantById(id: string): Promise<Tenant | undefined> {
    const tenant = await this.inner.findTenantById(id);
    if (tenant !== undefined) this.views.observe(tenant);
    return tenant;
  }

  async listTenants(): Promise<readonly Tenant[]> {
    const tenants = await this.inner.listTenants();
    for (const tenant of tenants) this.views.observe(tenant);
    return tenants;
  }

  async listTenantsPage(query: TenantPageQuery): Promise<readonly Tenant[]> {
    const tenants = await this.inner.listTenantsPage(query);
    for (const tenant of tenants) this.views.observe(tenant);
    return tenants;
  }

  updateTenant(tenantId: string, changes: TenantChanges): Promise<Tenant | undefined> {
    return this.inner.updateTenant(tenantId, changes);
  }

  /** Nothing of the tenant is left to record events for: what this transaction noted of it is dropped. */
  async deleteTenant(tenantId: string): Promise<boolean> {
    const deleted = await this.inner.deleteTenant(tenantId);
    this.notes.delete(tenantId);
    return deleted;
  }

  /**
   * Recorded: the profile before the change is noted (once per transaction), so that the
   * events of the change say whose roles it granted or revoked (build-events.ts).
   */
  async setTenantProfile(tenantId: string, source: string | null): Promise<number | undefined> {
    const before = await this.profileOf(tenantId);
    const version = await this.inner.setTenantProfile(tenantId, source);
    if (version === undefined) return version;
    const notes = this.notesOf(tenantId);
    if (notes.profileBefore === undefined) notes.profileBefore = before;
    this.profiles.delete(tenantId);
    return version;
  }

  /** The tenant's profile as this transaction sees it (read once per transaction, again after it changes it). */
  async profileOf(tenantId: string): Promise<TenantProfile> {
    let profile = this.profiles.get(tenantId);
    if (profile === undefined) {
      profile = this.views.profileOf(this.inner, tenantId);
      this.profiles.set(tenantId, profile);
    }
    return profile;
  }

  async findActiveToken(hash: string): Promise<{ readonly token: TokenRecord; readonly tenant: Tenant } | undefined> {
    const found = await this.inner.findActiveToken(hash);
    if (found !== undefined) this.views.observe(found.tenant);
    return found;
  }

  // Passed through.

  findTenantProfile(tenantId: string): Promise<StoredProfile | undefined> {
    return this.inner.findTenantProfile(tenantId);
  }
  findTenantProfileVersion(tenantId: string): Promise<number | undefined> {
    return this.inner.findTenantProfileVersion(tenantId);
  }
  insertToken(token: NewToken, created: string): Promise<TokenRecord> {
    return this.inner.insertToken(token, created);
  }
  listTokens(tenantId: string): Promise<readonly TokenRecord[]> {
    return this.inner.listTokens(tenantId);
  }
  listTokensPage(tenantId: string, query: TokenPageQuery): Promise<readonly TokenRecord[]> {
    return this.inner.listTokensPage(tenantId, query);
  }
  findToken(id: string): Promise<{ readonly token: TokenRecord; readonly tenant: Tenant } | undefined> {
    return this.inner.findToken(id);
  }
  findTokenByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.inner.findTokenByHash(hash);
  }
  revokeToken(id: string, at: string): Promise<boolean> {
    return this.inner.revokeToken(id, at);
  }
  touchToken(id: string, at: string): Promise<void> {
    return this.inner.touchToken(id, at);
  }
  insertApiKey(key: NewApiKey, created: string): Promise<ApiKeyRecord> {
    return this.inner.insertApiKey(key, created);
  }
  findActiveApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.inner.findActiveApiKey(hash);
  }
  listApiKeys(): Promise<readonly ApiKeyRecord[]> {
    return this.inner.listApiKeys();
  }
  listApiKeysPage(query: { readonly after?: { readonly created: string; readonly id: string }; readonly limit: number }): Promise<readonly ApiKeyListing[]> {
    return this.inner.listApiKeysPage(query);
  }
  findApiKey(id: string): Promise<ApiKeyRecord | undefined> {
    return this.inner.findApiKey(id);
  }
  revokeApiKey(id: string, at: string): Promise<boolean> {
    return this.inner.revokeApiKey(id, at);
  }
  insertAuditEntry(entry: NewAuditEntry): Promise<void> {
    return this.inner.insertAuditEntry(entry);
  }
  listAuditEntries(query: { readonly tenantId?: string; readonly before?: number; readonly limit: number }): Promise<readonly AuditEntry[]> {
    return this.inner.listAuditEntries(query);
  }
  listRequestLog(tenantId: string, limit: number): Promise<readonly RequestLogEntry[]> {
    return this.inner.listRequestLog(tenantId, limit);
  }

  queryRequestLog(tenantId: string, query: RequestLogQuery): Promise<RequestLogPage> {
    return this.inner.queryRequestLog(tenantId, query);
  }
  findRequestLogEntry(tenantId: string, requestId: string): Promise<LoggedRequest | undefined> {
    return this.inner.findRequestLogEntry(tenantId, requestId);
  }
  summarizeRequestLog(tenantId: string, since: string): Promise<RequestLogSummary> {
    return this.inner.summarizeRequestLog(tenantId, since);
  }
  countResources(tenantId: string): Promise<ResourceCounts> {
    return this.inner.countResources(tenantId);
  }

  countUnauthenticatedDropped(tenantId: string): Promise<number> {
    return this.inner.countUnauthenticatedDropped(tenantId);
  }
  appendEvents(tenantId: string, events: readonly NewEvent[]): Promise<void> {
    return this.inner.appendEvents(tenantId, events);
  }
  listEvents(tenantId: string, after: number, limit: number): Promise<readonly StoredEvent[]> {
    return this.inner.listEvents(tenantId, after, limit);
  }
  eventBounds(tenantId: string): Promise<{ readonly last: number; readonly pruned: number }> {
    return this.inner.eventBounds(tenantId);
  }
  eventSeqBefore(tenantId: string, at: string): Promise<number> {
    return this.inner.eventSeqBefore(tenantId, at);
  }
  pruneEvents(tenantId: string, before: string): Promise<number> {
    return this.inner.pruneEvents(tenantId, before);
  }
  insertWebhook(webhook: NewWebhook, created: string): Promise<WebhookRecord> {
    return this.inner.insertWebhook(webhook, created);
  }
  findWebhook(id: string): Promise<WebhookRecord | undefined> {
    return this.inner.findWebhook(id);
  }
  listWebhooks(tenantId: string): Promise<readonly WebhookRecord[]> {
    return this.inner.listWebhooks(tenantId);
  }
  listWebhookSecrets(): Promise<readonly SealedWebhookSecret[]> {
    return this.inner.listWebhookSecrets();
  }
  updateWebhook(id: string, changes: { readonly enabled: boolean; readonly cursorSeq?: number }, at: string): Promise<boolean> {
    return this.inner.updateWebhook(id, changes, at);
  }
  deleteWebhook(id: string): Promise<boolean> {
    return this.inner.deleteWebhook(id);
  }
  fanOutDeliveries(options: FanOutOptions): Promise<{ readonly webhooks: number; readonly deliveries: number }> {
    return this.inner.fanOutDeliveries(options);
  }
  claimDeliveries(options: ClaimOptions): Promise<readonly ClaimedDelivery[]> {
    return this.inner.claimDeliveries(options);
  }
  hasDeliveryWork(at: string): Promise<boolean> {
    return this.inner.hasDeliveryWork(at);
  }
  recordDeliveryOutcome(outcome: DeliveryOutcome): Promise<boolean> {
    return this.inner.recordDeliveryOutcome(outcome);
  }
  listDeliveries(webhookId: string, query: { readonly status?: DeliveryStatus; readonly limit: number; readonly before?: number }): Promise<readonly DeliveryRecord[]> {
    return this.inner.listDeliveries(webhookId, query);
  }
  replayDeliveries(webhookId: string, after: number, at: string, matches: EventTypeMatcher, limit: number): Promise<ReplayOutcome> {
    return this.inner.replayDeliveries(webhookId, after, at, matches, limit);
  }
  pruneDeliveries(tenantId: string, before: string): Promise<number> {
    return this.inner.pruneDeliveries(tenantId, before);
  }
  queryResources(tenantId: string, kind: ResourceKind, query: ResourceQuery): Promise<ResourcePage> {
    return this.inner.queryResources(tenantId, kind, query);
  }
  findResources(tenantId: string, ids: readonly string[]): Promise<ReadonlyMap<string, StoredResource>> {
    return this.inner.findResources(tenantId, ids);
  }
  listMembersOfGroups(tenantId: string, groupIds: readonly string[]): Promise<ReadonlyMap<string, readonly Member[]>> {
    return this.inner.listMembersOfGroups(tenantId, groupIds);
  }
  listGroupsOf(tenantId: string, memberIds: readonly string[], options?: { readonly managed?: boolean }): Promise<ReadonlyMap<string, readonly GroupRef[]>> {
    return this.inner.listGroupsOf(tenantId, memberIds, options);
  }
  listMembersPage(tenantId: string, groupId: string, page: { readonly limit: number; readonly after?: string }): Promise<readonly Member[]> {
    return this.inner.listMembersPage(tenantId, groupId, page);
  }
}
