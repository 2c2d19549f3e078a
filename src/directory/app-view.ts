import type { GroupRef, ScimDocument } from "../store/store.js";
import { declaredNames, declaredValue } from "./profile-rules.js";
import { EMPTY_PROFILE, type TenantProfile } from "./profiles.js";

/** What the profile derives for the application from a provisioned user. */
export interface AppView {
  readonly roles: readonly string[];
  readonly admin: boolean;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** What deriving a view needs besides the user: the profile and the roles the application declared (`PUT roles`). */
export interface AppViewContext {
  readonly profile: TenantProfile;
  readonly declaredRoles: readonly string[];
}

export const PLAIN_VIEW_CONTEXT: AppViewContext = { profile: EMPTY_PROFILE, declaredRoles: [] };

/** Whether deriving roles needs the application's declared roles list (one read per request). */
export function needsDeclaredRoles(profile: TenantProfile): boolean {
  return profile.roles.fromGroups?.matchDeclaredRoles === true;
}

/**
 * `attributes`: every declared attribute the user has, by name; a `commaSeparated` one as the
 * list of its items (`"a, b"` → `["a", "b"]`, blank → `[]`). `admin`: the admin rule matches
 * (then no role, whatever else says so). `roles`: from the role attribute, then from the
 * identity provider's (managed) groups (a group's mapped role, else its name when it exactly
 * matches a declared role; sorted), without duplicates. `groups` must say which are unmanaged
 * (GroupRef.managed, as listGroupsOf reads them).
 */
export function deriveAppView(context: AppViewContext, document: ScimDocument, groups: readonly GroupRef[]): AppView {
  const { profile } = context;
  const attributes: Record<string, unknown> = {};
  // As stored: the rules below read the values the identity provider sent.
  const values: Record<string, unknown> = {};
  for (const attribute of profile.attributes) {
    const value = declaredValue(document, attribute);
    if (value === undefined || value === null) continue;
    values[attribute.name] = value;
    attributes[attribute.name] = attribute.commaSeparated ? declaredNames(attribute, value) : value;
  }
  // Removed from the organisation: no right of any kind until the IdP reactivates the user.
  if (profile.deprovisioning === "removeFromOrganisation" && document["active"] === false) return { roles: [], admin: false, attributes };
  const rules = profile.roles;
  const admin = rules.admin !== undefined && values[rules.admin.attribute] === rules.admin.equals;
  if (admin) return { roles: [], admin, attributes };
  const roles = new Set<string>();
  const roleAttribute = rules.fromAttribute === undefined ? undefined : profile.attributes.find((a) => a.name === rules.fromAttribute);
  if (roleAttribute !== undefined) for (const name of declaredNames(roleAttribute, values[roleAttribute.name])) roles.add(name);
  const fromGroups = rules.fromGroups;
  if (fromGroups !== undefined) {
    const granted = groups.flatMap((group) => {
      // Only the identity provider's groups grant roles: a group the application created is its own (ADR 0021).
      if (group.display === null || group.managed === false) return [];
      const mapped = Object.hasOwn(fromGroups.mappings, group.display) ? fromGroups.mappings[group.display] : undefined;
      if (mapped !== undefined) return [mapped];
      return fromGroups.matchDeclaredRoles && context.declaredRoles.includes(group.display) ? [group.display] : [];
    });
    for (const role of granted.sort()) roles.add(role);
  }
  return { roles: [...roles], admin, attributes };
}
