import { newTimeOrderedId } from "./ids.js";
import { ScimError, unwrap } from "../scim/errors.js";
import { parseScimFilter } from "../scim/filter/parse.js";
import { resolveFilter } from "../scim/filter/resolve.js";
import { parseResourceInput } from "../scim/resource/parse-resource.js";
import { USER_SCHEMA } from "../scim/schema/core-schemas.js";
import {
  type GroupRef,
  type ScimDocument,
  type Store,
  StoreConflictError,
  type StoredResource,
  type StoreSession,
  type Tenant,
} from "../store/store.js";
import { AppError, appErrorFromScim } from "./app-errors.js";
import { type AppPage, booleanParam, objectBody, parsePaging, stringParam, withCursor } from "./app-paging.js";
import { type AppViewContext, deriveAppView, needsDeclaredRoles, PLAIN_VIEW_CONTEXT } from "./app-view.js";
import { now } from "./clock.js";
import { ROLES_LIST } from "./lists.js";
import { applyDefaults, assertIdentityRules } from "./profile-rules.js";
import { ENTERPRISE_NAMESPACE, type TenantProfile } from "./profiles.js";
import { tenantSchemas } from "./schemas.js";
import { tokensOwnedBy } from "./tokens.js";

/** What every management API use case needs: the store and the tenant the API key was accepted for. */
export interface AppContext {
  readonly store: Store;
  readonly tenant: Tenant;
  /** The tenant's profile; plain SCIM (EMPTY_PROFILE) when absent. */
  readonly profile?: TenantProfile;
}

export interface AppEmail {
  readonly value: string;
  readonly type: string | null;
  readonly primary: boolean;
}

export interface AppPhoneNumber {
  readonly value: string;
  readonly type: string | null;
  readonly primary: boolean;
}

export interface AppAddress {
  readonly formatted: string | null;
  readonly streetAddress: string | null;
  readonly locality: string | null;
  readonly region: string | null;
  readonly postalCode: string | null;
  readonly country: string | null;
  readonly type: string | null;
  readonly primary: boolean;
}

/** The enterprise extension's manager: `value` as the identity provider sent it (RFC 7643: the manager's id). */
export interface AppManager {
  readonly value: string | null;
  readonly displayName: string | null;
}

/**
 * A user as the application sees it (issue 4). `roles`, `admin` and `attributes` are what
 * the tenant profile derives from the provisioned data (roles from an attribute or groups,
 * an admin flag, declared custom attributes); without a profile they are [], false and {}.
 */
export interface AppUser {
  readonly id: string;
  readonly userName: string;
  readonly displayName: string | null;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly emails: readonly AppEmail[];
  readonly active: boolean;
  readonly managed: boolean;
  readonly roles: readonly string[];
  readonly admin: boolean;
  readonly groups: readonly { readonly id: string; readonly displayName: string | null }[];
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly timezone: string | null;
  readonly title: string | null;
  readonly locale: string | null;
  readonly preferredLanguage: string | null;
  readonly phoneNumbers: readonly AppPhoneNumber[];
  readonly addresses: readonly AppAddress[];
  /** The enterprise extension's attributes (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`). */
  readonly employeeNumber: string | null;
  readonly costCenter: string | null;
  readonly organization: string | null;
  readonly division: string | null;
  readonly department: string | null;
  readonly manager: AppManager | null;
  readonly externalId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** The fields POST and PATCH users take. */
export const USER_FIELDS = ["userName", "displayName", "givenName", "familyName", "emails", "active", "timezone", "externalId"] as const;
/** The filters GET users takes (besides limit and cursor). */
export const USER_QUERY = ["email", "userName", "externalId", "active", "managed"] as const;
const STRING_FIELDS = ["userName", "displayName", "givenName", "familyName", "timezone", "externalId"] as const;

function text(document: ScimDocument, key: string): string | null {
  const value = document[key];
  return typeof value === "string" ? value : null;
}

function record(value: unknown): ScimDocument | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as ScimDocument) : undefined;
}

function records(value: unknown): ScimDocument[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item): ScimDocument[] => {
    const found = record(item);
    return found === undefined ? [] : [found];
  });
}

function manager(enterprise: ScimDocument): AppManager | null {
  const value = record(enterprise["manager"]);
  if (value === undefined) return null;
  const result = { value: text(value, "value"), displayName: text(value, "displayName") };
  return result.value === null && result.displayName === null ? null : result;
}

export function toAppUser(resource: StoredResource, groups: readonly GroupRef[], view: AppViewContext = PLAIN_VIEW_CONTEXT): AppUser {
  const document = resource.document;
  const derived = deriveAppView(view, document, groups);
  const name = typeof document["name"] === "object" && document["name"] !== null ? (document["name"] as ScimDocument) : {};
  const emails = Array.isArray(document["emails"]) ? (document["emails"] as unknown[]) : [];
  const enterprise = record(document[ENTERPRISE_NAMESPACE]) ?? {};
  return {
    id: resource.id,
    userName: text(document, "userName") ?? "",
    displayName: text(document, "displayName"),
    givenName: text(name, "givenName"),
    familyName: text(name, "familyName"),
    emails: emails.flatMap((email): AppEmail[] => {
      if (typeof email !== "object" || email === null) return [];
      const record = email as ScimDocument;
      const value = text(record, "value");
      return value === null ? [] : [{ value, type: text(record, "type"), primary: record["primary"] === true }];
    }),
    // RFC 7643 leaves a missing `active` open; a user the IdP never deactivated counts as active.
    active: document["active"] !== false,
    managed: resource.managed !== false,
    roles: derived.roles,
    admin: derived.admin,
    groups: groups.map((group) => ({ id: group.value, displayName: group.display })),
    attributes: derived.attributes,
    timezone: text(document, "timezone"),
    title: text(document, "title"),
    locale: text(document, "locale"),
    preferredLanguage: text(document, "preferredLanguage"),
    phoneNumbers: records(document["phoneNumbers"]).flatMap((phone): AppPhoneNumber[] => {
      const value = text(phone, "value");
      return value === null ? [] : [{ value, type: text(phone, "type"), primary: phone["primary"] === true }];
    }),
    addresses: records(document["addresses"]).map(
      (address): AppAddress => ({
        formatted: text(address, "formatted"),
        streetAddress: text(address, "streetAddress"),
        locality: text(address, "locality"),
        region: text(address, "region"),
        postalCode: text(address, "postalCode"),
        country: text(address, "country"),
        type: text(address, "type"),
        primary: address["primary"] === true,
      }),
    ),
    employeeNumber: text(enterprise, "employeeNumber"),
    costCenter: text(enterprise, "costCenter"),
    organization: text(enterprise, "organization"),
    division: text(enterprise, "division"),
    department: text(enterprise, "department"),
    manager: manager(enterprise),
    externalId: text(document, "externalId"),
    createdAt: resource.created,
    updatedAt: resource.lastModified,
  };
}

async function serve(session: StoreSession, tenantId: string, resources: readonly StoredResource[], profile?: TenantProfile): Promise<AppUser[]> {
  const groups = await session.listGroupsOf(tenantId, resources.map((resource) => resource.id));
  const view: AppViewContext =
    profile === undefined
      ? PLAIN_VIEW_CONTEXT
      : { profile, declaredRoles: needsDeclaredRoles(profile) ? ((await session.findList(tenantId, ROLES_LIST)) ?? []) : [] };
  return resources.map((resource) => toAppUser(resource, groups.get(resource.id) ?? [], view));
}

function userNotFound(id: string): AppError {
  return new AppError("notFound", `user "${id}" not found in this tenant`);
}

/** The identity provider is the source of truth for what it created (docs/decisions/0009). */
export function managedRefusal(kind: "user" | "group", id: string, what: string): AppError {
  return new AppError(
    "managedByIdentityProvider",
    `${kind} "${id}" is managed by the identity provider (it was created over SCIM); ${what} there, not through the management API`,
  );
}

/** GET users: `email` (any email, ignoring case), `userName` (ignoring case), `externalId`, `active`, `managed`; cursor paging. */
export async function listAppUsers(context: AppContext, query: Readonly<Record<string, unknown>>): Promise<AppPage<AppUser>> {
  const paging = parsePaging(query);
  const terms: string[] = [];
  const email = stringParam(query, "email");
  const userName = stringParam(query, "userName");
  const externalId = stringParam(query, "externalId");
  const active = booleanParam(query, "active");
  const managed = booleanParam(query, "managed");
  if (email !== undefined) terms.push(`emails.value eq ${JSON.stringify(email)}`);
  if (userName !== undefined) terms.push(`userName eq ${JSON.stringify(userName)}`);
  if (externalId !== undefined) terms.push(`externalId eq ${JSON.stringify(externalId)}`);
  // A user without `active` counts as active (toAppUser).
  if (active !== undefined) terms.push(active ? "not (active eq false)" : "active eq false");
  // Compiled to SQL by the store like any SCIM filter: indexed columns, no filtering in memory.
  const filter =
    terms.length === 0 ? undefined : unwrap(resolveFilter(unwrap(parseScimFilter(terms.join(" and "))), tenantSchemas().byKind.User));
  return context.store.transaction(async (session) => {
    const page = await withCursor(() =>
      session.queryResources(context.tenant.id, "User", {
        count: paging.limit,
        cursor: paging.cursor,
        ...(filter === undefined ? {} : { filter }),
        ...(managed === undefined ? {} : { managed }),
      }),
    );
    return { data: await serve(session, context.tenant.id, page.resources, context.profile), nextCursor: page.nextCursor ?? null };
  });
}

export async function getAppUser(context: AppContext, id: string): Promise<AppUser> {
  return context.store.transaction(async (session) => {
    const resource = await session.findResource(context.tenant.id, "User", id);
    if (resource === undefined) throw userNotFound(id);
    return (await serve(session, context.tenant.id, [resource], context.profile))[0] as AppUser;
  });
}

/** Applies the application's fields to a SCIM user document: a null removes the field. */
function applyFields(document: ScimDocument, fields: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const next: Record<string, unknown> = { ...document };
  const name: Record<string, unknown> = typeof next["name"] === "object" && next["name"] !== null ? { ...(next["name"] as object) } : {};
  for (const field of USER_FIELDS) {
    if (!(field in fields)) continue;
    const value = fields[field];
    if (value === null && (field === "userName" || field === "active")) {
      throw new AppError("invalidRequest", `${field}: cannot be null`);
    }
    if (value !== null && (STRING_FIELDS as readonly string[]).includes(field) && typeof value !== "string") {
      throw new AppError("invalidRequest", `${field}: expected a string, got ${JSON.stringify(value)}`);
    }
    if (field === "active" && typeof value !== "boolean") throw new AppError("invalidRequest", `active: expected true or false, got ${JSON.stringify(value)}`);
    if (field === "emails" && value !== null && !Array.isArray(value)) {
      throw new AppError("invalidRequest", `emails: expected an array of {"value", "type", "primary"}, got ${JSON.stringify(value)}`);
    }
    const target = field === "givenName" || field === "familyName" ? name : next;
    if (value === null) delete target[field];
    else target[field] = value;
  }
  if (Object.keys(name).length > 0) next["name"] = name;
  else delete next["name"];
  next["schemas"] = [USER_SCHEMA.id];
  return next;
}

/** Checked against the tenant's schemas: a user SCIM can see (a profile's visible unmanaged users) may hold declared attributes. */
function validated(profile: TenantProfile | undefined, document: Record<string, unknown>, existing?: ScimDocument): ScimDocument {
  const result = parseResourceInput(document, tenantSchemas(profile).byKind.User, existing === undefined ? { mode: "create" } : { mode: "replace", existing });
  if (!result.ok) throw appErrorFromScim(ScimError.fromIssue(result.issue));
  return result.value.document;
}

/**
 * A user the identity provider can see (the profile's `unmanagedUsers.visible`) is one it may
 * import, so it gets the same identity defaults and rules as a SCIM-created user: defaults fill
 * what is missing or blank, and what the request sets must satisfy the rules. Like SCIM writes,
 * only what changes is judged (the stored document as baseline, docs/decisions/0020): a stored
 * value the profile has since narrowed does not block an unrelated change. A user the identity
 * provider cannot see is the application's alone.
 */
function withIdentityRules(profile: TenantProfile | undefined, document: ScimDocument, existing?: ScimDocument): ScimDocument {
  if (profile === undefined || !profile.unmanagedUsers.visible) return document;
  const completed = applyDefaults(profile, document);
  try {
    assertIdentityRules(profile.identity, completed, existing === undefined ? undefined : { stored: applyDefaults(profile, existing) });
  } catch (error) {
    if (error instanceof ScimError) throw appErrorFromScim(error);
    throw error;
  }
  return completed;
}

function userNameTaken(error: unknown): never {
  if (error instanceof StoreConflictError && error.constraint === "user.userName") {
    throw new AppError("userNameTaken", "userName is already taken by another application user of this tenant (compared ignoring case)");
  }
  throw error;
}

/** POST users: an unmanaged user; `active` defaults to true. */
export async function createAppUser(context: AppContext, body: unknown): Promise<AppUser> {
  const fields = objectBody(body, USER_FIELDS, "user");
  if (typeof fields["userName"] !== "string" || fields["userName"].trim() === "") {
    throw new AppError("invalidRequest", "userName: required, a non-empty string");
  }
  const document = validated(context.profile, withIdentityRules(context.profile, applyFields({ active: true }, fields)));
  const timestamp = now();
  const resource: StoredResource = {
    tenantId: context.tenant.id,
    id: newTimeOrderedId(),
    kind: "User",
    document,
    created: timestamp,
    lastModified: timestamp,
    version: 1,
    managed: false,
  };
  return context.store.transaction(async (session) => {
    await session.insertResource(resource).catch(userNameTaken);
    return (await serve(session, context.tenant.id, [resource], context.profile))[0] as AppUser;
  });
}

/**
 * PATCH users/<id>: changes the given fields of an unmanaged user (null removes one).
 * `{"active": false}` makes the user's tokens stop working at once. A managed user is refused.
 */
export async function updateAppUser(context: AppContext, id: string, body: unknown): Promise<AppUser> {
  const fields = objectBody(body, USER_FIELDS, "user");
  return context.store.transaction(async (session) => {
    const existing = await session.findResource(context.tenant.id, "User", id, { lock: true });
    if (existing === undefined) throw userNotFound(id);
    if (existing.managed !== false) throw managedRefusal("user", id, "change or deactivate it");
    const document = validated(context.profile, withIdentityRules(context.profile, applyFields(existing.document, fields), existing.document), existing.document);
    const next: StoredResource = { ...existing, document, lastModified: now(), version: existing.version + 1 };
    await session.updateResource(next).catch(userNameTaken);
    return (await serve(session, context.tenant.id, [next], context.profile))[0] as AppUser;
  });
}

/** What deleting a user stopped besides the user: the unrevoked SCIM tokens it owned. */
export interface DeletedAppUser {
  readonly tokensStopped: readonly { readonly id: string; readonly name: string }[];
}

/**
 * DELETE users/<id>: removes an unmanaged user, its memberships and (through their principal)
 * its tokens' validity; returns the tokens that stopped working, so the answer can say so.
 */
export async function deleteAppUser(context: AppContext, id: string): Promise<DeletedAppUser> {
  return context.store.transaction(async (session) => {
    const existing = await session.findResource(context.tenant.id, "User", id, { lock: true });
    if (existing === undefined) throw userNotFound(id);
    if (existing.managed !== false) throw managedRefusal("user", id, "deprovision it");
    const owned = await tokensOwnedBy(session, context.tenant.id, id);
    await session.deleteResource(context.tenant.id, "User", id);
    return { tokensStopped: owned.map((token) => ({ id: token.id, name: token.name })) };
  });
}
