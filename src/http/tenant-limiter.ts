import { readIntegerVariables } from "../env-integers.js";
import { ScimError } from "../scim/errors.js";

/** How many SCIM reads one tenant may have running, and waiting, at once (docs/operations.md). */
export interface TenantConcurrency {
  /** Reads of one tenant running at once (each may hold a pooled connection). */
  readonly maxInFlight: number;
  /** Reads of one tenant waiting for a slot; one more is answered 429. */
  readonly maxQueued: number;
}

export const DEFAULT_TENANT_QUEUE = 100;

const TENANT_CONCURRENCY_VARIABLES = { maxInFlight: "ROSTER_TENANT_CONCURRENCY", maxQueued: "ROSTER_TENANT_QUEUE" } as const;

/**
 * The default: all but two of the process's PostgreSQL connections (ROSTER_DATABASE_POOL_SIZE,
 * default 10), at least one, so that one tenant's reads never hold the whole pool and
 * other tenants always find a connection. SQLite reads share one connection; the same
 * bound keeps one tenant's queue from delaying the others' without limit.
 */
export function defaultTenantConcurrency(poolSize: number): TenantConcurrency {
  return { maxInFlight: Math.max(1, poolSize - 2), maxQueued: DEFAULT_TENANT_QUEUE };
}

/** Reads `ROSTER_TENANT_CONCURRENCY` and `ROSTER_TENANT_QUEUE` over `defaults`; throws a message naming the variable on a bad value. */
export function readTenantConcurrency(env: Readonly<Record<string, string | undefined>>, defaults: TenantConcurrency): TenantConcurrency {
  const read = readIntegerVariables(env, TENANT_CONCURRENCY_VARIABLES, { maxInFlight: [1, 100_000], maxQueued: [0, 1_000_000] });
  if ("error" in read) throw new Error(read.error);
  return { ...defaults, ...read.values };
}

interface TenantSlots {
  active: number;
  /** Waiting reads, first come first served. */
  readonly waiting: (() => void)[];
}

/**
 * Per-tenant slots for SCIM reads (ADR 0024): at most `maxInFlight` run at once, up to
 * `maxQueued` more wait in order, and past that a read is refused with 429 at once. A
 * slot is released when its read ends, however it ends; one tenant's slots never delay another's.
 */
export class TenantLimiter {
  private readonly tenants = new Map<string, TenantSlots>();

  constructor(readonly limits: TenantConcurrency) {}

  /** Runs `read` in one of the tenant's slots, waiting for one if all are taken; throws 429 tooManyRequests when the tenant's queue is full. */
  async run<T>(tenantId: string, read: () => Promise<T>): Promise<T> {
    const release = await this.acquire(tenantId);
    try {
      return await read();
    } finally {
      release();
    }
  }

  /** Takes one of the tenant's slots (waiting in its queue if needed); the function returned gives it back, once. */
  acquire(tenantId: string): Promise<() => void> {
    let slots = this.tenants.get(tenantId);
    if (slots === undefined) {
      slots = { active: 0, waiting: [] };
      this.tenants.set(tenantId, slots);
    }
    const held = slots;
    const release = once(() => this.release(tenantId, held));
    if (held.active < this.limits.maxInFlight) {
      held.active++;
      return Promise.resolve(release);
    }
    if (held.waiting.length >= this.limits.maxQueued) {
      return Promise.reject(
        new ScimError(
          "tooManyRequests",
          `this tenant has ${held.active} reads running and ${held.waiting.length} waiting, the most this server takes at once ` +
            `(ROSTER_TENANT_CONCURRENCY=${this.limits.maxInFlight}, ROSTER_TENANT_QUEUE=${this.limits.maxQueued}); retry after the time in Retry-After`,
        ),
      );
    }
    // The slot passes straight from the releasing read to this one (release below).
    return new Promise((resolve) => held.waiting.push(() => resolve(release)));
  }

  /** Reads of the tenant running and waiting now. */
  usage(tenantId: string): { readonly active: number; readonly waiting: number } {
    const slots = this.tenants.get(tenantId);
    return { active: slots?.active ?? 0, waiting: slots?.waiting.length ?? 0 };
  }

  private release(tenantId: string, slots: TenantSlots): void {
    const next = slots.waiting.shift();
    if (next !== undefined) return next();
    slots.active--;
    if (slots.active === 0) this.tenants.delete(tenantId);
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
