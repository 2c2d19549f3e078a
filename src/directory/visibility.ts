import type { ResourceKind, StoredResource } from "../store/store.js";

/**
 * What the identity provider sees over SCIM (docs/decisions/0009-managed-and-unmanaged.md).
 * By default only managed users and groups: those it created. The tenant profile may make
 * the application's own (unmanaged) users visible, so that an IdP import lists them
 * (Flosum's "Import Users"); unmanaged groups stay hidden either way.
 */
export interface ScimVisibility {
  readonly unmanagedUsers: boolean;
}

export const DEFAULT_VISIBILITY: ScimVisibility = { unmanagedUsers: false };

/** The `managed` restriction of a SCIM query of `kind`: true for managed only, undefined for both. */
export function visibleManaged(visibility: ScimVisibility | undefined, kind: ResourceKind): true | undefined {
  return kind === "User" && (visibility ?? DEFAULT_VISIBILITY).unmanagedUsers ? undefined : true;
}

/** Whether SCIM may see (read, change, delete, name as a member) this resource; invisible ones are 404 / "does not exist". */
export function isVisible(visibility: ScimVisibility | undefined, resource: Pick<StoredResource, "kind" | "managed">): boolean {
  return resource.managed !== false || visibleManaged(visibility, resource.kind) === undefined;
}

/**
 * Whether SCIM's user queries leave out unmanaged users a managed user of the same userName
 * shadows: only when unmanaged users are visible at all (docs/decisions/0023).
 */
export function hidesShadowed(visibility: ScimVisibility | undefined, kind: ResourceKind): boolean {
  return kind === "User" && visibleManaged(visibility, kind) === undefined;
}
