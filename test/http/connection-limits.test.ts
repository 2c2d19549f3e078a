import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { errorShapeOf } from "../../src/http/client-errors.js";
import { applyConnectionLimits, DEFAULT_CONNECTION_LIMITS, readConnectionLimits } from "../../src/http/connection-limits.js";

describe("readConnectionLimits", () => {
  it("gives the documented defaults when nothing is set", () => {
    expect(readConnectionLimits({})).toEqual({ requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 72_000, maxConnections: 1_000 });
    expect(readConnectionLimits({ ROSTER_MAX_CONNECTIONS: " " })).toEqual(DEFAULT_CONNECTION_LIMITS);
  });

  it("takes each variable that is set", () => {
    expect(
      readConnectionLimits({ ROSTER_REQUEST_TIMEOUT_MS: "60000", ROSTER_HEADERS_TIMEOUT_MS: "5000", ROSTER_KEEP_ALIVE_TIMEOUT_MS: "65000", ROSTER_MAX_CONNECTIONS: "20000" }),
    ).toEqual({ requestTimeoutMs: 60_000, headersTimeoutMs: 5_000, keepAliveTimeoutMs: 65_000, maxConnections: 20_000 });
  });

  it.each([
    [{ ROSTER_REQUEST_TIMEOUT_MS: "30s" }, 'ROSTER_REQUEST_TIMEOUT_MS "30s" is not an integer from 1 to 3600000'],
    [{ ROSTER_HEADERS_TIMEOUT_MS: "0" }, 'ROSTER_HEADERS_TIMEOUT_MS "0" is not an integer from 1 to 3600000'],
    [{ ROSTER_KEEP_ALIVE_TIMEOUT_MS: "-1" }, 'ROSTER_KEEP_ALIVE_TIMEOUT_MS "-1" is not an integer from 1 to 3600000'],
    [{ ROSTER_MAX_CONNECTIONS: "1e3" }, 'ROSTER_MAX_CONNECTIONS "1e3" is not an integer from 1 to 1000000'],
    [{ ROSTER_REQUEST_TIMEOUT_MS: "5000" }, "ROSTER_HEADERS_TIMEOUT_MS (10000) must not be greater than ROSTER_REQUEST_TIMEOUT_MS (5000): the headers are part of the request"],
  ])("refuses %j, naming the variable", (env, message) => {
    expect(() => readConnectionLimits(env)).toThrow(message);
  });
});

describe("applyConnectionLimits", () => {
  it("sets the limits on Node's server and checks the timeouts at least every second", () => {
    const server = createServer();
    applyConnectionLimits(server, { requestTimeoutMs: 2_000, headersTimeoutMs: 1_000, keepAliveTimeoutMs: 3_000, maxConnections: 7 }, () => {});
    expect({
      requestTimeout: server.requestTimeout,
      headersTimeout: server.headersTimeout,
      keepAliveTimeout: server.keepAliveTimeout,
      maxConnections: server.maxConnections,
      interval: (server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval,
    }).toEqual({ requestTimeout: 2_000, headersTimeout: 1_000, keepAliveTimeout: 3_000, maxConnections: 7, interval: 250 });
    applyConnectionLimits(server, DEFAULT_CONNECTION_LIMITS, () => {});
    expect((server as unknown as { connectionsCheckingInterval: number }).connectionsCheckingInterval).toBe(1_000);
  });
});

describe("errorShapeOf", () => {
  it.each([
    ["/api/v1", "management"],
    ["/api/v1/tenants/acme/users?x=1", "management"],
    ["/api/v1?x", "management"],
    ["/api/v10/users", "scim"],
    ["/api/v2/users", "scim"],
    ["/scim/v2/acme/Users", "scim"],
    ["/", "scim"],
    [undefined, "scim"],
  ] as const)("answers %s in the %s shape", (url, shape) => {
    expect(errorShapeOf(url)).toBe(shape);
  });
});
