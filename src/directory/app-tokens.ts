import type { Store, Tenant, TokenRecord } from "../store/store.js";
import { AppError } from "./app-errors.js";
import { type AppPage, booleanParam, objectBody, parsePaging } from "./app-paging.js";
import type { AuditActor } from "./audit.js";
import { parseTokenExpiry } from "./token-expiry.js";
import { checkSecret, createToken, type OwnerState, ownerState, ownerStates, revokeToken, TokenError } from "./tokens.js";

// SCIM tokens through the management API (docs/management-api.md#scim-tokens): the same
// createToken and revokeToken as `roster tokens`, with the API's input checks and views.

/** The fields POST scim-tokens takes. */
export const TOKEN_CREATE_FIELDS = ["name", "secret", "principal", "expiresAt"] as const;
/** The query parameters GET scim-tokens reads besides paging. */
export const TOKEN_QUERY = ["revoked"] as const;

export const MAX_TOKEN_NAME_LENGTH = 200;
const MAX_PRINCIPAL_LENGTH = 512;

/** A SCIM token as the API shows it: never its secret or hash. */
export interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  /** The application user the token belongs to and that user's state now; null for a token of the tenant alone. */
  readonly principal: { readonly id: string; readonly state: OwnerState } | null;
}

/** What POST scim-tokens answers: the token, where the identity provider sends it, and its secret once (not for an admin-entered one). */
export interface CreatedTokenView extends TokenView {
  readonly token?: string;
  readonly scimBaseUrl: string;
}

export function toTokenView(record: TokenRecord, state: OwnerState | undefined): TokenView {
  return {
    id: record.id,
    name: record.name,
    createdAt: record.created,
    lastUsedAt: record.lastUsed,
    expiresAt: record.expiresAt ?? null,
    revokedAt: record.revoked,
    principal: record.principalId === undefined ? null : { id: record.principalId, state: state ?? "deleted" },
  };
}

/** The cursor of a token page: the last token's position and the filter it was issued under. */
interface TokenCursor {
  readonly created: string;
  readonly id: string;
  readonly revoked: boolean | null;
}

function encodeTokenCursor(cursor: TokenCursor): string {
  return Buffer.from(JSON.stringify([cursor.created, cursor.id, cursor.revoked])).toString("base64url");
}

function decodeTokenCursor(text: string, revoked: boolean | undefined): TokenCursor {
  const refuse = (): never => {
    throw new AppError("invalidCursor", "cursor: pass nextCursor unchanged, with the same revoked filter");
  };
  if (text.length > 400 || !/^[A-Za-z0-9_-]+$/.test(text)) return refuse();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return refuse();
  }
  if (!Array.isArray(decoded) || decoded.length !== 3) return refuse();
  const [created, id, filter] = decoded as unknown[];
  if (typeof created !== "string" || typeof id !== "string" || (filter !== null && typeof filter !== "boolean")) return refuse();
  if (filter !== (revoked ?? null)) return refuse();
  return { created, id, revoked: filter };
}

/** GET scim-tokens?revoked=&limit=&cursor=: the tenant's tokens newest first, each with its owner's state as read now. */
export async function listAppTokens(store: Store, tenant: Tenant, query: Readonly<Record<string, unknown>>): Promise<AppPage<TokenView>> {
  const { limit, cursor } = parsePaging(query);
  const revoked = booleanParam(query, "revoked");
  const after = cursor === "" ? undefined : decodeTokenCursor(cursor, revoked);
  return store.read(async (session) => {
    const records = await session.listTokensPage(tenant.id, {
      limit,
      ...(revoked === undefined ? {} : { revoked }),
      ...(after === undefined ? {} : { after: { created: after.created, id: after.id } }),
    });
    const states = await ownerStates(session, tenant.id, records);
    const data = records.map((record) => toTokenView(record, record.principalId === undefined ? undefined : states.get(record.principalId)));
    const last = records[records.length - 1];
    const nextCursor = records.length === limit && last !== undefined ? encodeTokenCursor({ created: last.created, id: last.id, revoked: revoked ?? null }) : null;
    return { data, nextCursor };
  });
}

/** GET scim-tokens/<id>: 404 for an unknown id or a token of another tenant. */
export async function getAppToken(store: Store, tenant: Tenant, id: string): Promise<TokenView> {
  return store.read(async (session) => {
    const found = await session.findToken(id);
    if (found === undefined || found.tenant.id !== tenant.id) throw tokenNotFound(tenant, id);
    const principalId = found.token.principalId;
    return toTokenView(found.token, principalId === undefined ? undefined : await ownerState(session, tenant.id, principalId));
  });
}

/**
 * POST scim-tokens `{"name"?, "secret"?, "principal"?, "expiresAt"?}`: issues a token as
 * `roster tokens create` does; 400 naming the field and the rule for bad input.
 */
export async function createAppToken(
  store: Store,
  tenant: Tenant,
  actor: AuditActor,
  scimBaseUrl: string,
  body: unknown,
  now: Date = new Date(),
): Promise<CreatedTokenView> {
  const input = objectBody(body ?? {}, TOKEN_CREATE_FIELDS, "scim token");
  const name = parseName(input["name"]);
  // null is the same as absent, for every optional field.
  const secret = input["secret"] ?? undefined;
  if (secret !== undefined) {
    if (typeof secret !== "string") throw new AppError("invalidRequest", `secret: expected a string, got ${JSON.stringify(typeof secret)}`);
    const problem = checkSecret(secret);
    if (problem !== undefined) throw new AppError("invalidRequest", problem);
  }
  const principal = input["principal"] ?? undefined;
  if (principal !== undefined && (typeof principal !== "string" || principal === "" || principal.length > MAX_PRINCIPAL_LENGTH)) {
    throw new AppError("invalidRequest", `principal: expected the id of an unmanaged user of tenant "${tenant.slug}" (at most ${MAX_PRINCIPAL_LENGTH} characters)`);
  }
  const rawExpiry = input["expiresAt"] ?? undefined;
  let expiresAt: string | undefined;
  if (rawExpiry !== undefined) {
    if (typeof rawExpiry !== "string") throw new AppError("invalidRequest", "expiresAt: expected an ISO 8601 time with its zone, such as 2027-06-30T00:00:00Z");
    const parsed = parseTokenExpiry(rawExpiry, now, "expiresAt");
    if (!parsed.ok) throw new AppError("invalidRequest", parsed.issue);
    expiresAt = parsed.value;
  }
  const options = {
    ...(principal === undefined ? {} : { principalId: principal }),
    ...(secret === undefined ? {} : { secret }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
  try {
    const issued = await createToken(store, tenant, actor, name, now, options);
    const view = toTokenView(issued.record, issued.record.principalId === undefined ? undefined : "active");
    return { ...view, ...(secret === undefined ? { token: issued.token } : {}), scimBaseUrl };
  } catch (error) {
    if (error instanceof TokenError) throw new AppError("invalidRequest", error.message);
    throw error;
  }
}

/**
 * DELETE scim-tokens/<id>: revokes it at once, in every process. Revoking a token already
 * revoked changes nothing and is not an error (a retried DELETE succeeds); 404 for an unknown
 * id or a token of another tenant.
 */
export async function revokeAppToken(store: Store, tenant: Tenant, actor: AuditActor, id: string): Promise<void> {
  const outcome = await revokeToken(store, actor, id, { tenant });
  if (!outcome.ok && outcome.reason === "notFound") throw tokenNotFound(tenant, id);
}

function tokenNotFound(tenant: Tenant, id: string): AppError {
  return new AppError("notFound", `SCIM token ${JSON.stringify(id)} does not exist in tenant "${tenant.slug}" (see GET /api/v1/tenants/${tenant.slug}/scim-tokens)`);
}

function parseName(value: unknown): string {
  if (value === undefined || value === null) return "unnamed";
  if (typeof value !== "string" || value === "" || value.length > MAX_TOKEN_NAME_LENGTH || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new AppError("invalidRequest", `name: expected 1-${MAX_TOKEN_NAME_LENGTH} characters without control characters, e.g. "okta"`);
  }
  return value;
}
