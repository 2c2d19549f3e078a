import type { RoleRules } from "../directory/profiles.js";

type FromGroups = NonNullable<RoleRules["fromGroups"]>;

/** The role a group of this name grants, as deriveAppView reads it (a mapping first, then an exact declared role); undefined when none. */
export function roleOfGroup(fromGroups: FromGroups, declaredRoles: readonly string[], name: string): string | undefined {
  if (Object.hasOwn(fromGroups.mappings, name)) return fromGroups.mappings[name];
  return fromGroups.matchDeclaredRoles && declaredRoles.includes(name) ? name : undefined;
}

export function groupGrantsRole(fromGroups: FromGroups, declaredRoles: readonly string[], name: string): boolean {
  return roleOfGroup(fromGroups, declaredRoles, name) !== undefined;
}
