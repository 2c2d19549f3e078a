import * as crypto from "node:crypto";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { ReadSession, Store, StoredResource, StoreSession, Tenant, TokenRecord } from "../store/store.js";
import { type AuditActor, recordAudit } from "./audit.js";

/** Every SCIM bearer token starts with this, so leaked tokens are recognisable by secret scanners. */
export const TOKEN_PREFIX = "roster_";

const TOKEN_SHAPE = /^roster_[A-Za-z0-9_-]{43}$/;

/** `lastUsed` is written at most once per this many milliseconds per token. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export interface IssuedToken {
  readonly record: TokenRecord;
  /** The bearer secret; shown once, never stored. */
  readonly token: string;
}

export interface AuthenticatedToken {
  readonly tenant: Tenant;
  readonly token: TokenRecord;
}

/**
 * `crypto.hash` (Node.js 20.12 and later) digests in one call, without the Hash object
 * (a native object with a handle for the garbage collector) that `createHash` makes for
 * each of the tokens every SCIM request presents.
 */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

/** SHA-256 of the token, hex: the only form in which a token is stored. */
export function hashToken(token: string): string {
  return oneShotHash === undefined ? createHash("sha256").update(token, "utf8").digest("hex") : oneShotHash("sha256", token, "hex");
}

/** 256 random bits, base64url, behind `prefix`: the shape of generated tokens and API keys. */
export function generateSecret(prefix: string): string {
  return prefix + randomBytes(32).toString("base64url");
}

/** 256 random bits, base64url, behind TOKEN_PREFIX. */
export function generateToken(): string {
  return generateSecret(TOKEN_PREFIX);
}

export const MIN_SECRET_LENGTH = 32;
export const MAX_SECRET_LENGTH = 512;

const SECRET_RULES: readonly (readonly [RegExp, string])[] = [
  [/[A-Z]/, "upper-case letter (A-Z)"],
  [/[a-z]/, "lower-case letter (a-z)"],
  [/[0-9]/, "digit (0-9)"],
  [/[^A-Za-z0-9]/, "symbol (e.g. ! # % + - _ ~)"],
];

/**
 * Undefined when an admin-entered secret (Fluid's shared "SCIM Secret Token") is acceptable:
 * 32-512 printable ASCII characters without spaces, with upper- and lower-case letters,
 * digits and symbols. Otherwise a one-line message naming the first rule it fails.
 */
export function checkSecret(secret: string): string | undefined {
  const policy = `a secret needs ${MIN_SECRET_LENGTH}-${MAX_SECRET_LENGTH} characters with upper- and lower-case letters, digits and symbols`;
  if (secret.length < MIN_SECRET_LENGTH) return `secret is ${secret.length} characters long; ${policy}`;
  if (secret.length > MAX_SECRET_LENGTH) return `secret is ${secret.length} characters long; at most ${MAX_SECRET_LENGTH} are allowed`;
  const bad = [...secret].findIndex((c) => c < "!" || c > "~");
  if (bad >= 0) return `secret has a space, control or non-ASCII character at position ${bad + 1}; use printable ASCII only`;
  for (const [pattern, what] of SECRET_RULES) if (!pattern.test(secret)) return `secret has no ${what}; ${policy}`;
  return undefined;
}

export interface CreateTokenOptions {
  /** An unmanaged, active user of the tenant that the token belongs to: it stops working when that user is deactivated or deleted. */
  readonly principalId?: string;
  /** An admin-entered secret instead of a generated one; must pass checkSecret. */
  readonly secret?: string;
  /** When the token stops working: an ISO 8601 time parseTokenExpiry accepted (UTC, in the future). */
  readonly expiresAt?: string;
}

/** A token request refused (weak secret, unusable principal); `message` is one line fit for a user. */
export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenError";
  }
}

/** What the audit log keeps of a token: its settings, never its secret or hash. */
export function auditedToken(record: TokenRecord): Readonly<Record<string, unknown>> {
  return { name: record.name, principal: record.principalId ?? null, expiresAt: record.expiresAt ?? null, revokedAt: record.revoked };
}

/**
 * Issues a token for the tenant and stores only its hash; `actor` is recorded in the audit log
 * in the same transaction. Throws TokenError for a weak secret or an unusable principal.
 */
export async function createToken(
  store: Store,
  tenant: Tenant,
  actor: AuditActor,
  name: string,
  now: Date = new Date(),
  options: CreateTokenOptions = {},
): Promise<IssuedToken> {
  if (options.secret !== undefined) {
    const problem = checkSecret(options.secret);
    if (problem !== undefined) throw new TokenError(problem);
  }
  const token = options.secret ?? generateToken();
  const hash = hashToken(token);
  const record = await store.transaction(async (session) => {
    if (options.principalId !== undefined) await assertPrincipal(session, tenant, options.principalId);
    if (options.secret !== undefined && (await session.findActiveToken(hash)) !== undefined) {
      throw new TokenError("this secret is already the secret of an unrevoked token (working or expired); choose another (a secret identifies exactly one token)");
    }
    const principal = options.principalId === undefined ? {} : { principalId: options.principalId };
    const expiry = options.expiresAt === undefined ? {} : { expiresAt: options.expiresAt };
    const inserted = await session.insertToken({ id: randomUUID(), tenantId: tenant.id, name, hash, ...principal, ...expiry }, now.toISOString());
    await recordAudit(session, { tenant, actor, action: "token.created", target: inserted.id, after: auditedToken(inserted) }, now);
    return inserted;
  });
  return { record, token };
}

async function assertPrincipal(session: StoreSession, tenant: Tenant, id: string): Promise<void> {
  const user = await session.findResource(tenant.id, "User", id);
  if (user === undefined) throw new TokenError(`principal "${id}" is not a user of tenant "${tenant.slug}" (see GET /api/v1/tenants/${tenant.slug}/users)`);
  if (user.managed !== false) {
    throw new TokenError(`principal "${id}" is managed by the identity provider; a token principal must be one of the application's own (unmanaged) users`);
  }
  if (user.document["active"] !== true) throw new TokenError(`principal "${id}" is not active; activate it first`);
}

/**
 * The state of a token's owner (its principal): `active` while the token may work;
 * `deactivated`, `deleted` or `managed` (linked to the identity provider, ADR 0009) stop it.
 */
export type OwnerState = "active" | "deactivated" | "deleted" | "managed";

export interface ListedToken extends TokenRecord {
  /** Present when the token has a principal. */
  readonly ownerState?: OwnerState;
}

/** The owner state of the user `principalId` of the tenant, as read now. */
export async function ownerState(session: ReadSession, tenantId: string, principalId: string): Promise<OwnerState> {
  return stateOf(await session.findResource(tenantId, "User", principalId));
}

function stateOf(user: StoredResource | undefined): OwnerState {
  if (user === undefined || user.kind !== "User") return "deleted";
  if (user.managed !== false) return "managed";
  return user.document["active"] === true ? "active" : "deactivated";
}

/** The owner state of each token's principal, read in one query per 500 owners (a listing's page of tokens). */
export async function ownerStates(session: ReadSession, tenantId: string, tokens: readonly TokenRecord[]): Promise<ReadonlyMap<string, OwnerState>> {
  const principals = [...new Set(tokens.flatMap((token) => (token.principalId === undefined ? [] : [token.principalId])))];
  if (principals.length === 0) return new Map();
  const users = await session.findResources(tenantId, principals);
  return new Map(principals.map((id) => [id, stateOf(users.get(id))]));
}

/** The tenant's tokens, each with its owner's state when it has one. */
export async function listTokens(store: Store, tenant: Tenant): Promise<readonly ListedToken[]> {
  return store.read(async (session) => {
    const tokens = await session.listTokens(tenant.id);
    const states = await ownerStates(session, tenant.id, tokens);
    return tokens.map((token): ListedToken => {
      const state = token.principalId === undefined ? undefined : states.get(token.principalId);
      return state === undefined ? token : { ...token, ownerState: state };
    });
  });
}

/** The unrevoked tokens the user `principalId` owns: those that stop working when it is deactivated or deleted. */
export async function tokensOwnedBy(session: ReadSession, tenantId: string, principalId: string): Promise<readonly TokenRecord[]> {
  return (await session.listTokens(tenantId)).filter((token) => token.principalId === principalId && token.revoked === null);
}

/** Why a presented secret authenticates no request, as far as saying so reveals nothing its holder lacks. */
export type TokenRefusal =
  | { readonly kind: "unknown" }
  | { readonly kind: "revoked" }
  | { readonly kind: "expired"; readonly at: string }
  | { readonly kind: "ownerDeactivated" }
  | { readonly kind: "ownerDeleted" }
  | { readonly kind: "ownerManaged" };

/** Whether the token's expiry has come at `now` (a token without one never expires). */
export function isExpired(token: Pick<TokenRecord, "expiresAt">, now: Date): boolean {
  return token.expiresAt !== undefined && Date.parse(token.expiresAt) <= now.getTime();
}

/**
 * Says why `presented` was refused (authenticateToken gave undefined): called on the refusal
 * path only. The holder of a token learns only about that token: whether it was revoked or
 * expired, and the state of the user it belongs to (never who that is).
 */
export async function whyTokenRefused(store: Store, presented: string, now: Date = new Date()): Promise<TokenRefusal> {
  if (!TOKEN_SHAPE.test(presented) && checkSecret(presented) !== undefined) return { kind: "unknown" };
  return store.read(async (session): Promise<TokenRefusal> => {
    const token = await session.findTokenByHash(hashToken(presented));
    if (token === undefined) return { kind: "unknown" };
    if (token.revoked !== null) return { kind: "revoked" };
    if (token.expiresAt !== undefined && isExpired(token, now)) return { kind: "expired", at: token.expiresAt };
    if (token.principalId === undefined) return { kind: "unknown" };
    const state = await ownerState(session, token.tenantId, token.principalId);
    return { kind: state === "deleted" ? "ownerDeleted" : state === "managed" ? "ownerManaged" : state === "deactivated" ? "ownerDeactivated" : "unknown" };
  });
}

/** Whether `presented` is a SCIM token Roster knows, revoked or not (for telling a caller it sent one where an API key belongs). */
export async function isKnownToken(store: Store, presented: string): Promise<boolean> {
  if (TOKEN_SHAPE.test(presented)) return true;
  if (checkSecret(presented) !== undefined) return false;
  return (await store.read((session) => session.findTokenByHash(hashToken(presented)))) !== undefined;
}

/** What revoking answered: the token revoked now, or why nothing changed. */
export type RevokeOutcome =
  | { readonly ok: true; readonly token: TokenRecord }
  | { readonly ok: false; readonly reason: "notFound" }
  | { readonly ok: false; readonly reason: "alreadyRevoked"; readonly token: TokenRecord };

/**
 * Revokes the token `id` and records it in the audit log, in one transaction; it stops at once
 * in every process (the revocation moves the store's change version, which the token memo
 * checks). With `tenant`, a token of another tenant is not found.
 */
export async function revokeToken(
  store: Store,
  actor: AuditActor,
  id: string,
  options: { readonly tenant?: Tenant; readonly now?: Date } = {},
): Promise<RevokeOutcome> {
  const now = options.now ?? new Date();
  return store.transaction(async (session): Promise<RevokeOutcome> => {
    const found = await session.findToken(id);
    if (found === undefined || (options.tenant !== undefined && found.tenant.id !== options.tenant.id)) return { ok: false, reason: "notFound" };
    if (found.token.revoked !== null) return { ok: false, reason: "alreadyRevoked", token: found.token };
    const at = now.toISOString();
    if (!(await session.revokeToken(id, at))) return { ok: false, reason: "alreadyRevoked", token: found.token };
    const revoked = { ...found.token, revoked: at };
    await recordAudit(session, { tenant: found.tenant, actor, action: "token.revoked", target: id, before: auditedToken(found.token), after: auditedToken(revoked) }, now);
    return { ok: true, token: revoked };
  });
}

/**
 * The tenant and token a presented bearer secret belongs to; undefined when it is
 * malformed, unknown, revoked or expired. Touches `lastUsed` at most once a minute.
 */
export async function authenticateToken(
  store: Store,
  presented: string,
  now: Date = new Date(),
): Promise<AuthenticatedToken | undefined> {
  if (!TOKEN_SHAPE.test(presented) && checkSecret(presented) !== undefined) return undefined;
  // Looked up by SHA-256 of the secret (256 random bits, or an admin's secret of 32+ mixed
  // characters): an index probe's timing reveals bits of the hash, never of the secret, so
  // no secret-dependent comparison happens here. A principal's state is checked by the
  // same lookup, on every request: deactivating the principal stops its tokens at once.
  const hash = hashToken(presented);
  // Every SCIM request authenticates. While the store's change version stays the same
  // (nothing committed by anyone: no revocation, no principal deactivated, no profile
  // changed, in any process) the last answer for this hash is the answer; the version is
  // read before the lookup whose answer is kept under it.
  const version = store.changeVersion();
  const memo = memoOf(store);
  const known = version === undefined ? undefined : memo.get(hash);
  // A memoised token stops at its expiry too: expiry is a stored time, not a change, so the
  // version alone would keep answering with it.
  if (known !== undefined && known.version === version && !isStale(known.lastUsedMs, now)) return isExpired(known.found.token, now) ? undefined : known.found;
  // A read without a write lock; lastUsed is written at most once a LAST_USED_RESOLUTION_MS.
  const found = await store.read((session) => session.findActiveToken(hash));
  if (found === undefined || isExpired(found.token, now)) return undefined;
  const lastUsedMs = Date.parse(found.token.lastUsed ?? "");
  if (!isStale(lastUsedMs, now)) {
    if (version !== undefined) remember(memo, hash, { version, found, lastUsedMs });
    return found;
  }
  const at = now.toISOString();
  await store.transaction((session) => session.touchToken(found.token.id, at));
  return { tenant: found.tenant, token: { ...found.token, lastUsed: at } };
}

/**
 * A found token (never an unknown one) and the change version it was read under; its
 * `lastUsed` parsed once (not on each request that reuses it).
 */
interface MemoEntry {
  readonly version: string;
  readonly found: AuthenticatedToken;
  readonly lastUsedMs: number;
}

/** Found tokens per store, by hash. */
const MEMOS = new WeakMap<Store, Map<string, MemoEntry>>();
const MEMO_LIMIT = 1_000;

function memoOf(store: Store): Map<string, MemoEntry> {
  let memo = MEMOS.get(store);
  if (memo === undefined) {
    memo = new Map();
    MEMOS.set(store, memo);
  }
  return memo;
}

function remember(memo: Map<string, MemoEntry>, hash: string, entry: MemoEntry): void {
  memo.delete(hash);
  memo.set(hash, entry);
  if (memo.size > MEMO_LIMIT) memo.delete(memo.keys().next().value as string);
}

/** Whether a token last used at `lastUsedMs` (NaN: never, or unreadable) is due a new `lastUsed`. */
function isStale(lastUsedMs: number, now: Date): boolean {
  return Number.isNaN(lastUsedMs) || now.getTime() - lastUsedMs >= LAST_USED_RESOLUTION_MS;
}
