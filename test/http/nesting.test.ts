import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { MAX_LOGGED_DEPTH } from "../../src/http/request-log.js";
import { MAX_NESTING_DEPTH } from "../../src/scim/nesting.js";
import type { RequestLogEntry } from "../../src/store/store.js";
import { apiFetch } from "../api/support.js";
import { startTestRoster, type ScimResponse, type TestRoster, type TestTenant } from "../helpers/roster.js";

// Issue 20, item 4: a body nested thousands of levels deep made JSON.stringify throw
// RangeError: the request log's redaction failed (the request, a successful write too, went
// unlogged), and PUT roles, PUT lists/<name> and /Bulk data answered 500. Bodies below are
// raw JSON text: JSON.stringify itself cannot write them.

const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const DEEP = 10_000;
const NOT_LOGGED = `[body nested deeper than ${MAX_LOGGED_DEPTH} levels: not logged]`;

/** `depth` arrays, one inside the other, as JSON text. */
const nestedArrays = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
/** `{"a":{"a":…1}}`, `depth` objects deep, as JSON text. */
const nestedObjects = (depth: number) => `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;

let roster: TestRoster;
let counter = 0;

beforeAll(async () => {
  roster = await startTestRoster();
});
afterAll(async () => {
  await roster.close();
});

async function tenant(): Promise<TestTenant> {
  counter += 1;
  return roster.addTenant(`nesting-${counter}`);
}

async function log(t: TestTenant): Promise<readonly RequestLogEntry[]> {
  await roster.server.flushRequestLog();
  return roster.store.read((session) => session.listRequestLog(t.tenant.id, 100));
}

function expectTooDeep(response: ScimResponse, where: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  expect(response.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  expect(response.body).toEqual({
    schemas: [ERROR_SCHEMA],
    status: "400",
    scimType: "invalidValue",
    detail: expect.stringContaining(`${where} nests objects and arrays deeper than ${MAX_NESTING_DEPTH} levels at `),
  });
}

describe("request bodies nested too deep (SCIM API)", () => {
  it("refuses a POST /Users body nested 10,000 levels deep with 400 invalidValue, and logs the request with a note for its body", async () => {
    const t = await tenant();
    const body = `{"schemas":["${USER}"],"userName":"deep@example.com","nickName":${nestedArrays(DEEP)}}`;
    const response = await t.scim("/Users", { body, headers: { "x-request-id": "deep-post" } });
    expectTooDeep(response, "the request body");
    expect(response.body.detail).toContain(`at nickName${"[0]".repeat(MAX_NESTING_DEPTH - 1)}`);
    expect((await t.scim("/Users?count=0")).body.totalResults).toBe(0);
    const entries = await log(t);
    const entry = entries.find((logged) => logged.requestId === "deep-post");
    expect(entry).toMatchObject({ method: "POST", status: 400, scimType: "invalidValue", errorDetail: response.body.detail, requestBody: NOT_LOGGED });
  });

  it("refuses a PATCH body nested too deep with 400 invalidValue (a scimType PATCH may answer)", async () => {
    const t = await tenant();
    const created = await t.scim("/Users", { body: { schemas: [USER], userName: "patched@example.com" } });
    expect(created.status).toBe(201);
    const body = `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"replace","path":"nickName","value":${nestedObjects(DEEP)}}]}`;
    const response = await t.scim(`/Users/${created.body.id}`, { method: "PATCH", body });
    expectTooDeep(response, "the request body");
    expect((await t.scim(`/Users/${created.body.id}`)).body.meta.version).toBe(created.body.meta.version);
  });

  it("counts nesting exactly: 32 levels reach the schema check, 33 are refused as too deep", async () => {
    const t = await tenant();
    const body = (depth: number) => `{"schemas":["${USER}"],"userName":"edge@example.com","nosuch":${nestedArrays(depth - 1)}}`;
    const allowed = await t.scim("/Users", { body: body(MAX_NESTING_DEPTH) });
    expect(allowed.status).toBe(400);
    expect(allowed.body.scimType).toBe("invalidSyntax");
    expect(allowed.body.detail).toContain("nosuch");
    expectTooDeep(await t.scim("/Users", { body: body(MAX_NESTING_DEPTH + 1) }), "the request body");
  });

  it("logs a successful write whose body is as deep as provisioning gets (a /Bulk PATCH of the enterprise manager) in full", async () => {
    const t = await tenant();
    const manager = await t.scim("/Users", { body: { schemas: [USER], userName: "boss@example.com" } });
    const report = await t.scim("/Users", { body: { schemas: [USER], userName: "report@example.com" } });
    const body = {
      schemas: [BULK_REQUEST],
      Operations: [
        {
          method: "PATCH",
          path: `/Users/${report.body.id}`,
          data: { schemas: [PATCH_OP], Operations: [{ op: "add", value: { [ENTERPRISE]: { manager: { value: manager.body.id } } } }] },
        },
      ],
    };
    const response = await t.scim("/Bulk", { body, headers: { "x-request-id": "deep-enough" } });
    expect(response.status).toBe(200);
    expect(response.body.Operations[0]).toMatchObject({ status: "200" });
    expect((await t.scim(`/Users/${report.body.id}`)).body[ENTERPRISE].manager.value).toBe(manager.body.id);
    const entry = (await log(t)).find((logged) => logged.requestId === "deep-enough");
    expect(entry?.status).toBe(200);
    expect(JSON.parse(entry!.requestBody!)).toEqual(body);
  });

  it("answers a /Bulk operation whose data is nested too deep with its own 400, runs the others, and logs the request", async () => {
    const t = await tenant();
    const deepData = `{"schemas":["${USER}"],"userName":"deep@example.com","nickName":${nestedArrays(DEEP)}}`;
    const operations = [
      JSON.stringify({ method: "POST", path: "/Users", bulkId: "first", data: { schemas: [USER], userName: "first@example.com" } }),
      `{"method":"POST","path":"/Users","bulkId":"deep","data":${deepData}}`,
      JSON.stringify({ method: "POST", path: "/Users", bulkId: "last", data: { schemas: [USER], userName: "last@example.com" } }),
      JSON.stringify({ method: "POST", path: "/Groups", bulkId: "g", data: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "G", members: [{ value: "bulkId:deep" }] } }),
    ];
    const body = `{"schemas":["${BULK_REQUEST}"],"Operations":[${operations.join(",")}]}`;
    const response = await t.scim("/Bulk", { body, headers: { "x-request-id": "deep-bulk" } });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const [first, deep, last, group] = response.body.Operations;
    expect(first).toMatchObject({ bulkId: "first", status: "201" });
    expect(deep).toEqual({
      method: "POST",
      bulkId: "deep",
      status: "400",
      response: {
        schemas: [ERROR_SCHEMA],
        status: "400",
        scimType: "invalidValue",
        detail: `Operations[1].data nests objects and arrays deeper than ${MAX_NESTING_DEPTH} levels at nickName${"[0]".repeat(MAX_NESTING_DEPTH - 1)}; no attribute needs more than ${MAX_NESTING_DEPTH}`,
      },
    });
    expect(last).toMatchObject({ bulkId: "last", status: "201" });
    expect(group).toMatchObject({ bulkId: "g", status: "409", response: { detail: 'bulkId "deep" does not name a resource created by this request' } });
    expect((await t.scim("/Users?count=0")).body.totalResults).toBe(2);
    const entry = (await log(t)).find((logged) => logged.requestId === "deep-bulk");
    expect(entry).toMatchObject({ status: 200, requestBody: NOT_LOGGED });
  });

  it("refuses a /Bulk envelope nested too deep outside any operation's data with 400 invalidValue, running nothing", async () => {
    const t = await tenant();
    const body = `{"schemas":["${BULK_REQUEST}"],"Operations":[{"method":"POST","path":"/Users","bulkId":"a","data":{"schemas":["${USER}"],"userName":"a@example.com"},"extra":${nestedArrays(DEEP)}}]}`;
    expectTooDeep(await t.scim("/Bulk", { body }), "the request body");
    expect((await t.scim("/Users?count=0")).body.totalResults).toBe(0);
  });
});

describe("request bodies nested too deep (management API)", () => {
  let key: string;
  let slug: string;
  beforeAll(async () => {
    const t = await tenant();
    slug = t.tenant.slug;
    key = (await createApiKey(roster.store, t.tenant, "test")).key;
  });
  const api = (path: string, body: string) => apiFetch(`${roster.url}/api/v1/tenants/${slug}${path}`, key, { method: "PUT", body });

  it.each([["/roles"], ["/lists/teams"]])("refuses PUT %s with an array nested 10,000 levels deep with 400 in its own shape", async (path) => {
    const response = await api(path, nestedArrays(DEEP));
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      error: {
        code: "invalidRequest",
        message: `the request body nests objects and arrays deeper than ${MAX_NESTING_DEPTH} levels at ${"[0]".repeat(MAX_NESTING_DEPTH)}; no attribute needs more than ${MAX_NESTING_DEPTH}`,
      },
    });
  });

  it("refuses PUT roles whose entry is a nested array within the limit, naming the entry", async () => {
    const response = await api("/roles", `["Mechanic",${nestedArrays(MAX_NESTING_DEPTH - 1)}]`);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalidRequest");
    expect(response.body.error.message).toMatch(/^roles\[1\]: expected a non-empty string/);
  });
});
