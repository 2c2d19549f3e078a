import type { AppGroup, AppMember } from "../directory/app-groups.js";
import type { AppUser } from "../directory/app-users.js";
import type { ResourceKind } from "../store/store.js";

/** Every change event type (docs/events.md); a webhook's `--events` patterns match these. */
export const EVENT_TYPES = [
  "user.created",
  "user.updated",
  "user.deactivated",
  "user.reactivated",
  "user.deleted",
  "group.created",
  "group.updated",
  "group.deleted",
  "group.member_added",
  "group.member_removed",
  "role.granted",
  "role.revoked",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** At most this many members in one `group.member_added` / `group.member_removed` event. */
export const MAX_MEMBERS_PER_EVENT = 1000;

/** What each event type carries in `data`: the resource as the application sees it, never a raw SCIM document. */
export interface EventData {
  readonly "user.created": { readonly user: AppUser };
  readonly "user.updated": { readonly user: AppUser; readonly previous: Partial<AppUser> };
  readonly "user.deactivated": { readonly user: AppUser; readonly previous: Partial<AppUser> };
  readonly "user.reactivated": { readonly user: AppUser; readonly previous: Partial<AppUser> };
  /** The last snapshot, groups and roles as they were just before the deletion. */
  readonly "user.deleted": { readonly user: AppUser };
  readonly "group.created": { readonly group: AppGroup };
  readonly "group.updated": { readonly group: AppGroup; readonly previous: Partial<AppGroup> };
  readonly "group.deleted": { readonly group: AppGroup };
  readonly "group.member_added": { readonly group: AppGroup; readonly members: readonly AppMember[] };
  readonly "group.member_removed": { readonly group: AppGroup; readonly members: readonly AppMember[] };
  readonly "role.granted": { readonly user: AppUser; readonly role: string };
  readonly "role.revoked": { readonly user: AppUser; readonly role: string };
}

/** One change event as stored in `events.data`, delivered by webhooks and listed by the feed (plus `sequence`). */
export type ChangeEvent = {
  readonly [T in EventType]: {
    /** UUID; also the `webhook-id` of its deliveries. */
    readonly id: string;
    readonly type: T;
    /** The tenant's slug. */
    readonly tenant: string;
    readonly occurredAt: string;
    /** What the event is about; its events are delivered in order. Membership events are about the group, role events about the user. */
    readonly resource: { readonly type: ResourceKind; readonly id: string };
    readonly data: EventData[T];
  };
}[EventType];

/** An event as the feed lists it: the stored event and its position in the tenant's feed. */
export type FeedEvent = ChangeEvent & { readonly sequence: number };
