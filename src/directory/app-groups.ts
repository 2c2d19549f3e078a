import { randomUUID } from "node:crypto";
import { ScimError, unwrap } from "../scim/errors.js";
import { parseScimFilter } from "../scim/filter/parse.js";
import { resolveFilter } from "../scim/filter/resolve.js";
import { parseResourceInput } from "../scim/resource/parse-resource.js";
import { GROUP_SCHEMA } from "../scim/schema/core-schemas.js";
import { countCharacters, IDENTIFIER_MAX_LENGTH, isLongerThan } from "../scim/schema/limits.js";
import type { ScimDocument, StoredResource, StoreSession } from "../store/store.js";
import { AppError, appErrorFromScim } from "./app-errors.js";
import { type AppPage, booleanParam, objectBody, parsePaging, stringParam, withCursor } from "./app-paging.js";
import { type AppContext, managedRefusal } from "./app-users.js";
import { now } from "./clock.js";
import { tenantSchemas } from "./schemas.js";

export interface AppGroup {
  readonly id: string;
  readonly displayName: string;
  readonly externalId: string | null;
  readonly managed: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface AppMember {
  readonly id: string;
  readonly type: "User" | "Group";
  /** The member's displayName, falling back to its userName. */
  readonly display: string | null;
}

/** The fields POST and PATCH groups take. */
export const GROUP_FIELDS = ["displayName", "externalId"] as const;
/** The filters GET groups takes (besides limit and cursor). */
export const GROUP_QUERY = ["displayName", "externalId", "managed"] as const;
/** The field POST groups/<id>/members takes. */
export const MEMBER_FIELDS = ["userId"] as const;

export function toAppGroup(resource: StoredResource): AppGroup {
  const { displayName, externalId } = resource.document;
  return {
    id: resource.id,
    displayName: typeof displayName === "string" ? displayName : "",
    externalId: typeof externalId === "string" ? externalId : null,
    managed: resource.managed !== false,
    createdAt: resource.created,
    updatedAt: resource.lastModified,
  };
}

function groupNotFound(id: string): AppError {
  return new AppError("notFound", `group "${id}" not found in this tenant`);
}

async function findGroup(context: AppContext, session: StoreSession, id: string, lock = false): Promise<StoredResource> {
  const group = await session.findResource(context.tenant.id, "Group", id, { lock });
  if (group === undefined) throw groupNotFound(id);
  return group;
}

/** GET groups: `displayName` (ignoring case), `externalId`, `managed`; cursor paging. */
export async function listAppGroups(context: AppContext, query: Readonly<Record<string, unknown>>): Promise<AppPage<AppGroup>> {
  const paging = parsePaging(query);
  const displayName = stringParam(query, "displayName");
  const externalId = stringParam(query, "externalId");
  const managed = booleanParam(query, "managed");
  const terms = [
    ...(displayName === undefined ? [] : [`displayName eq ${JSON.stringify(displayName)}`]),
    ...(externalId === undefined ? [] : [`externalId eq ${JSON.stringify(externalId)}`]),
  ];
  const filter =
    terms.length === 0 ? undefined : unwrap(resolveFilter(unwrap(parseScimFilter(terms.join(" and "))), tenantSchemas().byKind.Group));
  return context.store.transaction(async (session) => {
    const page = await withCursor(() =>
      session.queryResources(context.tenant.id, "Group", {
        count: paging.limit,
        cursor: paging.cursor,
        ...(filter === undefined ? {} : { filter }),
        ...(managed === undefined ? {} : { managed }),
      }),
    );
    return { data: page.resources.map(toAppGroup), nextCursor: page.nextCursor ?? null };
  });
}

export async function getAppGroup(context: AppContext, id: string): Promise<AppGroup> {
  return context.store.transaction(async (session) => toAppGroup(await findGroup(context, session, id)));
}

function groupDocument(existing: ScimDocument, fields: Readonly<Record<string, unknown>>): ScimDocument {
  const next: Record<string, unknown> = { ...existing, schemas: [GROUP_SCHEMA.id] };
  for (const field of GROUP_FIELDS) {
    if (!(field in fields)) continue;
    const value = fields[field];
    if (value === null && field === "externalId") delete next[field];
    else if (typeof value !== "string" || (field === "displayName" && value.trim() === "")) {
      throw new AppError("invalidRequest", `${field}: expected a ${field === "displayName" ? "non-empty " : ""}string, got ${JSON.stringify(value)}`);
    } else next[field] = value;
  }
  const result = parseResourceInput(next, tenantSchemas().byKind.Group, { mode: "create" });
  if (!result.ok) throw appErrorFromScim(ScimError.fromIssue(result.issue));
  return result.value.document;
}

/** POST groups: an unmanaged group; it may share its displayName with a managed one. */
export async function createAppGroup(context: AppContext, body: unknown): Promise<AppGroup> {
  const fields = objectBody(body, GROUP_FIELDS, "group");
  if (typeof fields["displayName"] !== "string") throw new AppError("invalidRequest", "displayName: required, a non-empty string");
  const timestamp = now();
  const resource: StoredResource = {
    tenantId: context.tenant.id,
    id: randomUUID(),
    kind: "Group",
    document: groupDocument({}, fields),
    created: timestamp,
    lastModified: timestamp,
    version: 1,
    managed: false,
  };
  await context.store.transaction((session) => session.insertResource(resource));
  return toAppGroup(resource);
}

export async function updateAppGroup(context: AppContext, id: string, body: unknown): Promise<AppGroup> {
  const fields = objectBody(body, GROUP_FIELDS, "group");
  return context.store.transaction(async (session) => {
    const existing = await findGroup(context, session, id, true);
    if (existing.managed !== false) throw managedRefusal("group", id, "rename it");
    const next: StoredResource = { ...existing, document: groupDocument(existing.document, fields), lastModified: now(), version: existing.version + 1 };
    await session.updateResource(next);
    return toAppGroup(next);
  });
}

export async function deleteAppGroup(context: AppContext, id: string): Promise<void> {
  await context.store.transaction(async (session) => {
    const existing = await findGroup(context, session, id, true);
    if (existing.managed !== false) throw managedRefusal("group", id, "delete it");
    await session.deleteResource(context.tenant.id, "Group", id);
  });
}

/** GET groups/<id>/members: ordered by member id; the cursor is the last id of the previous page. */
export async function listAppGroupMembers(context: AppContext, id: string, query: Readonly<Record<string, unknown>>): Promise<AppPage<AppMember>> {
  const paging = parsePaging(query);
  let after: string | undefined;
  if (paging.cursor !== "") {
    after = Buffer.from(paging.cursor, "base64url").toString("utf8");
    if (!after.startsWith("m:")) throw new AppError("invalidCursor", "cursor: not a members cursor; pass nextCursor unchanged");
    after = after.slice(2);
  }
  return context.store.transaction(async (session) => {
    await findGroup(context, session, id);
    const rows = await session.listMembersPage(context.tenant.id, id, { limit: paging.limit + 1, ...(after === undefined ? {} : { after }) });
    const data = rows.slice(0, paging.limit).map((member) => ({ id: member.value, type: member.type, display: member.display }));
    const last = data[data.length - 1];
    const nextCursor = rows.length > paging.limit && last !== undefined ? Buffer.from(`m:${last.id}`, "utf8").toString("base64url") : null;
    return { data, nextCursor };
  });
}

/** Changing a managed group's members is refused: the identity provider pushes them. */
async function changeMembers(context: AppContext, session: StoreSession, groupId: string): Promise<StoredResource> {
  const group = await findGroup(context, session, groupId, true);
  if (group.managed !== false) throw managedRefusal("group", groupId, "change its members");
  return group;
}

/** POST groups/<id>/members `{"userId"}`: true when added, false when already a member. */
export async function addAppGroupMember(context: AppContext, groupId: string, body: unknown): Promise<boolean> {
  const fields = objectBody(body, MEMBER_FIELDS, "member");
  const userId = fields["userId"];
  if (typeof userId !== "string" || userId === "") throw new AppError("invalidRequest", "userId: required, the id of a user of this tenant");
  if (userId.includes("\u0000")) throw new AppError("invalidRequest", "userId: no user id contains the NUL character (U+0000)");
  if (isLongerThan(userId, IDENTIFIER_MAX_LENGTH)) {
    throw new AppError("invalidRequest", `userId: expected at most ${IDENTIFIER_MAX_LENGTH} characters, got ${countCharacters(userId)}`);
  }
  return context.store.transaction(async (session) => {
    const group = await changeMembers(context, session, groupId);
    if ((await session.findResource(context.tenant.id, "User", userId)) === undefined) {
      throw new AppError("invalidRequest", `userId: no user "${userId}" exists in this tenant`);
    }
    const added = await session.addMembers(context.tenant.id, groupId, [{ id: userId, kind: "User" }]);
    if (added.length > 0) await session.touchResource(context.tenant.id, groupId, now(), group.version + 1);
    return added.length > 0;
  });
}

/** DELETE groups/<id>/members/<userId>: 404 when the user is not a member. */
export async function removeAppGroupMember(context: AppContext, groupId: string, userId: string): Promise<void> {
  await context.store.transaction(async (session) => {
    const group = await changeMembers(context, session, groupId);
    const removed = await session.removeMembers(context.tenant.id, groupId, [userId]);
    if (removed.length === 0) throw new AppError("notFound", `user "${userId}" is not a member of group "${groupId}"`);
    await session.touchResource(context.tenant.id, groupId, now(), group.version + 1);
  });
}
