import type { TenantProfile } from "../directory/profiles.js";
import type { GroupRef, Member, ResourceKind, StoredResource } from "../store/store.js";

/** One resource a transaction changed: its state before (null: created here) and after (null: deleted here). */
export interface ResourceNote {
  readonly kind: ResourceKind;
  readonly before: StoredResource | null;
  after: StoredResource | null;
  /** A deleted user: the groups it belonged to just before the deletion (its last snapshot shows them). */
  groupsBeforeDelete?: readonly GroupRef[];
  /** A deleted group whose name granted a role: its members just before the deletion (they may lose the role). */
  membersBeforeDelete?: readonly Member[];
}

/** The net membership change of one group in a transaction: a member added then removed is neither. */
export interface MembershipNote {
  /** Member id → its kind. */
  readonly added: Map<string, ResourceKind>;
  /** Member id → the member as read before its removal, or undefined when only its id is known. */
  readonly removed: Map<string, Member | undefined>;
}

/** What one transaction changed in one tenant, in the order it changed it. */
export interface TenantNotes {
  readonly resources: Map<string, ResourceNote>;
  readonly memberships: Map<string, MembershipNote>;
  /** The application's declared roles before the transaction replaced them (PUT roles); absent when untouched. */
  rolesListBefore?: readonly string[];
  /** The tenant's profile before the transaction replaced it (`roster tenants update`); absent when untouched. */
  profileBefore?: TenantProfile;
}

export function emptyNotes(): TenantNotes {
  return { resources: new Map(), memberships: new Map() };
}

function membershipOf(notes: TenantNotes, groupId: string): MembershipNote {
  let note = notes.memberships.get(groupId);
  if (note === undefined) {
    note = { added: new Map(), removed: new Map() };
    notes.memberships.set(groupId, note);
  }
  return note;
}

export function noteAdded(notes: TenantNotes, groupId: string, memberId: string, kind: ResourceKind): void {
  const note = membershipOf(notes, groupId);
  if (note.removed.has(memberId)) note.removed.delete(memberId);
  else note.added.set(memberId, kind);
}

export function noteRemoved(notes: TenantNotes, groupId: string, memberId: string, member: Member | undefined): void {
  const note = membershipOf(notes, groupId);
  if (note.added.has(memberId)) note.added.delete(memberId);
  else note.removed.set(memberId, member);
}

/** Memberships of a deleted resource end with it: no membership change is reported about it, on either side. */
export function forgetMemberships(notes: TenantNotes, id: string): void {
  notes.memberships.delete(id);
  for (const note of notes.memberships.values()) {
    note.added.delete(id);
    note.removed.delete(id);
  }
}

/** Whether nothing was noted (a read-only transaction, or changes that cancelled out). */
export function isEmpty(notes: TenantNotes): boolean {
  if (notes.resources.size > 0 || notes.rolesListBefore !== undefined || notes.profileBefore !== undefined) return false;
  for (const note of notes.memberships.values()) if (note.added.size > 0 || note.removed.size > 0) return false;
  return true;
}
