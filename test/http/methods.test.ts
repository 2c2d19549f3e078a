import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

/** What each endpoint serves: the contract every other method's 405 and its Allow header are checked against. */
const SCIM_ENDPOINTS: Readonly<Record<string, string>> = {
  "/scim/v2/:tenant/ServiceProviderConfig": "GET",
  "/scim/v2/:tenant/Schemas": "GET",
  "/scim/v2/:tenant/Schemas/:id": "GET",
  "/scim/v2/:tenant/ResourceTypes": "GET",
  "/scim/v2/:tenant/ResourceTypes/:id": "GET",
  "/scim/v2/:tenant/Users": "GET, POST",
  "/scim/v2/:tenant/Users/.search": "POST",
  "/scim/v2/:tenant/Users/:id": "GET, PUT, PATCH, DELETE",
  "/scim/v2/:tenant/Groups": "GET, POST",
  "/scim/v2/:tenant/Groups/.search": "POST",
  "/scim/v2/:tenant/Groups/:id": "GET, PUT, PATCH, DELETE",
  "/scim/v2/:tenant/.search": "POST",
  "/scim/v2/:tenant/Bulk": "POST",
};

const API_ENDPOINTS: Readonly<Record<string, string>> = {
  "/api/v1/openapi.json": "GET",
  "/api/v1/tenants/:tenant/users": "GET, POST",
  "/api/v1/tenants/:tenant/users/:id": "GET, PATCH, DELETE",
  "/api/v1/tenants/:tenant/groups": "GET, POST",
  "/api/v1/tenants/:tenant/groups/:id": "GET, PATCH, DELETE",
  "/api/v1/tenants/:tenant/groups/:id/members": "GET, POST",
  "/api/v1/tenants/:tenant/groups/:id/members/:userId": "DELETE",
  "/api/v1/tenants/:tenant/roles": "GET, PUT",
  "/api/v1/tenants/:tenant/lists/:name": "GET, PUT",
  "/api/v1/tenants/:tenant/webhooks": "GET, POST",
  "/api/v1/tenants/:tenant/webhooks/:id": "GET, PATCH, DELETE",
  "/api/v1/tenants/:tenant/webhooks/:id/deliveries": "GET",
  "/api/v1/tenants/:tenant/webhooks/:id/replay": "POST",
  "/api/v1/tenants/:tenant/events": "GET",
  "/api/v1/tenants/:tenant/profile": "GET, PUT",
  "/api/v1/tenants/:tenant/profile/check": "POST",
  "/api/v1/tenants": "GET, POST",
  "/api/v1/tenants/:tenant": "GET, PATCH, DELETE",
  "/api/v1/tenants/:tenant/audit": "GET",
  "/api/v1/audit": "GET",
  "/api/v1/api-keys": "GET, POST",
  "/api/v1/api-keys/:id": "DELETE",
  "/api/v1/tenants/:tenant/requests": "GET",
  "/api/v1/tenants/:tenant/requests/:requestId": "GET",
  "/api/v1/tenants/:tenant/status": "GET",
  "/api/v1/tenants/:tenant/scim-tokens": "GET, POST",
  "/api/v1/tenants/:tenant/scim-tokens/:id": "GET, DELETE",
};

/** Every method Fastify routes (fetch refuses TRACE, so requests go through node:http). */
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY"];

/** The server's route paths, read from Fastify's route tree (printRoutes without a common prefix). */
function registeredPaths(tree: string): string[] {
  const paths: string[] = [];
  const stack: { depth: number; path: string }[] = [];
  for (const line of tree.split("\n")) {
    const match = /^([│ ]*)[├└]── (\S+) \(/u.exec(line);
    if (match === null) continue;
    const depth = (match[1] ?? "").length / 4;
    while (stack.length > depth) stack.pop();
    const path = `${stack.at(-1)?.path ?? ""}${match[2] ?? ""}`;
    stack.push({ depth, path });
    paths.push(path);
  }
  return paths;
}

interface RawResponse {
  readonly status: number;
  readonly allow: string | undefined;
  readonly body: any;
}

/** One request over node:http with any method and raw body bytes. */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers: { ...headers, ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const allow = response.headers["allow"];
        resolve({ status: response.statusCode ?? 0, allow: typeof allow === "string" ? allow : undefined, body: text.length === 0 ? undefined : JSON.parse(text) });
      });
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });
}

function concrete(path: string, slug: string): string {
  return path.replace(":tenant", slug).replace(/:(id|userId)/g, "0190f0f0-0000-7000-8000-000000000000").replace(":name", "regions");
}

describe("methods an endpoint does not serve", () => {
  const MAX_BODY = 2_048;
  let roster: TestRoster;
  let tenant: TestTenant;
  let key: string;
  beforeAll(async () => {
    roster = await startTestRoster({ limits: { maxBodyBytes: MAX_BODY } });
    tenant = await roster.addTenant("methods");
    key = (await createApiKey(roster.store, tenant.tenant, "methods")).key;
  });
  afterAll(async () => {
    await roster.close();
  });

  it("lists every SCIM and management API path the server routes in the contract above", () => {
    const routed = registeredPaths(roster.server.app.printRoutes({ commonPrefix: false })).filter((path) => path !== "/healthz" && !path.endsWith("/Me"));
    expect(routed.sort()).toEqual([...Object.keys(SCIM_ENDPOINTS), ...Object.keys(API_ENDPOINTS)].sort());
  });

  it.each(Object.entries(SCIM_ENDPOINTS))("answers every other method on SCIM %s with 405, Allow: %s and a SCIM error, before reading a malformed body", async (path, allow) => {
    for (const method of METHODS.filter((method) => !allow.split(", ").includes(method) && !(method === "HEAD" && allow.includes("GET")))) {
      const response = await send(
        `${roster.url}${concrete(path, tenant.tenant.slug)}`,
        method,
        { authorization: `Bearer ${tenant.token}`, "content-type": "application/scim+json" },
        "{not json",
      );
      expect({ method, status: response.status, allow: response.allow }).toEqual({ method, status: 405, allow });
      if (method === "HEAD") continue;
      expect(response.body).toMatchObject({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "405" });
      expect(response.body.detail).toBe(`${method} is not supported on ${path.replace("/scim/v2/:tenant", "").replace(":id", "{id}")}; use ${allow}`);
    }
  });

  it.each(Object.entries(API_ENDPOINTS))("answers every other method on %s with 405, Allow: %s and the management API's error, before reading a malformed body", async (path, allow) => {
    for (const method of METHODS.filter((method) => !allow.split(", ").includes(method) && !(method === "HEAD" && allow.includes("GET")))) {
      const response = await send(`${roster.url}${concrete(path, tenant.tenant.slug)}`, method, { authorization: `Bearer ${key}`, "content-type": "text/plain" }, "{not json");
      expect({ method, status: response.status, allow: response.allow }).toEqual({ method, status: 405, allow });
      if (method === "HEAD") continue;
      expect(response.body).toEqual({
        error: { code: "methodNotAllowed", message: `${method} is not supported on ${path.replace(/:(\w+)/g, "{$1}")}; use ${allow}` },
      });
    }
  });

  it("answers POST /ServiceProviderConfig, /ResourceTypes and /Schemas with 405 however malformed or large the body", async () => {
    const headers = { authorization: `Bearer ${tenant.token}`, "content-type": "application/scim+json" };
    for (const endpoint of ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"]) {
      for (const body of ["{not json", "", JSON.stringify({ padding: "x".repeat(MAX_BODY * 4) })]) {
        const response = await send(`${tenant.baseUrl}${endpoint}`, "POST", headers, body);
        expect({ endpoint, size: body.length, status: response.status, allow: response.allow }).toEqual({ endpoint, size: body.length, status: 405, allow: "GET" });
      }
    }
  });

  it("still parses the body of a method an endpoint serves", async () => {
    const response = await send(`${tenant.baseUrl}/Users`, "POST", { authorization: `Bearer ${tenant.token}`, "content-type": "application/scim+json" }, "{not json");
    expect(response.status).toBe(400);
    expect(response.body.scimType).toBe("invalidSyntax");
  });

  it("asks for a token before revealing which methods exist", async () => {
    const scim = await send(`${tenant.baseUrl}/Users`, "DELETE", { "content-type": "application/scim+json" }, "{not json");
    expect(scim.status).toBe(401);
    expect(scim.allow).toBeUndefined();
    const api = await send(`${roster.url}/api/v1/tenants/${tenant.tenant.slug}/users`, "DELETE", {}, undefined);
    expect(api.status).toBe(401);
    expect(api.body.error.code).toBe("unauthorized");
  });
});
