import { randomUUID } from "node:crypto";
import { isIP } from "node:net";
import { AppError } from "../directory/app-errors.js";
import { type AppPage, objectBody, parsePaging } from "../directory/app-paging.js";
import { type AuditActor, recordAudit } from "../directory/audit.js";
import { now } from "../directory/clock.js";
import {
  DELIVERY_STATUSES,
  type DeliveryRecord,
  type DeliveryStatus,
  type ReadSession,
  type Store,
  type StoreSession,
  type Tenant,
  type WebhookRecord,
} from "../store/store.js";
import { checkDestinationHost, type DestinationPolicy, DESTINATION_ADVICE } from "./destinations.js";
import { ALL_EVENTS, eventTypeMatches, parseEventPatterns } from "./patterns.js";
import { MAKE_SECRET_KEY, openSecret, SECRET_KEY_VARIABLE, type SecretKey, SecretKeyError, sealSecret } from "./secret-box.js";
import { generateWebhookSecret } from "./signature.js";

// Use cases of webhooks (docs/webhooks.md), shared by the management API and the CLI. A
// tenant given means "through that tenant's API key": a webhook of another tenant is not found.

/** A webhook as the API and the CLI show it; the secret is never part of it. */
export interface WebhookView {
  readonly id: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What creating a webhook answers: the webhook and its signing secret, shown this once. */
export interface CreatedWebhook extends WebhookView {
  readonly secret: string;
}

export interface DeliveryView {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  /** The event's position in the tenant's feed: `--since <eventSequence - 1>` replays from it. */
  readonly eventSequence: number;
  readonly resource: { readonly type: string; readonly id: string };
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly lastAttemptAt: string | null;
  /** The receiver's HTTP status at the last attempt; null when it did not answer. */
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  /** When the next attempt is due; null unless pending. */
  readonly nextAttemptAt: string | null;
  readonly createdAt: string;
  readonly completedAt: string | null;
}

export interface ReplayResult {
  /** Deliveries made. */
  readonly deliveries: number;
  /** Events with a sequence number above this one were replayed… */
  readonly after: number;
  /** …up to this one. */
  readonly through: number;
  /** False when MAX_REPLAY_DELIVERIES stopped the replay: replay again from `through` once these are sent. */
  readonly complete: boolean;
}

/**
 * Deliveries one replay makes at most (docs/webhooks.md#replay-bounds). With one replay
 * pending per webhook, a tenant's key cannot queue more than this many replayed deliveries
 * per webhook ahead of other tenants' deliveries.
 */
export const MAX_REPLAY_DELIVERIES = 10_000;

const MAX_URL_LENGTH = 2048;

/** The fields POST webhooks takes. */
export const WEBHOOK_CREATE_FIELDS = ["url", "events"] as const;
/** The field PATCH webhooks/<id> takes. */
export const WEBHOOK_UPDATE_FIELDS = ["enabled"] as const;
/** The field POST webhooks/<id>/replay takes. */
export const REPLAY_FIELDS = ["since"] as const;

export function toWebhookView(record: WebhookRecord): WebhookView {
  return { id: record.id, url: record.url, events: record.events, enabled: record.enabled, createdAt: record.created, updatedAt: record.updated };
}

export function toDeliveryView(record: DeliveryRecord): DeliveryView {
  const colon = record.resourceKey.indexOf(":");
  return {
    id: record.id,
    eventId: record.eventId,
    eventType: record.eventType,
    eventSequence: record.eventSeq,
    resource: { type: record.resourceKey.slice(0, colon), id: record.resourceKey.slice(colon + 1) },
    status: record.status,
    attempts: record.attempts,
    lastAttemptAt: record.lastAttemptAt,
    lastStatus: record.lastStatus,
    lastError: record.lastError,
    nextAttemptAt: record.status === "pending" ? record.nextAttemptAt : null,
    createdAt: record.created,
    completedAt: record.completed,
  };
}

/** Loopback hosts, where a development receiver may listen over plain http: `*.localhost` too (RFC 6761 §6.3). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost") || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}

/**
 * An absolute https URL (http only to a loopback host), without credentials or fragment, whose
 * host the destination policy allows (an IP literal, localhost or a metadata name; other names
 * are checked on their addresses at delivery); 400 naming what is wrong.
 */
export function parseWebhookUrl(value: unknown, destinations: DestinationPolicy, where = "url"): string {
  if (typeof value !== "string" || value === "") throw new AppError("invalidRequest", `${where}: expected the receiver's URL, e.g. https://app.example.com/roster-events`);
  if (value.length > MAX_URL_LENGTH) throw new AppError("invalidRequest", `${where}: at most ${MAX_URL_LENGTH} characters, got ${value.length}`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new AppError("invalidRequest", `${where}: ${JSON.stringify(value)} is not an absolute URL; expected e.g. https://app.example.com/roster-events`);
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new AppError("invalidRequest", `${where}: ${JSON.stringify(value)} must use https (plain http is allowed only to localhost, *.localhost, 127.0.0.0/8 and ::1)`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new AppError("invalidRequest", `${where}: ${JSON.stringify(value)} must use https, not ${url.protocol.replace(/:$/, "")}`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new AppError("invalidRequest", `${where}: ${JSON.stringify(value)} must not contain credentials; verify deliveries by their signature instead`);
  }
  if (url.hash !== "") throw new AppError("invalidRequest", `${where}: ${JSON.stringify(value)} must not contain a fragment (#…)`);
  const refused = checkDestinationHost(destinations, url.hostname);
  if (refused !== undefined) {
    throw new AppError("invalidRequest", `${where}: ${JSON.stringify(value)} is refused: ${refused}; ${DESTINATION_ADVICE}`);
  }
  return url.href;
}

/** A list of event type patterns (absent: every event); 400 naming the first bad one. */
export function parseWebhookEvents(value: unknown, where = "events"): readonly string[] {
  if (value === undefined) return [ALL_EVENTS];
  if (!Array.isArray(value)) throw new AppError("invalidRequest", `${where}: expected an array of event type patterns, e.g. ["user.*", "group.member_added"]`);
  const result = parseEventPatterns(value, where);
  if (!result.ok) throw new AppError("invalidRequest", result.issue);
  return result.value;
}

/** Checks that `key` opens every stored webhook secret; throws SecretKeyError naming the first it does not (key changed). */
export async function assertSecretKeyOpensWebhooks(store: Store, key: SecretKey | undefined): Promise<number> {
  const sealed = await store.read((session) => session.listWebhookSecrets());
  if (sealed.length === 0) return 0;
  if (key === undefined) {
    throw new SecretKeyError(
      `${SECRET_KEY_VARIABLE} is not set, and ${sealed.length} webhook${sealed.length === 1 ? " has its" : "s have their"} signing secret encrypted with it; set the key they were created with (for a new installation, ${MAKE_SECRET_KEY})`,
    );
  }
  for (const secret of sealed) {
    try {
      openSecret(key, secret.sealedSecret, `webhook ${secret.webhookId}`);
    } catch {
      throw new SecretKeyError(
        `${SECRET_KEY_VARIABLE} cannot decrypt the signing secret of webhook ${secret.webhookId}: the key changed since it was created; set the previous key again, or delete the webhooks and create them anew (roster webhooks delete <id>)`,
      );
    }
  }
  return sealed.length;
}

/** What the audit log keeps of a webhook: its settings, never its signing secret. */
function auditedWebhook(record: WebhookRecord): Readonly<Record<string, unknown>> {
  return { url: record.url, events: record.events, enabled: record.enabled };
}

/** The tenant an audit entry names: the one given, else the webhook's own (the CLI acts by webhook id alone). */
async function tenantOf(session: Pick<ReadSession, "findTenantById">, tenant: Tenant | undefined, record: WebhookRecord): Promise<Tenant> {
  const found = tenant ?? (await session.findTenantById(record.tenantId));
  if (found === undefined) throw new AppError("notFound", `webhook ${JSON.stringify(record.id)} does not exist`);
  return found;
}

/**
 * POST webhooks / `roster webhooks create`: starts after the tenant's current last event.
 * Every change to a webhook is recorded in the audit log with `actor`, in its transaction.
 */
export async function createWebhook(
  store: Store,
  tenant: Tenant,
  actor: AuditActor,
  body: unknown,
  key: SecretKey | undefined,
  destinations: DestinationPolicy,
): Promise<CreatedWebhook> {
  const input = objectBody(body, WEBHOOK_CREATE_FIELDS, "webhook");
  const url = parseWebhookUrl(input["url"], destinations);
  const events = parseWebhookEvents(input["events"]);
  if (key === undefined) {
    throw new AppError("notConfigured", `webhooks need ${SECRET_KEY_VARIABLE} in Roster's environment to encrypt their signing secrets; ${MAKE_SECRET_KEY}, set it and restart`);
  }
  const id = randomUUID();
  const secret = generateWebhookSecret();
  const sealedSecret = sealSecret(key, secret, `webhook ${id}`);
  const record = await store.transaction(async (session) => {
    const { last } = await session.eventBounds(tenant.id);
    const at = now();
    const inserted = await session.insertWebhook({ id, tenantId: tenant.id, url, events, sealedSecret, cursorSeq: last }, at);
    await recordAudit(session, { tenant, actor, action: "webhook.created", target: id, after: auditedWebhook(inserted) }, new Date(at));
    return inserted;
  });
  return { ...toWebhookView(record), secret };
}

export async function listWebhooks(store: Store, tenant: Tenant): Promise<readonly WebhookView[]> {
  const records = await store.read((session) => session.listWebhooks(tenant.id));
  return records.map(toWebhookView);
}

async function getRecord(session: Pick<ReadSession, "findWebhook">, tenant: Tenant | undefined, id: string): Promise<WebhookRecord> {
  const record = await session.findWebhook(id);
  if (record === undefined || (tenant !== undefined && record.tenantId !== tenant.id)) {
    const where = tenant === undefined ? "" : ` in tenant "${tenant.slug}"`;
    throw new AppError("notFound", `webhook ${JSON.stringify(id)} does not exist${where}`);
  }
  return record;
}

export async function getWebhook(store: Store, tenant: Tenant | undefined, id: string): Promise<WebhookView> {
  return toWebhookView(await store.read((session) => getRecord(session, tenant, id)));
}

/**
 * Enables or disables a webhook. A disabled webhook receives nothing: the events of that time
 * are not delivered when it is enabled again (replay them with `--since`); deliveries still
 * pending when it was disabled go out once it is enabled. Setting what is already set changes
 * nothing and records nothing in the audit log.
 */
export async function setWebhookEnabled(store: Store, tenant: Tenant | undefined, actor: AuditActor, id: string, enabled: boolean): Promise<WebhookView> {
  const record = await store.transaction(async (session) => {
    const current = await getRecord(session, tenant, id);
    if (current.enabled === enabled) return current;
    const cursor = enabled ? { cursorSeq: (await session.eventBounds(current.tenantId)).last } : {};
    const at = now();
    await session.updateWebhook(id, { enabled, ...cursor }, at);
    const updated = await getRecord(session, tenant, id);
    await audit(session, tenant, current, actor, "webhook.updated", { before: { enabled: current.enabled }, after: { enabled: updated.enabled } }, at);
    return updated;
  });
  return toWebhookView(record);
}

/** PATCH webhooks/<id>: `{"enabled": true|false}`. */
export async function updateWebhook(store: Store, tenant: Tenant, actor: AuditActor, id: string, body: unknown): Promise<WebhookView> {
  const input = objectBody(body, WEBHOOK_UPDATE_FIELDS, "webhook");
  const enabled = input["enabled"];
  if (typeof enabled !== "boolean") throw new AppError("invalidRequest", `webhook: "enabled" must be true or false, got ${JSON.stringify(enabled)}`);
  return setWebhookEnabled(store, tenant, actor, id, enabled);
}

export async function deleteWebhook(store: Store, tenant: Tenant | undefined, actor: AuditActor, id: string): Promise<void> {
  await store.transaction(async (session) => {
    const current = await getRecord(session, tenant, id);
    const owner = await tenantOf(session, tenant, current);
    await session.deleteWebhook(id);
    await recordAudit(session, { tenant: owner, actor, action: "webhook.deleted", target: id, before: auditedWebhook(current) }, new Date(now()));
  });
}

async function audit(
  session: Pick<StoreSession, "findTenantById" | "insertAuditEntry">,
  tenant: Tenant | undefined,
  record: WebhookRecord,
  actor: AuditActor,
  action: "webhook.updated" | "webhook.replayed",
  change: { readonly before?: unknown; readonly after?: unknown },
  at: string,
): Promise<void> {
  await recordAudit(session, { tenant: await tenantOf(session, tenant, record), actor, action, target: record.id, ...change }, new Date(at));
}

export function parseDeliveryStatus(value: unknown, where = "status"): DeliveryStatus | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !(DELIVERY_STATUSES as readonly string[]).includes(value)) {
    throw new AppError("invalidRequest", `${where}: expected one of ${DELIVERY_STATUSES.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as DeliveryStatus;
}

/** The webhook's deliveries, newest first; `cursor` continues after the last one of a page. */
export async function listWebhookDeliveries(
  store: Store,
  tenant: Tenant | undefined,
  id: string,
  query: { readonly status?: DeliveryStatus; readonly limit: number; readonly cursor?: string },
): Promise<AppPage<DeliveryView>> {
  let before: number | undefined;
  if (query.cursor !== undefined && query.cursor !== "") {
    if (!/^[1-9]\d{0,15}$/.test(query.cursor)) throw new AppError("invalidCursor", "cursor: pass nextCursor unchanged, with the same status");
    before = Number(query.cursor);
  }
  const records = await store.read(async (session) => {
    await getRecord(session, tenant, id);
    const options = { limit: query.limit, ...(query.status === undefined ? {} : { status: query.status }), ...(before === undefined ? {} : { before }) };
    return session.listDeliveries(id, options);
  });
  const last = records[records.length - 1];
  return { data: records.map(toDeliveryView), nextCursor: records.length === query.limit && last !== undefined ? String(last.seq) : null };
}

/** GET webhooks/<id>/deliveries?status=&limit=&cursor= */
export function listWebhookDeliveriesFromQuery(store: Store, tenant: Tenant, id: string, query: Readonly<Record<string, unknown>>): Promise<AppPage<DeliveryView>> {
  const { limit, cursor } = parsePaging(query);
  const status = parseDeliveryStatus(query["status"]);
  return listWebhookDeliveries(store, tenant, id, { limit, cursor, ...(status === undefined ? {} : { status }) });
}

/**
 * New deliveries, due at once, for the events after `since` that the webhook's patterns
 * match: `since` is a feed cursor (the decimal sequence number of the last event not to
 * replay) or an ISO 8601 time (events that occurred at or after it).
 */
export async function replayWebhook(
  store: Store,
  tenant: Tenant | undefined,
  actor: AuditActor,
  id: string,
  since: unknown,
  where = "since",
  limit = MAX_REPLAY_DELIVERIES,
): Promise<ReplayResult> {
  const { cursor, time } = parseReplaySince(since, where);
  return store.transaction(async (session) => {
    const webhook = await getRecord(session, tenant, id);
    const bounds = await session.eventBounds(webhook.tenantId);
    let after: number;
    if (cursor !== undefined) {
      if (cursor < bounds.pruned) {
        throw new AppError(
          "invalidRequest",
          `${where}: cursor ${cursor} has expired: retention removed the events up to ${bounds.pruned}; use ${bounds.pruned} to replay every stored event`,
        );
      }
      if (cursor > bounds.last) throw new AppError("invalidRequest", `${where}: cursor ${cursor} is after the tenant's last event (${bounds.last})`);
      after = cursor;
    } else {
      after = await session.eventSeqBefore(webhook.tenantId, time ?? "");
    }
    const outcome = await session.replayDeliveries(id, after, now(), eventTypeMatches, limit);
    if (!outcome.ok) {
      const what = outcome.pending === 1 ? "1 delivery" : `${outcome.pending} deliveries`;
      throw new AppError(
        "replayInProgress",
        `webhook ${JSON.stringify(id)} has ${what} of an earlier replay still pending; one replay at a time: replay again once they are sent (list them with status=pending)`,
      );
    }
    const result = { deliveries: outcome.deliveries, after, through: outcome.through, complete: outcome.complete };
    const since = cursor === undefined ? { since: time ?? null } : { since: String(cursor) };
    await audit(session, tenant, webhook, actor, "webhook.replayed", { after: { ...since, ...result, after: String(after), through: String(result.through) } }, now());
    return result;
  });
}

/** POST webhooks/<id>/replay: `{"since": "<cursor>" | "<ISO time>"}`; answers how many deliveries were made. */
export async function replayWebhookFromBody(
  store: Store,
  tenant: Tenant,
  actor: AuditActor,
  id: string,
  body: unknown,
): Promise<{ readonly deliveries: number; readonly after: string; readonly through: string; readonly complete: boolean }> {
  const input = objectBody(body, REPLAY_FIELDS, "replay");
  const since = input["since"];
  const text = typeof since === "number" && Number.isSafeInteger(since) && since >= 0 ? String(since) : since;
  const result = await replayWebhook(store, tenant, actor, id, text, "since");
  return { deliveries: result.deliveries, after: String(result.after), through: String(result.through), complete: result.complete };
}

/**
 * What `since` names, checked without the store: a feed cursor (digits) or an ISO 8601 time.
 * Throws AppError "invalidRequest" naming `where`; whether the cursor is still in the feed is
 * replayWebhook's question.
 */
export function parseReplaySince(since: unknown, where = "since"): { readonly cursor?: number; readonly time?: string } {
  if (typeof since !== "string" || since === "") {
    throw new AppError("invalidRequest", `${where}: expected a feed cursor (e.g. 1042) or an ISO 8601 time (e.g. 2026-11-23T12:00:00Z)`);
  }
  return /^\d{1,16}$/.test(since) ? { cursor: Number(since) } : { time: parseTime(since, where) };
}

function parseTime(text: string, where: string): string {
  const millis = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/i.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(millis)) {
    throw new AppError("invalidRequest", `${where}: ${JSON.stringify(text)} is neither a feed cursor (digits) nor an ISO 8601 time such as 2026-11-23T12:00:00Z`);
  }
  return new Date(millis).toISOString();
}
