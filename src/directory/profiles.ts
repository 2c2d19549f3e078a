/**
 * A tenant profile (issue 4, docs/profiles.md): what one tenant adds to plain SCIM, as data.
 * Parsed from YAML by parseProfile (profile-yaml.ts); nothing here names a vendor.
 */

export const ENTERPRISE_NAMESPACE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/** Where a declared attribute lives on the wire. */
export type AttributeNamespace =
  /** A plain top-level attribute of the User core schema (Fulcrum's `role`, external namespace `role`). */
  | { readonly kind: "core" }
  /** The enterprise extension, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User` (Fleetio). */
  | { readonly kind: "enterprise" }
  /** A custom extension schema of User, served in /Schemas under its URN. */
  | { readonly kind: "extension"; readonly urn: string };

export const DECLARED_TYPES = ["string", "boolean", "integer", "decimal", "dateTime"] as const;
export type DeclaredType = (typeof DECLARED_TYPES)[number];

/** One custom User attribute the profile declares. */
export interface DeclaredAttribute {
  readonly name: string;
  readonly namespace: AttributeNamespace;
  readonly type: DeclaredType;
  readonly multiValued: boolean;
  readonly description: string;
  /** When present, every value (every item of a comma-separated value) must be one of these, compared exactly. */
  readonly allowedValues?: readonly string[];
  /** A string holding several values separated by commas (`"client_admin, client_view_ro"`); each is checked on its own. */
  readonly commaSeparated: boolean;
  /** The name of an application list (`roles`, `record_sets`) each value must name; blank means no restriction ("full access"). */
  readonly references?: string;
  /** The most characters a value (each value, when multi-valued) may have; absent, TEXT_MAX_LENGTH (4,096). Strings only. */
  readonly maxLength?: number;
}

export const USER_NAME_COLLISIONS = ["separate", "conflict", "link"] as const;
/**
 * What happens when the IdP creates a user whose userName matches an unmanaged user:
 * `separate` makes a second, managed user (the default); `conflict` answers 409 uniqueness;
 * `link` turns the unmanaged user into the managed one.
 */
export type UserNameCollision = (typeof USER_NAME_COLLISIONS)[number];

export interface UnmanagedUsersOptions {
  /** Whether SCIM lists and reads the application's own users (an IdP import sees them). */
  readonly visible: boolean;
  readonly userNameCollision: UserNameCollision;
}

/** Core User attributes that `identity.defaults` may set: single-valued strings. */
export const DEFAULTABLE_CORE_ATTRIBUTES = ["timezone", "locale", "preferredLanguage", "userType", "title", "nickName", "displayName"] as const;

/** Rules on who a user is, checked on every SCIM write of a User. */
export interface IdentityRules {
  /** userName must be an email address (`dana@example.com`). */
  readonly userNameIsEmail: boolean;
  /** When present, every email address (and a userName that is one) must be in one of these domains, ignoring case. */
  readonly emailDomains?: readonly string[];
  /** Values set when an attribute is missing or blank: a core attribute of DEFAULTABLE_CORE_ATTRIBUTES or a declared string attribute, by name. */
  readonly defaults: Readonly<Record<string, string>>;
  /** `iana`: `timezone` must name an IANA time zone (`Europe/Paris`, `Etc/UTC`, aliases such as `US/Eastern`). */
  readonly timezones: "any" | "iana";
}

/** How the application's view of a user (`roles`, `admin`) is derived from what the IdP provisioned. */
export interface RoleRules {
  /** A declared string attribute whose value names the user's role(s) (each item, when comma-separated). */
  readonly fromAttribute?: string;
  /** The user is an administrator, with no role, when this declared attribute has this value. */
  readonly admin?: { readonly attribute: string; readonly equals: string | boolean };
  /**
   * Roles from group membership: a group whose displayName exactly matches a role the application
   * declared (`PUT roles`) grants it when `matchDeclaredRoles`; `mappings` maps other group names to roles.
   * Leaving the group removes the role.
   */
  readonly fromGroups?: { readonly matchDeclaredRoles: boolean; readonly mappings: Readonly<Record<string, string>> };
}

/** What the IdP may change. */
export interface SyncSwitches {
  /** False: every SCIM request of the tenant fails with 403 (so an IdP's connection test fails too). */
  readonly users: boolean;
  /**
   * Attribute paths (`displayName`, `name.givenName`, a declared attribute's name) whose updates
   * are ignored: PUT and PATCH keep the stored value and the request log says so. Creation still sets them.
   */
  readonly ignoredUpdates: readonly string[];
  /** `unsupported`: a password sent by the IdP is ignored (never stored, as always) and the request log says so. */
  readonly passwords: "ignored" | "unsupported";
}

export const DEPROVISIONING_MODES = ["deactivate", "removeFromOrganisation"] as const;
/**
 * What the IdP's deactivation (`active: false`) means. `deactivate`: the user is inactive and keeps
 * everything (groups, attributes) for audit. `removeFromOrganisation`: the user also leaves every
 * group and has no role or admin right; the record stays readable through the management API.
 */
export type DeprovisioningMode = (typeof DEPROVISIONING_MODES)[number];

export interface TenantProfile {
  readonly attributes: readonly DeclaredAttribute[];
  readonly deprovisioning: DeprovisioningMode;
  readonly roles: RoleRules;
  readonly identity: IdentityRules;
  readonly sync: SyncSwitches;
  readonly unmanagedUsers: UnmanagedUsersOptions;
}

/** The profile of a tenant that has none: plain SCIM as the core issue defines it. */
export const EMPTY_PROFILE: TenantProfile = {
  attributes: [],
  roles: {},
  deprovisioning: "deactivate",
  sync: { users: true, ignoredUpdates: [], passwords: "ignored" },
  identity: { userNameIsEmail: false, defaults: {}, timezones: "any" },
  unmanagedUsers: { visible: false, userNameCollision: "separate" },
};

/** The schema URN a declared attribute is written under; undefined for a core attribute. */
export function namespaceUrn(namespace: AttributeNamespace): string | undefined {
  switch (namespace.kind) {
    case "core":
      return undefined;
    case "enterprise":
      return ENTERPRISE_NAMESPACE;
    case "extension":
      return namespace.urn;
    default: {
      const exhaustive: never = namespace;
      throw new Error(`unhandled namespace ${JSON.stringify(exhaustive)}`);
    }
  }
}
