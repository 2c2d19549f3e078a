import { randomBytes, randomUUID } from "node:crypto";
import { type DestinationPolicy, readDestinationPolicy } from "../../src/events/destinations.js";
import { DEFAULT_DISPATCHER_SETTINGS, type DispatcherSettings } from "../../src/events/dispatcher-settings.js";
import { parseSecretKey, type SecretKey } from "../../src/events/secret-box.js";
import type { NewEvent, Store, Tenant } from "../../src/store/store.js";

/** A fresh ROSTER_SECRET_KEY, as `openssl rand -base64 32` makes one. */
export function newKeyText(): string {
  return randomBytes(32).toString("base64");
}

export function newKey(): SecretKey {
  return parseSecretKey(newKeyText());
}

/**
 * ROSTER_WEBHOOK_ALLOW_PRIVATE as the tests set it: their receivers listen on 127.0.0.1, which
 * the default refuses (docs/webhooks.md#private-destinations).
 */
export const LOOPBACK_ALLOWED = "127.0.0.0/8,::1";

/** The destination policy LOOPBACK_ALLOWED makes: public addresses and loopback ones. */
export const LOOPBACK_RECEIVERS: DestinationPolicy = readDestinationPolicy({ ROSTER_WEBHOOK_ALLOW_PRIVATE: LOOPBACK_ALLOWED });

/** Settings that make tests quick (short timeout and lease, tiny backoff, fast polling) and deliver to loopback receivers. */
export function fastSettings(overrides: Partial<DispatcherSettings> = {}): DispatcherSettings {
  return {
    ...DEFAULT_DISPATCHER_SETTINGS,
    timeoutMs: 1000,
    retryBaseMs: 20,
    retryMaxMs: 200,
    maxAttempts: 10,
    leaseMs: 5000,
    pollMs: 50,
    destinations: LOOPBACK_RECEIVERS,
    ...overrides,
  };
}

/** The same settings as environment variables for a `roster serve` child. */
export function fastSettingsEnv(overrides: Partial<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {
    ROSTER_WEBHOOK_TIMEOUT_MS: "1000",
    ROSTER_WEBHOOK_RETRY_BASE_MS: "20",
    ROSTER_WEBHOOK_MAX_ATTEMPTS: "10",
    ROSTER_WEBHOOK_LEASE_MS: "5000",
    ROSTER_WEBHOOK_POLL_MS: "50",
    ROSTER_WEBHOOK_ALLOW_PRIVATE: LOOPBACK_ALLOWED,
  };
  for (const [name, value] of Object.entries(overrides)) if (value !== undefined) env[name] = value;
  return env;
}

export interface TestEventSpec {
  readonly type: string;
  readonly resourceId: string;
  readonly data?: Record<string, unknown>;
}

/** An event shaped as docs/decisions/0010-change-events.md describes it. */
export function testEvent(tenant: Tenant, spec: TestEventSpec): NewEvent {
  const resourceType = spec.type.startsWith("group.") ? "Group" : "User";
  const id = randomUUID();
  const occurredAt = new Date().toISOString();
  const data = spec.data ?? (resourceType === "User" ? { user: { id: spec.resourceId, userName: `${spec.resourceId}@example.com` } } : { group: { id: spec.resourceId } });
  const body = { id, type: spec.type, tenant: tenant.slug, occurredAt, resource: { type: resourceType, id: spec.resourceId }, data };
  return { id, type: spec.type, resourceType, resourceId: spec.resourceId, occurredAt, data: JSON.stringify(body) };
}

/** Commits the events in one transaction (as a write of the directory would) and returns them in feed order. */
export async function appendTestEvents(store: Store, tenant: Tenant, specs: readonly TestEventSpec[]): Promise<NewEvent[]> {
  const events = specs.map((spec) => testEvent(tenant, spec));
  await store.transaction((session) => session.appendEvents(tenant.id, events));
  return events;
}

/** Polls `read` until `predicate` accepts its value; fails naming `what` after `timeoutMs`. */
export async function eventually<T>(what: string, read: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms; last seen: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
