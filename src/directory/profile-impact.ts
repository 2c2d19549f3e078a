import { ScimError } from "../scim/errors.js";
import { parseResourceInput } from "../scim/resource/parse-resource.js";
import type { ReadSession, StoredResource } from "../store/store.js";
import { type AppViewContext, deriveAppView, needsDeclaredRoles } from "./app-view.js";
import { ROLES_LIST } from "./lists.js";
import { applyProfileRules } from "./profile-rules.js";
import type { TenantProfile } from "./profiles.js";
import { tenantSchemas } from "./schemas.js";

/** A user named in an impact report. */
export interface ImpactUser {
  readonly id: string;
  readonly userName: string | null;
  readonly active: boolean;
}

/** A user whose stored values the new profile would refuse, and the refusal. */
export interface RuleBreak extends ImpactUser {
  /** What an identity provider creating this user as stored would be told (the SCIM error's detail). */
  readonly rule: string;
}

/** How many users gain and lose something, with the first few of each. */
export interface GrantChange {
  readonly granted: number;
  readonly revoked: number;
  readonly grantedExamples: readonly ImpactUser[];
  readonly revokedExamples: readonly ImpactUser[];
}

export interface RoleChange extends GrantChange {
  readonly role: string;
}

/**
 * What replacing a tenant's profile would do to its directory as it is. Values already stored
 * are kept (docs/decisions/0020): a user "breaking a rule" keeps working, deactivations and
 * deletes included, but would be refused were the identity provider to create it again, or to
 * change that value.
 */
export interface ProfileImpact {
  /** Users of the tenant examined (managed and unmanaged). */
  readonly users: number;
  /** Users the identity provider created (managed) whose stored values the new profile refuses. */
  readonly breakingRules: { readonly count: number; readonly examples: readonly RuleBreak[] };
  /** Roles granted or revoked (only those that change, at most MAX_ROLES_LISTED: the first met), sorted by name. */
  readonly roles: readonly RoleChange[];
  /** Grants and revocations of roles past the first MAX_ROLES_LISTED, counted but not listed. */
  readonly otherRoleChanges: number;
  /** Users who become, or stop being, administrators (`roles.admin`). */
  readonly admin: GrantChange;
}

/** Examples per list: enough to recognise the pattern, few enough to read. */
export const MAX_IMPACT_EXAMPLES = 20;
export const MAX_ROLES_LISTED = 100;
/** Users read per page, and the most pages read (10 million users): memory stays one page. */
const PAGE = 1000;
const MAX_PAGES = 10_000;

class Tally {
  granted = 0;
  revoked = 0;
  readonly grantedExamples: ImpactUser[] = [];
  readonly revokedExamples: ImpactUser[] = [];

  add(kind: "granted" | "revoked", user: ImpactUser): void {
    this[kind] += 1;
    const examples = kind === "granted" ? this.grantedExamples : this.revokedExamples;
    if (examples.length < MAX_IMPACT_EXAMPLES) examples.push(user);
  }

  result(): GrantChange {
    return { granted: this.granted, revoked: this.revoked, grantedExamples: this.grantedExamples, revokedExamples: this.revokedExamples };
  }
}

function impactUser(resource: StoredResource): ImpactUser {
  const userName = resource.document["userName"];
  return { id: resource.id, userName: typeof userName === "string" ? userName : null, active: resource.document["active"] !== false };
}

/**
 * The refusal an identity provider would get creating this user, as stored, under `profile`:
 * the same schema validation and profile rules as a SCIM create (directory/resources.ts).
 * Undefined when it would be accepted.
 */
async function refusalOnCreate(
  profile: TenantProfile,
  session: Pick<ReadSession, "findList">,
  tenantId: string,
  resource: StoredResource,
): Promise<string | undefined> {
  const parsed = parseResourceInput(resource.document, tenantSchemas(profile).byKind.User, { mode: "create" });
  if (!parsed.ok) return ScimError.fromIssue(parsed.issue).message;
  try {
    await applyProfileRules(profile, session, tenantId, parsed.value.document);
    return undefined;
  } catch (error) {
    if (error instanceof ScimError) return error.message;
    throw error;
  }
}

/**
 * Compares `before` and `after` over every user of the tenant, a page at a time, with the rule
 * code the writes and the change events use: applyProfileRules judges each managed user as a
 * create, deriveAppView gives each user's roles under each profile (with its groups, as the
 * role.granted/role.revoked events of a profile change do). Reads only; cost proportional to
 * the tenant's users and their memberships.
 */
export async function assessProfileImpact(
  session: Pick<ReadSession, "findList" | "queryResources" | "listGroupsOf">,
  tenantId: string,
  before: TenantProfile,
  after: TenantProfile,
): Promise<ProfileImpact> {
  const declared = needsDeclaredRoles(before) || needsDeclaredRoles(after) ? ((await session.findList(tenantId, ROLES_LIST)) ?? []) : [];
  const viewBefore: AppViewContext = { profile: before, declaredRoles: needsDeclaredRoles(before) ? declared : [] };
  const viewAfter: AppViewContext = { profile: after, declaredRoles: needsDeclaredRoles(after) ? declared : [] };
  // A list a rule references is read once, not once per user.
  const lists = new Map<string, Promise<readonly string[] | undefined>>();
  const listReader = {
    findList(id: string, name: string): Promise<readonly string[] | undefined> {
      let found = lists.get(name);
      if (found === undefined) {
        found = session.findList(id, name);
        lists.set(name, found);
      }
      return found;
    },
  };

  let users = 0;
  let breaking = 0;
  const examples: RuleBreak[] = [];
  const roles = new Map<string, Tally>();
  const admin = new Tally();
  let otherRoleChanges = 0;
  // Role names come from attribute values too: memory stays bounded by MAX_ROLES_LISTED tallies.
  const tally = (role: string, kind: "granted" | "revoked", user: ImpactUser): void => {
    let found = roles.get(role);
    if (found === undefined && roles.size < MAX_ROLES_LISTED) {
      found = new Tally();
      roles.set(role, found);
    }
    if (found === undefined) otherRoleChanges += 1;
    else found.add(kind, user);
  };

  let cursor = "";
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const found = await session.queryResources(tenantId, "User", { count: PAGE, cursor });
    const groups = found.resources.length === 0 ? new Map() : await session.listGroupsOf(tenantId, found.resources.map((user) => user.id));
    for (const user of found.resources) {
      users += 1;
      const shown = impactUser(user);
      if (user.managed !== false) {
        const rule = await refusalOnCreate(after, listReader, tenantId, user);
        if (rule !== undefined) {
          breaking += 1;
          if (examples.length < MAX_IMPACT_EXAMPLES) examples.push({ ...shown, rule });
        }
      }
      const memberOf = groups.get(user.id) ?? [];
      const was = deriveAppView(viewBefore, user.document, memberOf);
      const is = deriveAppView(viewAfter, user.document, memberOf);
      for (const role of was.roles) if (!is.roles.includes(role)) tally(role, "revoked", shown);
      for (const role of is.roles) if (!was.roles.includes(role)) tally(role, "granted", shown);
      if (was.admin !== is.admin) admin.add(is.admin ? "granted" : "revoked", shown);
    }
    if (found.nextCursor === undefined) {
      const names = [...roles.keys()].sort();
      return {
        users,
        breakingRules: { count: breaking, examples },
        roles: names.map((role) => ({ role, ...(roles.get(role) as Tally).result() })),
        otherRoleChanges,
        admin: admin.result(),
      };
    }
    cursor = found.nextCursor;
  }
  throw new Error(`profile impact: tenant ${JSON.stringify(tenantId)} has more than ${MAX_PAGES * PAGE} users`);
}
