import { newTimeOrderedId } from "./ids.js";
import type { ResolvedFilter, ResolvedPath } from "../scim/filter/ast.js";
import { ScimError, unwrap } from "../scim/errors.js";
import { parseScimFilter } from "../scim/filter/parse.js";
import { resolveFilter } from "../scim/filter/resolve.js";
import { applyPatch } from "../scim/patch/apply-patch.js";
import { parsePatchRequest } from "../scim/patch/parse-patch-request.js";
import type { ExternalChange } from "../scim/patch/types.js";
import { parseResourceInput } from "../scim/resource/parse-resource.js";
import { projectResource } from "../scim/resource/project.js";
import { serializeResource } from "../scim/resource/serialize.js";
import type { ResourceSchema } from "../scim/schema/types.js";
import type {
  GroupRef,
  GroupsScope,
  Member,
  MemberRef,
  ResourceKind,
  ScimDocument,
  ReadSession,
  Store,
  StoreSession,
  StoredResource,
  Tenant,
} from "../store/store.js";
import { StoreConflictError } from "../store/store.js";
import { now } from "./clock.js";
import { applyProfileRules, noteKeptAsStored, type RuleBaseline } from "./profile-rules.js";
import { keepIgnoredUpdates, notePassword } from "./profile-sync.js";
import type { TenantProfile } from "./profiles.js";
import { type MemberInput, parseMemberInputs, resolveMembers } from "./members.js";
import { EXTERNAL_ATTRIBUTES, type TenantSchemas } from "./schemas.js";
import { isVisible, type ScimVisibility, visibleManaged } from "./visibility.js";
import { tokensOwnedBy } from "./tokens.js";
import { assertIfMatch } from "./versions.js";

/** What every SCIM use case needs to know about the caller's tenant. */
export interface ScimContext {
  readonly store: Store;
  readonly tenant: Tenant;
  /** The tenant's SCIM base URL, without a trailing slash: `http://host:8080/scim/v2/acme`. */
  readonly baseUrl: string;
  readonly schemas: TenantSchemas;
  /** Which unmanaged resources SCIM may see; DEFAULT_VISIBILITY (managed only) when absent. Set from the tenant profile. */
  readonly visibility?: ScimVisibility;
  /** The tenant profile (docs/profiles.md); plain SCIM (EMPTY_PROFILE) when absent. */
  readonly profile?: TenantProfile;
  /** What the request did other than asked (an update the profile ignores); the request log records them. */
  readonly notes?: string[];
  /** The ids of the change events the request's transactions committed (`store` pushes them: withEventIds); the request log records them. */
  readonly eventIds?: string[];
}

/** `attributes` / `excludedAttributes`, already resolved against the resource's schema. */
export interface Projection {
  readonly attributes?: readonly ResolvedPath[];
  readonly excludedAttributes?: readonly ResolvedPath[];
}

/** A resource as served, with what the HTTP layer puts in headers. */
export interface ServedResource {
  readonly body: Record<string, unknown>;
  readonly version: number;
  readonly location: string;
}

const ENDPOINTS: Readonly<Record<ResourceKind, string>> = { User: "Users", Group: "Groups" };

export function resourceLocation(context: ScimContext, kind: ResourceKind, id: string): string {
  return `${context.baseUrl}/${ENDPOINTS[kind]}/${id}`;
}

/** Whether a projection keeps an attribute that is held outside the document (members, groups). */
export function projectionKeeps(projection: Projection, name: string): boolean {
  const lower = name.toLowerCase();
  const names = (paths: readonly ResolvedPath[] | undefined) =>
    (paths ?? []).filter((path) => !path.extension && path.attribute.name.toLowerCase() === lower);
  if (projection.attributes !== undefined && projection.attributes.length > 0) {
    return names(projection.attributes).length > 0;
  }
  return !names(projection.excludedAttributes).some((path) => path.subAttribute === undefined);
}

function memberJson(context: ScimContext, member: Member): Record<string, unknown> {
  return {
    value: member.value,
    $ref: resourceLocation(context, member.type, member.value),
    ...(member.display === null ? {} : { display: member.display }),
    type: member.type,
  };
}

function groupRefJson(context: ScimContext, group: GroupRef): Record<string, unknown> {
  return {
    value: group.value,
    $ref: resourceLocation(context, "Group", group.value),
    ...(group.display === null ? {} : { display: group.display }),
    type: "direct",
  };
}

/** The groups SCIM shows in a user's `groups`: managed ones only (docs/decisions/0009). */
function groupsScope(context: ScimContext): GroupsScope {
  return { managed: visibleManaged(context.visibility, "Group") ?? false };
}

/**
 * The read options that bring users' groups with them (StoredResource.groups) when the
 * projection shows `groups`, so that serving them needs no second query (loadExternal).
 */
export function readGroupsWith(context: ScimContext, kind: ResourceKind, projection: Projection): { readonly withGroups: GroupsScope } | undefined {
  return kind === "User" && projectionKeeps(projection, "groups") ? { withGroups: groupsScope(context) } : undefined;
}

/** Loads what lives outside the documents (members of groups, groups of users) for a page of resources, in one query. */
export async function loadExternal(
  context: ScimContext,
  session: ReadSession,
  kind: ResourceKind,
  resources: readonly StoredResource[],
  projection: Projection,
): Promise<Map<string, Record<string, unknown>>> {
  const extras = new Map<string, Record<string, unknown>>();
  if (resources.length === 0) return extras;
  const ids = resources.map((resource) => resource.id);
  if (kind === "Group" && projectionKeeps(projection, "members")) {
    const members = await session.listMembersOfGroups(context.tenant.id, ids);
    for (const id of ids) {
      const list = members.get(id) ?? [];
      extras.set(id, list.length === 0 ? {} : { members: list.map((member) => memberJson(context, member)) });
    }
  }
  if (projectionKeeps(projection, "groups") && kind === "User") {
    // Read with the users when they were (withGroups): then no second query.
    const read = resources.every((resource) => resource.groups !== undefined) ? undefined : await session.listGroupsOf(context.tenant.id, ids, groupsScope(context));
    for (const resource of resources) {
      const list = resource.groups ?? read?.get(resource.id) ?? [];
      extras.set(resource.id, list.length === 0 ? {} : { groups: list.map((group) => groupRefJson(context, group)) });
    }
  }
  return extras;
}

/** The wire form of a stored resource after projection. */
export function serveResource(
  context: ScimContext,
  resource: StoredResource,
  extra: Record<string, unknown> | undefined,
  projection: Projection,
): ServedResource {
  const location = resourceLocation(context, resource.kind, resource.id);
  const full = serializeResource({
    id: resource.id,
    resourceType: resource.kind,
    document: resource.document,
    created: resource.created,
    lastModified: resource.lastModified,
    version: resource.version,
    location,
    ...(extra === undefined ? {} : { extra }),
  });
  const body = projectResource(full, context.schemas.byKind[resource.kind], {
    ...(projection.attributes === undefined ? {} : { attributes: projection.attributes }),
    ...(projection.excludedAttributes === undefined ? {} : { excludedAttributes: projection.excludedAttributes }),
  });
  return { body, version: resource.version, location };
}

async function serveOne(
  context: ScimContext,
  session: ReadSession,
  resource: StoredResource,
  projection: Projection,
): Promise<ServedResource> {
  const extras = await loadExternal(context, session, resource.kind, [resource], projection);
  return serveResource(context, resource, extras.get(resource.id), projection);
}

function notFound(kind: ResourceKind, id: string): ScimError {
  return new ScimError("notFound", `${kind} "${id}" not found`);
}

/** The filter `userName eq "<userName>"` (case-insensitive, as userName is), resolved against the User schema. */
function userNameIs(schema: ResourceSchema, userName: string): ResolvedFilter {
  return unwrap(resolveFilter(unwrap(parseScimFilter(`userName eq ${JSON.stringify(userName)}`)), schema));
}

/**
 * Whether a managed user has this unmanaged user's userName, ignoring case: then SCIM does
 * not see the unmanaged one, so that a lookup by userName never finds two (docs/decisions/0023).
 */
async function isShadowed(context: ScimContext, session: ReadSession, resource: StoredResource): Promise<boolean> {
  const userName = resource.document["userName"];
  if (resource.managed !== false || resource.kind !== "User" || typeof userName !== "string") return false;
  const filter = userNameIs(context.schemas.byKind.User, userName);
  return (await session.queryResources(context.tenant.id, "User", { filter, count: 1, managed: true })).resources.length > 0;
}

/** Whether the unmanaged user `id` is shadowed (isShadowed): for naming members. */
function shadowedById(context: ScimContext, session: ReadSession): (id: string) => Promise<boolean> {
  return async (id) => {
    const user = await session.findResource(context.tenant.id, "User", id);
    return user !== undefined && (await isShadowed(context, session, user));
  };
}

/** The resource if SCIM may see it (docs/decisions/0009, 0023); otherwise 404 as if missing. */
async function visibleOrNotFound(
  context: ScimContext,
  session: ReadSession,
  kind: ResourceKind,
  id: string,
  resource: StoredResource | undefined,
): Promise<StoredResource> {
  if (resource === undefined || !isVisible(context.visibility, resource) || (await isShadowed(context, session, resource))) throw notFound(kind, id);
  return resource;
}

function conflictAsScim(error: unknown): never {
  if (error instanceof StoreConflictError && error.constraint === "user.userName") {
    throw new ScimError("uniqueness", "userName is already taken by another user of this tenant (userName is unique, ignoring case)");
  }
  throw error;
}

/** Splits an attribute held outside the document (e.g. `members`) off a request body, matching its name case-insensitively. */
function takeExternal(body: unknown, name: string): { body: unknown; value: unknown; present: boolean } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { body, value: undefined, present: false };
  const rest: Record<string, unknown> = {};
  let value: unknown;
  let present = false;
  for (const [key, entry] of Object.entries(body as Record<string, unknown>)) {
    if (key.toLowerCase() === name.toLowerCase()) {
      value = entry;
      present = true;
    } else {
      rest[key] = entry;
    }
  }
  return { body: rest, value, present };
}

export async function getResource(
  context: ScimContext,
  kind: ResourceKind,
  id: string,
  projection: Projection,
): Promise<ServedResource> {
  return context.store.read(async (session) => {
    const found = await session.findResource(context.tenant.id, kind, id, readGroupsWith(context, kind, projection));
    return serveOne(context, session, await visibleOrNotFound(context, session, kind, id, found), projection);
  });
}

/** The version of a resource, for a conditional GET answered without a body. Undefined when missing. */
export async function findVersion(context: ScimContext, kind: ResourceKind, id: string): Promise<number | undefined> {
  return context.store.read(async (session) => {
    const resource = await session.findResource(context.tenant.id, kind, id);
    return resource === undefined || !isVisible(context.visibility, resource) || (await isShadowed(context, session, resource)) ? undefined : resource.version;
  });
}

export async function createResource(
  context: ScimContext,
  kind: ResourceKind,
  body: unknown,
  projection: Projection,
): Promise<ServedResource> {
  const schema = context.schemas.byKind[kind];
  const { body: rest, value: membersValue } = kind === "Group" ? takeExternal(body, "members") : { body, value: undefined };
  const { document: parsed } = unwrap(parseResourceInput(rest, schema, { mode: "create" }));
  if (kind === "User") notePassword(context.profile, rest, context.notes);
  const memberInputs = kind === "Group" ? parseMemberInputs(membersValue, "members") : [];
  const timestamp = now();
  return context.store.transaction(async (session) => {
    const document = kind === "User" ? await applyProfileRules(context.profile, session, context.tenant.id, parsed) : parsed;
    const resource: StoredResource = {
      tenantId: context.tenant.id,
      id: newTimeOrderedId(),
      kind,
      document,
      created: timestamp,
      lastModified: timestamp,
      version: 1,
    };
    const members = await resolveMembers(session, context.tenant.id, resource.id, memberInputs, context.visibility, shadowedById(context, session));
    if (kind === "User") {
      // An unmanaged user with the same userName is a separate entity (docs/decisions/0009) unless the profile says otherwise.
      const linked = await resolveUserNameCollision(context, session, schema, resource);
      if (linked !== undefined) return serveOne(context, session, linked, projection);
    }
    await session.insertResource(resource).catch(conflictAsScim);
    if (members.length > 0) await session.addMembers(context.tenant.id, resource.id, members);
    // A user just created is in no group (`groups` is read-only): nothing to read for it.
    return serveOne(context, session, kind === "User" ? { ...resource, groups: [] } : resource, projection);
  });
}

/**
 * The profile's `unmanagedUsers.userNameCollision` when the IdP creates a user whose userName
 * an unmanaged user has: `conflict` throws 409 uniqueness; `link` makes that user managed with
 * the IdP's document (same id, memberships kept) and returns it; `separate` returns undefined.
 */
async function resolveUserNameCollision(
  context: ScimContext,
  session: StoreSession,
  schema: ResourceSchema,
  resource: StoredResource,
): Promise<StoredResource | undefined> {
  const mode = context.profile?.unmanagedUsers.userNameCollision ?? "separate";
  const userName = resource.document["userName"];
  if (mode === "separate" || typeof userName !== "string") return undefined;
  const page = await session.queryResources(context.tenant.id, "User", { filter: userNameIs(schema, userName), count: 1, managed: false });
  const unmanaged = page.resources[0];
  if (unmanaged === undefined) return undefined;
  if (mode === "conflict") {
    throw new ScimError(
      "uniqueness",
      `userName ${JSON.stringify(userName)} belongs to a user the application created itself (unmanaged); this tenant's profile refuses a second user with that userName`,
    );
  }
  const linked: StoredResource = { ...unmanaged, document: resource.document, managed: true, lastModified: now(), version: unmanaged.version + 1 };
  await session.linkResource(linked).catch(conflictAsScim);
  return linked;
}

/** With `deprovisioning: removeFromOrganisation`, a user the IdP deactivates leaves every group (each group gets a new version). */
async function applyDeprovisioning(context: ScimContext, session: StoreSession, before: ScimDocument, after: StoredResource): Promise<void> {
  if (context.profile?.deprovisioning !== "removeFromOrganisation" || before["active"] === false || after.document["active"] !== false) return;
  const groups = (await session.listGroupsOf(context.tenant.id, [after.id])).get(after.id) ?? [];
  for (const group of groups) {
    await session.removeMembers(context.tenant.id, group.value, [after.id]);
    const stored = await session.findResource(context.tenant.id, "Group", group.value, { lock: true });
    if (stored !== undefined) await session.touchResource(context.tenant.id, stored.id, now(), stored.version + 1);
  }
}

/**
 * An update is judged against the stored document: a value it leaves as stored is never refused
 * (the identity provider can always deactivate, whatever the profile allows since), only reported.
 */
function judgedAgainst(context: ScimContext, existing: StoredResource): RuleBaseline {
  return context.notes === undefined ? { stored: existing.document } : { stored: existing.document, notes: context.notes };
}

export async function replaceResource(
  context: ScimContext,
  kind: ResourceKind,
  id: string,
  body: unknown,
  ifMatch: string | undefined,
  projection: Projection,
): Promise<ServedResource> {
  const schema = context.schemas.byKind[kind];
  const split = kind === "Group" ? takeExternal(body, "members") : { body, value: undefined, present: false };
  const memberInputs = kind === "Group" ? parseMemberInputs(split.value, "members") : [];
  return context.store.transaction(async (session) => {
    const existing = await visibleOrNotFound(context, session, kind, id, await session.findResource(context.tenant.id, kind, id, { lock: true }));
    assertIfMatch(ifMatch, existing.version);
    const { document: parsed, keptAsStored } = unwrap(parseResourceInput(split.body, schema, { mode: "replace", existing: existing.document }));
    if (kind === "User") noteKeptAsStored(context.notes, keptAsStored);
    // An update the profile ignores changes nothing, and the rules judge only what the request changes (docs/profiles.md).
    const kept = kind === "User" ? keepIgnoredUpdates(context.profile, existing.document, parsed, context.notes) : parsed;
    const document = kind === "User" ? await applyProfileRules(context.profile, session, context.tenant.id, kept, judgedAgainst(context, existing)) : kept;
    if (kind === "User") notePassword(context.profile, split.body, context.notes);
    const next: StoredResource = { ...existing, document, lastModified: now(), version: existing.version + 1 };
    await session.updateResource(next).catch(conflictAsScim);
    if (kind === "User") await applyDeprovisioning(context, session, existing.document, next);
    if (kind === "Group") {
      // RFC 7644 §3.5.1: PUT replaces the resource; omitted members mean no members.
      const members = await resolveReplacingMembers(context, session, id, memberInputs);
      await session.removeAllMembers(context.tenant.id, id);
      if (members.length > 0) await session.addMembers(context.tenant.id, id, members);
    }
    return serveOne(context, session, next, projection);
  });
}

/**
 * The members of a write that replaces a group's members (PUT, PATCH replace of `members`).
 * A member the group already has stays even when SCIM may no longer name it (a profile made
 * unmanaged users invisible since): the identity provider repeats it to remove the others,
 * and a write is judged on what it changes (docs/decisions/0020). Any other member must be
 * one SCIM may name, as resolveMembers checks. The stored members are read only when that
 * check fails, so the usual write costs nothing more.
 */
async function resolveReplacingMembers(
  context: ScimContext,
  session: StoreSession,
  groupId: string,
  inputs: readonly MemberInput[],
): Promise<MemberRef[]> {
  try {
    return await resolveMembers(session, context.tenant.id, groupId, inputs, context.visibility, shadowedById(context, session));
  } catch (error) {
    if (!(error instanceof ScimError) || error.code !== "invalidValue") throw error;
    const current = new Map((await session.listMembers(context.tenant.id, groupId)).map((member) => [member.value, member.type] as const));
    const kept = inputs.filter((input) => current.has(input.value) && (input.type === undefined || input.type.toLowerCase() === current.get(input.value)?.toLowerCase()));
    if (kept.length === 0) throw error;
    const keptIds = new Set(kept.map((input) => input.value));
    const others = await resolveMembers(session, context.tenant.id, groupId, inputs.filter((input) => !keptIds.has(input.value)), context.visibility, shadowedById(context, session));
    return [...[...keptIds].map((id) => ({ id, kind: current.get(id) as ResourceKind })), ...others];
  }
}

/**
 * The ids a member filter names when it is `value eq "…"` or an `or` of such terms; else
 * undefined. `members.value` compares exactly (decision 0007), as the rows' member ids do.
 */
function namedMemberIds(filter: ResolvedFilter): string[] | undefined {
  switch (filter.kind) {
    case "compare":
      return filter.op === "eq" && typeof filter.value === "string" && filter.path.attribute.name === "members" && filter.path.subAttribute?.name === "value"
        ? [filter.value]
        : undefined;
    case "or": {
      const left = namedMemberIds(filter.left);
      const right = left === undefined ? undefined : namedMemberIds(filter.right);
      return left === undefined || right === undefined ? undefined : [...left, ...right];
    }
    default:
      return undefined;
  }
}

async function applyExternalChanges(
  context: ScimContext,
  session: StoreSession,
  groupId: string,
  changes: readonly ExternalChange[],
): Promise<boolean> {
  let changed = false;
  const tenantId = context.tenant.id;
  for (const change of changes) {
    switch (change.kind) {
      case "add": {
        const members = await resolveMembers(session, tenantId, groupId, parseMemberInputs(change.values, "members"), context.visibility, shadowedById(context, session));
        changed = (await session.addMembers(tenantId, groupId, members)).length > 0 || changed;
        break;
      }
      case "replaceAll": {
        const members = await resolveReplacingMembers(context, session, groupId, parseMemberInputs(change.values, "members"));
        const removed = await session.removeAllMembers(tenantId, groupId);
        const added = members.length > 0 ? await session.addMembers(tenantId, groupId, members) : [];
        changed = removed > 0 || added.length > 0 || changed;
        break;
      }
      case "removeAll":
        changed = (await session.removeAllMembers(tenantId, groupId)) > 0 || changed;
        break;
      case "remove": {
        // Okta's removal, `members[value eq "…"]`, names the ids: delete those rows directly
        // (the DELETE answers which were members) instead of listing the matches first.
        const named = namedMemberIds(change.filter);
        if (named !== undefined) {
          changed = (await session.removeMembers(tenantId, groupId, named)).length > 0 || changed;
          break;
        }
        const matching = await session.listMembers(tenantId, groupId, change.filter);
        if (matching.length > 0) {
          const removed = await session.removeMembers(tenantId, groupId, matching.map((member) => member.value));
          changed = removed.length > 0 || changed;
        }
        break;
      }
      case "removeValues": {
        const removed = await session.removeMembers(tenantId, groupId, change.values);
        changed = removed.length > 0 || changed;
        break;
      }
      default: {
        const exhaustive: never = change;
        throw new Error(`unhandled external change ${JSON.stringify(exhaustive)}`);
      }
    }
  }
  return changed;
}

/**
 * Attributes held outside the document that a PATCH may change (Group `members`). A readOnly
 * one (User `groups`) is left to applyPatch's mutability rules: 400 by path, ignored in a
 * path-less value — never a silent 200 that changed nothing.
 */
function patchableExternal(schema: ResourceSchema, kind: ResourceKind): ReadonlySet<string> {
  const readOnly = (name: string) => schema.core.attributes.find((attribute) => attribute.name === name)?.mutability === "readOnly";
  return new Set([...EXTERNAL_ATTRIBUTES[kind]].filter((name) => !readOnly(name)));
}

/**
 * RFC 7644 §3.5.2. The whole request applies in one transaction or not at all.
 * Returns undefined when the caller should answer 204 (a Group patched without a
 * projection: its members are not serialised back, so the cost of adding one member
 * does not grow with the group).
 */
export async function patchResource(
  context: ScimContext,
  kind: ResourceKind,
  id: string,
  body: unknown,
  ifMatch: string | undefined,
  projection: Projection,
  respondWithBody: boolean,
): Promise<ServedResource | { readonly version: number; readonly location: string }> {
  const schema = context.schemas.byKind[kind];
  const operations = unwrap(parsePatchRequest(body, schema));
  return context.store.transaction(async (session) => {
    const existing = await visibleOrNotFound(context, session, kind, id, await session.findResource(context.tenant.id, kind, id, { lock: true }));
    assertIfMatch(ifMatch, existing.version);
    const result = unwrap(applyPatch(existing.document, operations, schema, { externalAttributes: patchableExternal(schema, kind) }));
    const membersChanged =
      kind === "Group" && result.external.length > 0 ? await applyExternalChanges(context, session, id, result.external) : false;
    let current = existing;
    if (kind === "User") notePassword(context.profile, body, context.notes);
    if (kind === "User" && result.changed) noteKeptAsStored(context.notes, result.keptAsStored);
    // An update the profile ignores changes nothing, and the rules judge only what the request changes (docs/profiles.md).
    const kept = result.changed && kind === "User" ? keepIgnoredUpdates(context.profile, existing.document, result.document, context.notes) : result.document;
    const document =
      result.changed && kind === "User" ? await applyProfileRules(context.profile, session, context.tenant.id, kept, judgedAgainst(context, existing)) : kept;
    // Everything the PATCH changed may have been an ignored update: then nothing is written.
    const onlyIgnored = kept !== result.document && JSON.stringify(document) === JSON.stringify(existing.document);
    if (result.changed && !onlyIgnored) {
      current = { ...existing, document, lastModified: now(), version: existing.version + 1 };
      await session.updateResource(current).catch(conflictAsScim);
      if (kind === "User") await applyDeprovisioning(context, session, existing.document, current);
    } else if (membersChanged) {
      current = { ...existing, lastModified: now(), version: existing.version + 1 };
      await session.touchResource(context.tenant.id, id, current.lastModified, current.version);
    }
    if (!respondWithBody) return { version: current.version, location: resourceLocation(context, kind, id) };
    return serveOne(context, session, current, projection);
  });
}

export async function deleteResource(
  context: ScimContext,
  kind: ResourceKind,
  id: string,
  ifMatch: string | undefined,
): Promise<void> {
  await context.store.transaction(async (session) => {
    const existing = await visibleOrNotFound(context, session, kind, id, await session.findResource(context.tenant.id, kind, id, { lock: true }));
    assertIfMatch(ifMatch, existing.version);
    // An unmanaged user (visible to the IdP) may own SCIM tokens: the request log says they stopped.
    const owned = kind === "User" && existing.managed === false ? await tokensOwnedBy(session, context.tenant.id, id) : [];
    await session.deleteResource(context.tenant.id, kind, id);
    if (owned.length > 0) {
      context.notes?.push(`the deleted user owned ${owned.length} SCIM token(s), which no longer work: ${owned.map((token) => `${token.id} ("${token.name}")`).join(", ")}`);
    }
  });
}

export type { ScimDocument };
