import { type AppGroup, type AppMember, toAppGroup } from "../directory/app-groups.js";
import { type AppUser, toAppUser } from "../directory/app-users.js";
import { type AppViewContext, deriveAppView, needsDeclaredRoles } from "../directory/app-view.js";
import { ROLES_LIST } from "../directory/lists.js";
import type { TenantProfile } from "../directory/profiles.js";
import type { GroupRef, Member, NewEvent, ResourceKind, StoredResource, StoreSession } from "../store/store.js";
import { newTimeOrderedId } from "../directory/ids.js";
import { type EventData, type EventType, MAX_MEMBERS_PER_EVENT } from "./event-types.js";
import { groupGrantsRole, roleOfGroup } from "./roles.js";
import { groupsNamed } from "./groups-named.js";
import type { ResourceNote, TenantNotes } from "./transaction-notes.js";

/** What turning one tenant's notes into events needs. */
export interface EventContext {
  /** The real session of the transaction (reads see the transaction's own writes). */
  readonly session: StoreSession;
  readonly tenantId: string;
  readonly slug: string;
  readonly profile: TenantProfile;
  /** A list as the transaction sees it (read once per transaction). */
  findList(name: string): Promise<readonly string[] | undefined>;
  /** A resource as the transaction read or wrote it, when it did: no need to read it again. */
  known(id: string): StoredResource | undefined;
  readonly occurredAt: string;
}

/** The fields of a user snapshot that other events report: membership (group.member_*) and roles (role.*). */
const REPORTED_ELSEWHERE: ReadonlySet<string> = new Set(["groups", "roles"]);

function displayOf(resource: StoredResource): string | null {
  // As the store's `display` column: displayName, else userName.
  const { displayName, userName } = resource.document;
  return typeof displayName === "string" ? displayName : typeof userName === "string" ? userName : null;
}

function nameOf(resource: StoredResource | null | undefined): string | undefined {
  const name = resource?.document["displayName"];
  return typeof name === "string" ? name : undefined;
}

/** The fields whose value differs, with their value in `before`. */
function changedFields<T extends object>(before: T, after: T, skip: ReadonlySet<string> = new Set()): Partial<T> {
  const previous: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(before)) {
    if (skip.has(key)) continue;
    if (JSON.stringify(value) !== JSON.stringify((after as Record<string, unknown>)[key])) previous[key] = value;
  }
  return previous as Partial<T>;
}

function chunked<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

function byId(a: GroupRef, b: GroupRef): number {
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/**
 * Turns what one transaction changed in one tenant into its events, in this order: each
 * changed resource's own event (in the order they were first changed), then membership
 * events group by group (removals, then additions, at most 1,000 members each), then role
 * changes user by user. Reads at most: the resources it does not know yet (one query per 500),
 * the groups of the users whose snapshot it needs (one), and — only when a group granting a
 * role is renamed or deleted, or the declared roles change — that group's members.
 */
export async function buildEvents(context: EventContext, notes: TenantNotes): Promise<NewEvent[]> {
  const { session, tenantId, profile } = context;
  // The profile before the transaction: another one only when the transaction replaced it (roster tenants update).
  const profileBefore = notes.profileBefore ?? profile;
  const fromGroups = profile.roles.fromGroups;
  const fromGroupsBefore = profileBefore.roles.fromGroups;
  const derivesRoles = derivesRolesUnder(profile) || derivesRolesUnder(profileBefore);
  const declaredRoles = needsDeclaredRoles(profile) || needsDeclaredRoles(profileBefore) ? ((await context.findList(ROLES_LIST)) ?? []) : [];
  const declaredAfter = needsDeclaredRoles(profile) ? declaredRoles : [];
  const declaredBefore = !needsDeclaredRoles(profileBefore) ? [] : notes.rolesListBefore !== undefined ? notes.rolesListBefore : declaredRoles;
  const viewAfter: AppViewContext = { profile, declaredRoles: declaredAfter };
  const viewBefore: AppViewContext = { profile: profileBefore, declaredRoles: declaredBefore };

  // Current states: what the transaction wrote, then what it must read.
  const current = new Map<string, StoredResource>();
  for (const [id, note] of notes.resources) if (note.after !== null) current.set(id, note.after);
  const memberships = [...notes.memberships].filter(([, note]) => note.added.size > 0 || note.removed.size > 0);
  const unknown = new Set<string>();
  for (const [groupId, note] of memberships) {
    if (!current.has(groupId)) unknown.add(groupId);
    for (const id of note.added.keys()) if (!current.has(id)) unknown.add(id);
    for (const [id, member] of note.removed) if (member === undefined && !current.has(id)) unknown.add(id);
  }
  await readInto(context, unknown, current);

  // A group's name before the transaction (undefined: it did not exist); `now` when the transaction did not change it.
  const nameBefore = (groupId: string, now: string | null = nameOf(current.get(groupId)) ?? null): string | undefined => {
    const note = notes.resources.get(groupId);
    return note === undefined ? (now ?? undefined) : nameOf(note.before);
  };
  const grantsBefore = (name: string | undefined) => fromGroupsBefore !== undefined && name !== undefined && groupGrantsRole(fromGroupsBefore, declaredBefore, name);
  const grantsAfter = (name: string | undefined) => fromGroups !== undefined && name !== undefined && groupGrantsRole(fromGroups, declaredAfter, name);

  // Users whose roles may have changed, and the users each event must show.
  const roleUsers = new Set<string>();
  if (derivesRoles) {
    for (const [id, note] of notes.resources) if (note.kind === "User" && note.after !== null) roleUsers.add(id);
    if (fromGroups !== undefined || fromGroupsBefore !== undefined) {
      for (const [groupId, note] of memberships) {
        if (!grantsBefore(nameBefore(groupId)) && !grantsAfter(nameOf(current.get(groupId)))) continue;
        for (const id of [...note.added.keys(), ...note.removed.keys()]) roleUsers.add(id);
      }
      for (const id of await membersOfRoleGroupsChanged(context, notes, profileBefore, declaredBefore, declaredAfter)) roleUsers.add(id);
    }
    if (notes.profileBefore !== undefined) for (const id of await usersOfProfileChange(context, profileBefore, declaredBefore, declaredAfter, current)) roleUsers.add(id);
    for (const [id, note] of notes.resources) if (note.after === null) roleUsers.delete(id);
    await readInto(context, new Set([...roleUsers].filter((id) => !current.has(id))), current);
    for (const id of roleUsers) if (current.get(id)?.kind !== "User") roleUsers.delete(id);
  }

  // Each user's groups now: read for users that existed before, known for those created here.
  const groupsNow = new Map<string, readonly GroupRef[]>();
  const existing = [...new Set([...notes.resources.keys(), ...roleUsers])].filter((id) => {
    const note = notes.resources.get(id);
    return current.get(id)?.kind === "User" && note?.before !== null;
  });
  if (existing.length > 0) for (const [id, groups] of await session.listGroupsOf(tenantId, existing)) groupsNow.set(id, groups);
  // The groups each member joined, and left (or lost by deletion), in this transaction.
  const joined = new Map<string, string[]>();
  const left = new Map<string, string[]>();
  const push = (map: Map<string, string[]>, key: string, value: string) => {
    const list = map.get(key);
    if (list === undefined) map.set(key, [value]);
    else list.push(value);
  };
  for (const [groupId, note] of memberships) {
    for (const id of note.added.keys()) push(joined, id, groupId);
    for (const id of note.removed.keys()) push(left, id, groupId);
  }
  for (const [groupId, note] of notes.resources) for (const member of note.membersBeforeDelete ?? []) push(left, member.value, groupId);

  // A group as a user's groups show it, saying whether the application made it (only the identity provider's grant roles).
  const refOf = (groupId: string, display: string | null): GroupRef => {
    const group = current.get(groupId) ?? notes.resources.get(groupId)?.before ?? undefined;
    return group?.managed === false ? { value: groupId, display, managed: false } : { value: groupId, display };
  };
  const groupsOf = (userId: string): readonly GroupRef[] => {
    const read = groupsNow.get(userId);
    if (read !== undefined) return read;
    return (joined.get(userId) ?? []).map((groupId) => refOf(groupId, nameOf(current.get(groupId)) ?? null)).sort(byId);
  };
  const groupsBefore = (userId: string): GroupRef[] => {
    const now = groupsOf(userId);
    const read = new Map(now.map((group) => [group.value, group]));
    const justJoined = new Set(joined.get(userId) ?? []);
    const ids = [...now.map((group) => group.value).filter((id) => !justJoined.has(id)), ...(left.get(userId) ?? [])];
    return [...new Set(ids)].map((value) => {
      const group = read.get(value);
      const display = nameBefore(value, group?.display) ?? null;
      // A group the user is still in says itself whether it is managed; one it left is in `current` or the notes.
      return group === undefined ? refOf(value, display) : group.managed === false ? { value, display, managed: false } : { value, display };
    });
  };

  const snapshots = new Map<string, AppUser>();
  const userNow = (id: string): AppUser => {
    let snapshot = snapshots.get(id);
    if (snapshot === undefined) {
      snapshot = toAppUser(current.get(id) as StoredResource, groupsOf(id), viewAfter);
      snapshots.set(id, snapshot);
    }
    return snapshot;
  };
  const groupNow = (id: string): AppGroup => {
    const group = current.get(id);
    if (group === undefined) throw new Error(`events: group ${JSON.stringify(id)} changed members but cannot be read`);
    return toAppGroup(group);
  };

  const events: NewEvent[] = [];
  const emit = <T extends EventType>(type: T, resource: { readonly type: ResourceKind; readonly id: string }, data: EventData[T]): void => {
    const id = newTimeOrderedId();
    const body = { id, type, tenant: context.slug, occurredAt: context.occurredAt, resource, data };
    events.push({ id, type, resourceType: resource.type, resourceId: resource.id, occurredAt: context.occurredAt, data: JSON.stringify(body) });
  };

  for (const [id, note] of notes.resources) {
    if (note.kind === "User") userEvent(note, id);
    else groupEvent(note, id);
  }

  function userEvent(note: ResourceNote, id: string): void {
    const resource = { type: "User" as const, id };
    if (note.before === null) {
      if (note.after !== null) emit("user.created", resource, { user: userNow(id) });
      return;
    }
    if (note.after === null) {
      emit("user.deleted", resource, { user: toAppUser(note.before, note.groupsBeforeDelete ?? [], viewBefore) });
      return;
    }
    const user = userNow(id);
    const previous = changedFields(toAppUser(note.before, groupsOf(id), viewBefore), user, REPORTED_ELSEWHERE);
    if (Object.keys(previous).length === 0) return;
    const type = previous.active === undefined ? "user.updated" : user.active ? "user.reactivated" : "user.deactivated";
    emit(type, resource, { user, previous });
  }

  function groupEvent(note: ResourceNote, id: string): void {
    const resource = { type: "Group" as const, id };
    if (note.before === null) {
      if (note.after !== null) emit("group.created", resource, { group: toAppGroup(note.after) });
      return;
    }
    if (note.after === null) {
      emit("group.deleted", resource, { group: toAppGroup(note.before) });
      return;
    }
    const group = toAppGroup(note.after);
    const previous = changedFields(toAppGroup(note.before), group);
    // A membership change moves updatedAt; the member events carry the group as it is now.
    const membersChanged = memberships.some(([groupId]) => groupId === id);
    const changed = Object.keys(previous).filter((key) => !(membersChanged && key === "updatedAt"));
    if (changed.length > 0) emit("group.updated", resource, { group, previous });
  }

  for (const [groupId, note] of memberships) {
    const group = groupNow(groupId);
    const resource = { type: "Group" as const, id: groupId };
    const removed = [...note.removed].map(([id, member]) => appMember(id, member, current));
    const added = [...note.added].map(([id, kind]) => appMember(id, undefined, current, kind));
    for (const members of chunked(removed, MAX_MEMBERS_PER_EVENT)) emit("group.member_removed", resource, { group, members });
    for (const members of chunked(added, MAX_MEMBERS_PER_EVENT)) emit("group.member_added", resource, { group, members });
  }

  for (const id of roleUsers) {
    const note = notes.resources.get(id);
    const before = note?.before === null ? [] : deriveAppView(viewBefore, (note?.before ?? current.get(id) as StoredResource).document, groupsBefore(id)).roles;
    const after = deriveAppView(viewAfter, (current.get(id) as StoredResource).document, groupsOf(id)).roles;
    const resource = { type: "User" as const, id };
    for (const role of before.filter((role) => !after.includes(role))) emit("role.revoked", resource, { user: userNow(id), role });
    for (const role of after.filter((role) => !before.includes(role))) emit("role.granted", resource, { user: userNow(id), role });
  }
  return events;
}

function appMember(id: string, member: Member | undefined, current: ReadonlyMap<string, StoredResource>, kind?: ResourceKind): AppMember {
  const resource = current.get(id);
  if (resource !== undefined) return { id, type: resource.kind, display: displayOf(resource) };
  if (member !== undefined) return { id, type: member.type, display: member.display };
  return { id, type: kind ?? "User", display: null };
}

/** Puts the resources of `ids` into `current`: those the transaction knows as they are, the others read (one query per 500). */
async function readInto(context: EventContext, ids: ReadonlySet<string>, current: Map<string, StoredResource>): Promise<void> {
  const missing: string[] = [];
  for (const id of ids) {
    const known = context.known(id);
    if (known === undefined) missing.push(id);
    else current.set(id, known);
  }
  if (missing.length === 0) return;
  for (const [id, resource] of await context.session.findResources(context.tenantId, missing)) current.set(id, resource);
}

/**
 * Members of groups whose role changed without a membership change: a group renamed to or
 * from a role's name, a deleted group that granted one, groups named like a role the
 * application declared or withdrew. Proportional to those groups' sizes — the change is.
 */
async function membersOfRoleGroupsChanged(
  context: EventContext,
  notes: TenantNotes,
  profileBefore: TenantProfile,
  declaredBefore: readonly string[],
  declaredAfter: readonly string[],
): Promise<Set<string>> {
  const fromGroups = context.profile.roles.fromGroups;
  const fromGroupsBefore = profileBefore.roles.fromGroups;
  const users = new Set<string>();
  if (fromGroups === undefined && fromGroupsBefore === undefined) return users;
  const roleBefore = (name: string | undefined) => (name === undefined || fromGroupsBefore === undefined ? undefined : roleOfGroup(fromGroupsBefore, declaredBefore, name));
  const roleAfter = (name: string | undefined) => (name === undefined || fromGroups === undefined ? undefined : roleOfGroup(fromGroups, declaredAfter, name));
  const groups = new Set<string>();
  for (const [id, note] of notes.resources) {
    if (note.kind !== "Group") continue;
    for (const member of note.membersBeforeDelete ?? []) users.add(member.value);
    if (note.before === null || note.after === null) continue;
    if (roleBefore(nameOf(note.before)) !== roleAfter(nameOf(note.after))) groups.add(id);
  }
  if (notes.rolesListBefore !== undefined) {
    const names = [...declaredBefore.filter((name) => !declaredAfter.includes(name)), ...declaredAfter.filter((name) => !declaredBefore.includes(name))];
    for (const id of await groupsNamed(context.session, context.tenantId, names.filter((name) => roleBefore(name) !== roleAfter(name)))) {
      groups.add(id);
    }
  }
  const ids = [...groups].filter((id) => notes.resources.get(id)?.after !== null);
  if (ids.length === 0) return users;
  for (const members of (await context.session.listMembersOfGroups(context.tenantId, ids)).values()) {
    for (const member of members) if (member.type === "User") users.add(member.value);
  }
  for (const id of ids) for (const member of notes.memberships.get(id)?.removed.keys() ?? []) users.add(member);
  return users;
}

function derivesRolesUnder(profile: TenantProfile): boolean {
  return profile.roles.fromAttribute !== undefined || profile.roles.fromGroups !== undefined;
}

/** What of a profile decides roles other than group names: the role attribute, the admin rule, deprovisioning and the declared attributes those two read. */
function rulesBesidesGroups(profile: TenantProfile): string {
  const { fromGroups: _fromGroups, ...rules } = profile.roles;
  const read = new Set([rules.fromAttribute, rules.admin?.attribute]);
  return JSON.stringify([rules, profile.deprovisioning, profile.attributes.filter((attribute) => read.has(attribute.name))]);
}

/**
 * Users whose roles a profile change may have changed (a transaction that replaced the
 * profile: `roster tenants update`). When only `roles.fromGroups` changed: the members of the
 * groups whose name now grants another role (a mapping added, removed or retargeted,
 * `matchDeclaredRoles` switched). When the role attribute, the admin rule, deprovisioning or
 * the declared attributes changed: every user of the tenant (read into `current`, a page at a
 * time). Proportional to what the change can affect, as a profile change is.
 */
async function usersOfProfileChange(
  context: EventContext,
  profileBefore: TenantProfile,
  declaredBefore: readonly string[],
  declaredAfter: readonly string[],
  current: Map<string, StoredResource>,
): Promise<Set<string>> {
  const users = new Set<string>();
  const profile = context.profile;
  if (!derivesRolesUnder(profile) && !derivesRolesUnder(profileBefore)) return users;
  if (rulesBesidesGroups(profile) !== rulesBesidesGroups(profileBefore)) {
    let cursor = "";
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const found = await context.session.queryResources(context.tenantId, "User", { count: PAGE, cursor });
      for (const user of found.resources) {
        users.add(user.id);
        if (!current.has(user.id)) current.set(user.id, user);
      }
      if (found.nextCursor === undefined) return users;
      cursor = found.nextCursor;
    }
    throw new Error(`events: tenant ${JSON.stringify(context.tenantId)} has more than ${MAX_PAGES * PAGE} users`);
  }
  const before = profileBefore.roles.fromGroups;
  const after = profile.roles.fromGroups;
  const names = new Set([...Object.keys(before?.mappings ?? {}), ...Object.keys(after?.mappings ?? {}), ...declaredBefore, ...declaredAfter]);
  const changed = [...names].filter(
    (name) => (before === undefined ? undefined : roleOfGroup(before, declaredBefore, name)) !== (after === undefined ? undefined : roleOfGroup(after, declaredAfter, name)),
  );
  if (changed.length === 0) return users;
  const groups = await groupsNamed(context.session, context.tenantId, changed);
  for (const members of (await context.session.listMembersOfGroups(context.tenantId, groups)).values()) {
    for (const member of members) if (member.type === "User") users.add(member.value);
  }
  return users;
}

/** Users read per page when a profile change concerns every user, and the most pages read (10 million users). */
const PAGE = 1000;
const MAX_PAGES = 10_000;
