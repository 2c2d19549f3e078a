import { describe, expect, it } from "vitest";
import { DEFAULT_DISPATCHER_SETTINGS, readDispatcherSettings, retryDelayMs } from "../../src/events/dispatcher-settings.js";

describe("webhook dispatcher settings", () => {
  it("uses the documented defaults without variables", () => {
    expect(readDispatcherSettings({})).toEqual({
      timeoutMs: 10_000,
      retryBaseMs: 10_000,
      retryMaxMs: 3_600_000,
      maxAttempts: 20,
      leaseMs: 60_000,
      pollMs: 1_000,
      concurrency: 8,
      destinations: { allowPrivate: false, allowRanges: [] },
    });
  });

  it("reads each ROSTER_WEBHOOK_* variable", () => {
    const settings = readDispatcherSettings({
      ROSTER_WEBHOOK_TIMEOUT_MS: "1500",
      ROSTER_WEBHOOK_RETRY_BASE_MS: "20",
      ROSTER_WEBHOOK_MAX_ATTEMPTS: "3",
      ROSTER_WEBHOOK_LEASE_MS: "2000",
      ROSTER_WEBHOOK_POLL_MS: "50",
      ROSTER_WEBHOOK_CONCURRENCY: "2",
      ROSTER_WEBHOOK_ALLOW_PRIVATE: "true",
      ROSTER_WEBHOOK_UNKNOWN: "ignored",
    });
    expect(settings).toEqual({
      timeoutMs: 1500,
      retryBaseMs: 20,
      retryMaxMs: 3_600_000,
      maxAttempts: 3,
      leaseMs: 2000,
      pollMs: 50,
      concurrency: 2,
      destinations: { allowPrivate: true, allowRanges: [] },
    });
  });

  it.each([
    [{ ROSTER_WEBHOOK_MAX_ATTEMPTS: "0" }, 'ROSTER_WEBHOOK_MAX_ATTEMPTS "0" is not an integer from 1 to 1000'],
    [{ ROSTER_WEBHOOK_POLL_MS: "1.5" }, 'ROSTER_WEBHOOK_POLL_MS "1.5" is not an integer from 1 to 3600000'],
    [{ ROSTER_WEBHOOK_RETRY_BASE_MS: "-5" }, 'ROSTER_WEBHOOK_RETRY_BASE_MS "-5" is not an integer from 1 to 86400000'],
    [
      { ROSTER_WEBHOOK_ALLOW_PRIVATE: "10.0.0.0/8,yes" },
      'ROSTER_WEBHOOK_ALLOW_PRIVATE: "yes" does not start with an IPv4 or IPv6 address; expected true, false, or CIDR ranges separated by commas, such as 10.0.0.0/8,fd00::/8',
    ],
    [{ ROSTER_WEBHOOK_LEASE_MS: "9000" }, "ROSTER_WEBHOOK_LEASE_MS (9000) must be greater than ROSTER_WEBHOOK_TIMEOUT_MS (10000): a claim must outlast the attempt it covers"],
  ])("refuses %j", (env, message) => {
    expect(() => readDispatcherSettings(env)).toThrow(message);
  });

  it("waits a random time up to base × 2^(attempts-1), capped at an hour (full jitter)", () => {
    const almostOne = () => 0.999_999;
    const ceilings = [1, 2, 3, 9, 10, 19].map((attempts) => retryDelayMs(DEFAULT_DISPATCHER_SETTINGS, attempts, almostOne));
    expect(ceilings).toEqual([9_999, 19_999, 39_999, 2_559_997, 3_599_996, 3_599_996]);
    expect(retryDelayMs(DEFAULT_DISPATCHER_SETTINGS, 5, () => 0)).toBe(0);
    expect(retryDelayMs(DEFAULT_DISPATCHER_SETTINGS, 5, () => 0.5)).toBe(80_000);
  });
});
