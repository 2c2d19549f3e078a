import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TenantLimiter, defaultTenantConcurrency, readTenantConcurrency } from "../../src/http/tenant-limiter.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

describe("the per-tenant limit on concurrent SCIM reads, end to end", () => {
  const limiter = new TenantLimiter({ maxInFlight: 2, maxQueued: 1 });
  let roster: TestRoster;
  let busy: TestTenant;
  let other: TestTenant;

  beforeAll(async () => {
    roster = await startTestRoster({ tenantLimiter: limiter });
    busy = await roster.addTenant("busy");
    other = await roster.addTenant("other");
    for (const t of [busy, other]) expect((await t.scim("/Users", { body: { userName: `someone@${t.tenant.slug}.example.com` } })).status).toBe(201);
  });
  afterAll(async () => {
    await roster.close();
  });

  /** Waits (bounded) until the busy tenant has `count` reads waiting: the request has reached its slot. */
  async function waitingReads(count: number): Promise<number> {
    for (let i = 0; i < 500 && limiter.usage(busy.tenant.id).waiting !== count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    return limiter.usage(busy.tenant.id).waiting;
  }

  it("queues a tenant's reads past its slots, refuses them past its queue with 429, and keeps serving other tenants", async () => {
    // Two reads of the busy tenant in progress, held here as a slow query would hold them.
    const held = [await limiter.acquire(busy.tenant.id), await limiter.acquire(busy.tenant.id)];
    try {
      const queued = busy.scim("/Users");
      try {
        expect(await waitingReads(1)).toBe(1);

        const refused = await busy.scim("/Users/.search", { body: { schemas: [SEARCH], filter: "userName pr" } });
        expect(refused.status).toBe(429);
        expect(refused.headers.get("retry-after")).toBe("1");
        expect(refused.body).toEqual({
          schemas: [ERROR],
          status: "429",
          detail:
            "this tenant has 2 reads running and 1 waiting, the most this server takes at once (ROSTER_TENANT_CONCURRENCY=2, ROSTER_TENANT_QUEUE=1); retry after the time in Retry-After",
        });
        expect((await busy.scim("/Users/00000000-0000-0000-0000-000000000000")).status).toBe(429);

        const elsewhere = await other.scim("/Users");
        expect(elsewhere.status).toBe(200);
        expect(elsewhere.body.totalResults).toBe(1);
        // Writes are not counted: the busy tenant can still provision.
        expect((await busy.scim("/Users", { body: { userName: "second@busy.example.com" } })).status).toBe(201);
      } finally {
        held[0]?.();
      }
      const served = await queued;
      expect(served.status).toBe(200);
      expect(served.body.totalResults).toBe(2);
    } finally {
      held[1]?.();
    }
    expect(limiter.usage(busy.tenant.id)).toEqual({ active: 0, waiting: 0 });
    expect((await busy.scim("/Users")).status).toBe(200);
  });

  it("gives a slot back when the read fails", async () => {
    const failed = await busy.scim(`/Users?filter=${encodeURIComponent("nosuch eq 1")}`);
    expect(failed.status).toBe(400);
    expect(limiter.usage(busy.tenant.id)).toEqual({ active: 0, waiting: 0 });
  });
});

describe("TenantLimiter", () => {
  it("hands a released slot to the first waiting read, in order, and counts each release once", async () => {
    const limiter = new TenantLimiter({ maxInFlight: 1, maxQueued: 2 });
    const first = await limiter.acquire("t");
    const order: string[] = [];
    const second = limiter.acquire("t").then((release) => (order.push("second"), release));
    const third = limiter.acquire("t").then((release) => (order.push("third"), release));
    await expect(limiter.acquire("t")).rejects.toMatchObject({ status: 429 });
    expect(limiter.usage("t")).toEqual({ active: 1, waiting: 2 });
    first();
    first();
    (await second)();
    (await third)();
    expect(order).toEqual(["second", "third"]);
    expect(limiter.usage("t")).toEqual({ active: 0, waiting: 0 });
    expect(limiter.usage("u")).toEqual({ active: 0, waiting: 0 });
  });

  it("defaults to all but two of the pool's connections, and reads the environment", () => {
    expect(defaultTenantConcurrency(10)).toEqual({ maxInFlight: 8, maxQueued: 100 });
    expect(defaultTenantConcurrency(2)).toEqual({ maxInFlight: 1, maxQueued: 100 });
    const defaults = defaultTenantConcurrency(10);
    expect(readTenantConcurrency({}, defaults)).toEqual(defaults);
    expect(readTenantConcurrency({ ROSTER_TENANT_CONCURRENCY: "3", ROSTER_TENANT_QUEUE: "0" }, defaults)).toEqual({ maxInFlight: 3, maxQueued: 0 });
    expect(() => readTenantConcurrency({ ROSTER_TENANT_CONCURRENCY: "0" }, defaults)).toThrow('ROSTER_TENANT_CONCURRENCY "0" is not an integer from 1 to 100000');
    expect(() => readTenantConcurrency({ ROSTER_TENANT_QUEUE: "many" }, defaults)).toThrow('ROSTER_TENANT_QUEUE "many" is not an integer from 0 to 1000000');
  });
});
