import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";

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
  return roster.addTenant(`errors-${counter}`);
}

function expectScimError(
  response: { status: number; headers: Headers; body: any },
  status: number,
  scimType: string | undefined,
  detail?: string | RegExp,
): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  expect(response.headers.get("x-request-id")).toMatch(/.+/);
  expect(response.body.schemas).toEqual([ERROR_SCHEMA]);
  expect(response.body.status).toBe(String(status));
  if (scimType === undefined) expect(response.body).not.toHaveProperty("scimType");
  else expect(response.body.scimType).toBe(scimType);
  expect(typeof response.body.detail).toBe("string");
  if (detail !== undefined) expect(response.body.detail).toMatch(detail);
}

async function createUser(t: TestTenant, extra: Record<string, unknown> = {}): Promise<any> {
  const response = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "alice@example.com", active: true, ...extra } });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

async function rawPost(t: TestTenant, path: string, body: string, contentType: string) {
  const response = await fetch(`${t.baseUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.token}`, "content-type": contentType },
    body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text.length > 0 ? JSON.parse(text) : undefined };
}

async function userCount(t: TestTenant): Promise<number> {
  const response = await t.scim("/Users?count=0");
  expect(response.status).toBe(200);
  return response.body.totalResults as number;
}

describe("bad request bodies", () => {
  it("returns 400 invalidSyntax for malformed JSON and creates nothing", async () => {
    const t = await tenant();
    const response = await rawPost(t, "/Users", '{"userName": "a",', "application/scim+json");
    expectScimError(response, 400, "invalidSyntax", /JSON/);
    expect(await userCount(t)).toBe(0);
  });

  it("returns 400 invalidSyntax for an empty body", async () => {
    const t = await tenant();
    const response = await rawPost(t, "/Users", "", "application/scim+json");
    expectScimError(response, 400, "invalidSyntax");
  });

  it.each([
    ["an array", [{ userName: "a" }]],
    ["a string", "alice"],
    ["a number", 42],
    ["null", null],
  ])("returns 400 when the body of a create is %s", async (_name, body) => {
    const t = await tenant();
    const response = await rawPost(t, "/Users", JSON.stringify(body), "application/scim+json");
    expect(response.status).toBe(400);
    expectScimError(response, 400, response.body.scimType);
    expect(["invalidSyntax", "invalidValue"]).toContain(response.body.scimType);
    expect(await userCount(t)).toBe(0);
  });

  it("returns 413 with a SCIM error for a body over 1 MiB", async () => {
    const t = await tenant();
    const body = JSON.stringify({ schemas: [USER_SCHEMA], userName: "big", displayName: "x".repeat(1_100_000) });
    const response = await rawPost(t, "/Users", body, "application/scim+json");
    expectScimError(response, 413, undefined, /limit/);
    expect(await userCount(t)).toBe(0);
  });

  it("returns 415 for a text/plain body", async () => {
    const t = await tenant();
    const response = await rawPost(t, "/Users", JSON.stringify({ userName: "a" }), "text/plain");
    expectScimError(response, 415, undefined, /application\/scim\+json/);
    expect(await userCount(t)).toBe(0);
  });

  it("accepts application/json as well as application/scim+json", async () => {
    const t = await tenant();
    const response = await rawPost(t, "/Users", JSON.stringify({ schemas: [USER_SCHEMA], userName: "json" }), "application/json");
    expect(response.status).toBe(201);
  });

  it("returns 400 naming an unknown attribute", async () => {
    const t = await tenant();
    const response = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "a", favouriteColour: "blue" } });
    expectScimError(response, 400, response.body.scimType, /favouriteColour/);
    expect(["invalidSyntax", "invalidValue"]).toContain(response.body.scimType);
    expect(await userCount(t)).toBe(0);
  });

  it('returns 400 invalidValue for active: "yes"', async () => {
    const t = await tenant();
    const response = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "a", active: "yes" } });
    expectScimError(response, 400, "invalidValue", /active/);
    expect(await userCount(t)).toBe(0);
  });

  it("returns 400 when userName is missing", async () => {
    const t = await tenant();
    const response = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], displayName: "No Name" } });
    expectScimError(response, 400, response.body.scimType, /userName/);
    expect(["invalidValue", "invalidSyntax"]).toContain(response.body.scimType);
    expect(await userCount(t)).toBe(0);
  });

  it("returns 409 uniqueness when userName differs only in case", async () => {
    const t = await tenant();
    await createUser(t);
    const response = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "ALICE@example.com" } });
    expectScimError(response, 409, "uniqueness", /userName/);
    expect(await userCount(t)).toBe(1);
  });

  it("returns 400 on a PUT with a wrong type and leaves the user unchanged", async () => {
    const t = await tenant();
    const user = await createUser(t, { displayName: "Alice" });
    const response = await t.scim(`/Users/${user.id}`, {
      method: "PUT",
      body: { schemas: [USER_SCHEMA], userName: "alice@example.com", displayName: "Changed", active: "yes" },
    });
    expectScimError(response, 400, "invalidValue", /active/);
    const after = await t.scim(`/Users/${user.id}`);
    expect(after.body).toEqual(user);
  });
});

describe("PATCH errors", () => {
  const cases: readonly [string, unknown, string, RegExp][] = [
    ["replacing id", [{ op: "replace", path: "id", value: "other" }], "mutability", /id/],
    ["replacing meta.created", [{ op: "replace", path: "meta.created", value: "2020-01-01T00:00:00Z" }], "mutability", /meta/],
    ["removing userName (required)", [{ op: "remove", path: "userName" }], "mutability", /userName/],
    ["a path of an unknown attribute", [{ op: "replace", path: "nickName2", value: "x" }], "invalidPath", /nickName2/],
    ["a path with a broken filter", [{ op: "replace", path: 'emails[type eq "work".value', value: "x" }], "invalidPath", /column 22/],
    ["a wrong value type", [{ op: "replace", path: "active", value: "yes" }], "invalidValue", /active/],
    ["an unknown op", [{ op: "merge", path: "active", value: true }], "invalidSyntax", /merge/],
    ["remove without a path", [{ op: "remove" }], "noTarget", /path/],
    ["replace on a value path that cannot describe a new element", [{ op: "replace", path: 'emails[value co "x"].type', value: "home" }], "noTarget", /emails/],
  ];

  it.each(cases)("returns 400 %s and changes nothing", async (_name, operations, scimType, detail) => {
    const t = await tenant();
    const user = await createUser(t, { displayName: "Alice" });
    const response = await t.scim(`/Users/${user.id}`, {
      method: "PATCH",
      body: {
        schemas: [PATCH_OP],
        Operations: [{ op: "replace", path: "displayName", value: "Changed first" }, ...(operations as unknown[])],
      },
    });
    expectScimError(response, 400, scimType, detail);
    const after = await t.scim(`/Users/${user.id}`);
    expect(after.body).toEqual(user);
  });

  it.each([
    ["add", { op: "add", path: "groups", value: [{ value: "some-group" }] }],
    ["remove", { op: "remove", path: "groups" }],
    ["replace a sub-attribute", { op: "replace", path: "groups.display", value: "x" }],
  ])("returns 400 mutability for a PATCH that would %s a user's groups (readOnly; membership changes through the Group)", async (_name, operation) => {
    const t = await tenant();
    const user = await createUser(t);
    const group = await t.scim("/Groups", { body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "G", members: [{ value: user.id }] } });
    const before = await t.scim(`/Users/${user.id}`);
    const response = await t.scim(`/Users/${user.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [operation] } });
    expectScimError(response, 400, "mutability", /groups/);
    const after = await t.scim(`/Users/${user.id}`);
    expect(after.body).toEqual(before.body);
    expect(after.body.groups).toEqual([expect.objectContaining({ value: group.body.id })]);
  });

  it("ignores a user's groups repeated in a path-less replace", async () => {
    const t = await tenant();
    const user = await createUser(t);
    const response = await t.scim(`/Users/${user.id}`, {
      method: "PATCH",
      body: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { displayName: "New", groups: [] } }] },
    });
    expect(response.status).toBe(200);
    expect(response.body.displayName).toBe("New");
  });

  it("returns 400 invalidSyntax when schemas does not name PatchOp", async () => {
    const t = await tenant();
    const user = await createUser(t);
    const response = await t.scim(`/Users/${user.id}`, {
      method: "PATCH",
      body: { Operations: [{ op: "replace", path: "active", value: false }] },
    });
    expectScimError(response, 400, "invalidSyntax", /PatchOp/);
  });

  it("treats a remove on a value path that matches nothing as a no-op (decision 0006)", async () => {
    const t = await tenant();
    const user = await createUser(t, { emails: [{ value: "a@example.com", type: "work" }] });
    const response = await t.scim(`/Users/${user.id}`, {
      method: "PATCH",
      body: { schemas: [PATCH_OP], Operations: [{ op: "remove", path: 'emails[type eq "home"]' }] },
    });
    expect(response.status).toBe(200);
    expect(response.body.emails).toEqual([{ value: "a@example.com", type: "work" }]);
    expect(response.body.meta.version).toBe(user.meta.version);
  });

  it("returns 404 for a PATCH of a missing user", async () => {
    const t = await tenant();
    const response = await t.scim("/Users/00000000-0000-0000-0000-000000000000", {
      method: "PATCH",
      body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] },
    });
    expectScimError(response, 404, undefined, /not found/);
  });
});

describe("bad filters", () => {
  it.each([
    ['userName eqq "a"', /column \d+/],
    ['userName eq "a', /column \d+|unterminated/],
    ["(userName pr", /column \d+|\)/],
    ['userName eq "a" and', /column \d+/],
  ])("returns 400 invalidFilter with a position for %s", async (filter, detail) => {
    const t = await tenant();
    const response = await t.scim(`/Users?filter=${encodeURIComponent(filter)}`);
    expectScimError(response, 400, "invalidFilter", detail);
  });

  it.each(['shoeSize eq "42"', 'name.middleInitial eq "x"', 'urn:example:custom:2.0:User:foo eq "x"', 'emails[kind eq "work"]'])(
    "returns 400 invalidFilter, never a 200, for the unknown attribute in %s",
    async (filter) => {
      const t = await tenant();
      await createUser(t);
      const response = await t.scim(`/Users?filter=${encodeURIComponent(filter)}`);
      expectScimError(response, 400, "invalidFilter");
    },
  );

  it("returns 400 invalidFilter for an unknown attribute on Groups", async () => {
    const t = await tenant();
    const response = await t.scim(`/Groups?filter=${encodeURIComponent('userName eq "a"')}`);
    expectScimError(response, 400, "invalidFilter", /userName/);
  });

  it("returns 400 invalidFilter for an empty filter", async () => {
    const t = await tenant();
    const response = await t.scim("/Users?filter=");
    expectScimError(response, 400, "invalidFilter");
  });

  it("returns 400 for a non-integer count", async () => {
    const t = await tenant();
    const response = await t.scim("/Users?count=ten");
    expectScimError(response, 400, "invalidValue", /count/);
  });
});

describe("endpoints", () => {
  it("returns 404 with a SCIM error for an unknown endpoint", async () => {
    const t = await tenant();
    const response = await t.scim("/Widgets");
    expectScimError(response, 404, undefined, /Widgets/);
  });

  it("returns 404 for an unknown user id", async () => {
    const t = await tenant();
    const response = await t.scim("/Users/does-not-exist");
    expectScimError(response, 404, undefined, /does-not-exist/);
  });

  it.each(["GET", "POST", "PUT", "PATCH", "DELETE"])("answers %s /Me with 501", async (method) => {
    const t = await tenant();
    const response = await t.scim("/Me", { method, ...(method === "GET" || method === "DELETE" ? {} : { body: {} }) });
    expectScimError(response, 501, undefined, /Me/);
  });

  it("answers a URL with broken percent-encoding with a SCIM 400", async () => {
    const t = await tenant();
    const response = await t.scim("/Users/%E0%A4");
    expectScimError(response, 400, "invalidSyntax", /URL/);
  });

  it.each([
    ["PUT", "/Users"],
    ["DELETE", "/Groups"],
    ["POST", "/Users/some-id"],
    ["DELETE", "/ServiceProviderConfig"],
  ])("answers %s %s with 405 and Allow", async (method, path) => {
    const t = await tenant();
    const response = await t.scim(path, { method, ...(method === "POST" || method === "PUT" ? { body: {} } : {}) });
    expectScimError(response, 405, undefined, new RegExp(method));
    expect(response.headers.get("allow")).toMatch(/GET/);
  });

  it("echoes a client X-Request-Id on errors", async () => {
    const t = await tenant();
    const response = await t.scim("/Users/nope", { headers: { "x-request-id": "req-123" } });
    expect(response.status).toBe(404);
    expect(response.headers.get("x-request-id")).toBe("req-123");
  });

  it("never leaks internals in an error detail", async () => {
    const t = await tenant();
    const response = await rawPost(t, "/Users", '{"userName": ', "application/scim+json");
    expect(response.body.detail).not.toMatch(/node_modules|at .*\.ts:\d+|SqliteError/);
  });
});
