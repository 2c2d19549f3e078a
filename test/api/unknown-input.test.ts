import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { OPENAPI_DOCUMENT } from "../../src/http/api-openapi.js";
import { API_ROUTES } from "../../src/http/api-routes.js";
import { apiFetch, type ApiRoster, scimUser, startApiRoster } from "./support.js";

let t: ApiRoster;
/** An administrator key: it reaches every operation (a tenant key is 403 on the administrator-only ones before its input is read). */
let admin: string;
beforeAll(async () => {
  t = await startApiRoster();
  admin = (await createApiKey(t.roster.store, undefined, "admin")).key;
});
afterAll(() => t.close());

const METHODS = ["get", "put", "post", "patch", "delete"] as const;

interface Operation {
  readonly method: (typeof METHODS)[number];
  readonly path: string;
  readonly parameters: readonly { name: string; in: string }[];
  readonly requestBody?: { content: { "application/json": { schema: unknown } } };
}

/** Every operation of the OpenAPI document the server serves, with its path-level parameters merged in. */
function operations(): Operation[] {
  const paths = OPENAPI_DOCUMENT.paths as unknown as Record<string, Record<string, unknown> & { parameters?: { name: string; in: string }[] }>;
  return Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((method) => method in item).map((method) => {
      const operation = item[method] as { parameters?: { name: string; in: string }[]; requestBody?: Operation["requestBody"] };
      return {
        method,
        path,
        parameters: [...(item.parameters ?? []), ...(operation.parameters ?? [])],
        ...(operation.requestBody === undefined ? {} : { requestBody: operation.requestBody }),
      };
    }),
  );
}

/** A schema with its $ref resolved against the document's components. */
function resolve(schema: unknown): { type?: unknown; properties?: Record<string, unknown> } {
  const ref = (schema as { $ref?: string }).$ref;
  if (ref === undefined) return schema as { type?: unknown; properties?: Record<string, unknown> };
  const name = ref.replace("#/components/schemas/", "");
  return (OPENAPI_DOCUMENT.components.schemas as Record<string, unknown>)[name] as { type?: unknown; properties?: Record<string, unknown> };
}

function bodyFields(operation: Operation): string[] | "names" | "none" {
  if (operation.requestBody === undefined) return "none";
  const schema = resolve(operation.requestBody.content["application/json"].schema);
  if (schema.type === "array") return "names";
  return Object.keys(schema.properties ?? {}).sort();
}

/** The operation's URL on the test server: tenant acme, every other path parameter "x". */
function urlOf(operation: Operation, query = ""): string {
  const path = operation.path.replace("{tenant}", "acme").replace(/\{\w+\}/g, "x");
  return `${t.roster.url}/api/v1${path}${query}`;
}

const label = (operation: Operation) => `${operation.method.toUpperCase()} ${operation.path}`;

describe("management API: unknown query parameters and body fields", () => {
  it("declares, route by route, exactly the query parameters and body fields the OpenAPI document describes", () => {
    const documented = new Map(operations().map((operation) => [label(operation), operation]));
    expect(documented.size).toBe(API_ROUTES.length);
    for (const route of API_ROUTES) {
      const name = `${route.method} ${route.url.replace(/:(\w+)/g, "{$1}")}`;
      const operation = documented.get(name);
      expect(operation, name).toBeDefined();
      const query = (operation as Operation).parameters.filter((p) => p.in === "query").map((p) => p.name).sort();
      expect(query, name).toEqual([...route.query].sort());
      const body = bodyFields(operation as Operation);
      expect(body, name).toEqual(typeof route.body === "string" ? route.body : [...route.body].sort());
    }
  });

  it("refuses an unknown query parameter on every operation of the OpenAPI document with 400 naming it", async () => {
    const walked = operations();
    expect(walked.length).toBeGreaterThan(20);
    for (const operation of walked) {
      const response = await apiFetch(urlOf(operation, "?emial=a%40b.c"), admin, { method: operation.method.toUpperCase() });
      expect(response.status, label(operation)).toBe(400);
      expect(response.body.error.code, label(operation)).toBe("invalidRequest");
      expect(response.body.error.message, label(operation)).toContain('unknown query parameter "emial"');
    }
  });

  it("refuses an unknown field in the body of every operation with 400 naming it, also where the operation takes no body", async () => {
    let checked = 0;
    for (const operation of operations()) {
      // A GET's body is never read (HTTP gives it no meaning; fetch cannot send one).
      if (operation.method === "get") continue;
      const fields = bodyFields(operation);
      if (fields === "names") continue;
      const response = await apiFetch(urlOf(operation), admin, { method: operation.method.toUpperCase(), body: { bogus: 1 } });
      expect(response.status, label(operation)).toBe(400);
      expect(response.body.error.code, label(operation)).toBe("invalidRequest");
      expect(response.body.error.message, label(operation)).toContain('unknown field "bogus"');
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it("answers GET users?emial= with 400 naming the parameter and what it takes, not with every user", async () => {
    await t.acme.scim("/Users", { body: scimUser("dana@example.com") });
    const response = await t.api("/users?emial=dana%40example.com");
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: {
        code: "invalidRequest",
        message: 'unknown query parameter "emial" for GET users; it takes email, userName, externalId, active, managed, limit, cursor',
      },
    });
    expect((await t.api("/users?email=dana%40example.com")).body.data).toHaveLength(1);
  });

  it("refuses a query parameter on an endpoint that takes none, and a body on one that takes none", async () => {
    const roles = await t.api("/roles?limit=5");
    expect(roles.status).toBe(400);
    expect(roles.body.error.message).toBe('unknown query parameter "limit" for GET roles; it takes no query parameters');
    const removed = await t.api("/users/x", { method: "DELETE", body: { force: true } });
    expect(removed.status).toBe(400);
    expect(removed.body.error.message).toBe('unknown field "force" for DELETE users/{id}; it takes no body');
    const openapi = await fetch(`${t.roster.url}/api/v1/openapi.json?format=yaml`);
    expect(openapi.status).toBe(400);
    expect(((await openapi.json()) as { error: { message: string } }).error.message).toContain('unknown query parameter "format"');
  });

  it("still authenticates first: an unknown parameter without an API key is 401", async () => {
    const response = await t.api("/users?emial=x", { as: null });
    expect(response.status).toBe(401);
  });
});
