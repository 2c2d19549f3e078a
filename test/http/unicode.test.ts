import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { apiFetch } from "../api/support.js";
import { startTestRoster, type ScimResponse, type TestRoster, type TestTenant } from "../helpers/roster.js";

// Issue 20, item 1: a string holding an unpaired UTF-16 surrogate ("\ud800" in JSON) was
// stored (201), and on PostgreSQL every unindexed filter of the tenant then answered 500.
// Bodies below are raw JSON text, so the escape reaches the server exactly as written.

const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

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
  return roster.addTenant(`unicode-${counter}`);
}

function expectInvalidValue(response: ScimResponse, where: string | RegExp): void {
  expect(response.status, JSON.stringify(response.body)).toBe(400);
  expect(response.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  expect(response.body.schemas).toEqual([ERROR_SCHEMA]);
  expect(response.body.scimType).toBe("invalidValue");
  expect(response.body.detail).toMatch(/not valid Unicode/);
  expect(response.body.detail).toMatch(where);
}

async function userCount(t: TestTenant): Promise<number> {
  const response = await t.scim("/Users?count=0");
  expect(response.status).toBe(200);
  return response.body.totalResults as number;
}

async function createUser(t: TestTenant, userName: string, extra: Record<string, unknown> = {}): Promise<any> {
  const response = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName, ...extra } });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body;
}

describe("strings holding a lone surrogate", () => {
  it("refuses a User whose nickName is an unpaired surrogate with 400 invalidValue, stores nothing, and the tenant's filters keep answering", async () => {
    const t = await tenant();
    const refused = await t.scim("/Users", { body: `{"schemas":["${USER_SCHEMA}"],"userName":"poison@example.com","nickName":"\\ud800"}` });
    expectInvalidValue(refused, /at nickName/);
    expect(await userCount(t)).toBe(0);

    await createUser(t, "dana@example.com", { title: "x", emails: [{ value: "dana@example.com" }] });
    for (const filter of ['title eq "x"', "userName pr", "emails pr", 'nickName eq "a"', 'emails.value ew "example.com"']) {
      const response = await t.scim(`/Users?filter=${encodeURIComponent(filter)}`);
      expect(response.status, `${filter}: ${JSON.stringify(response.body)}`).toBe(200);
    }
    const byTitle = await t.scim(`/Users?filter=${encodeURIComponent('title eq "x"')}`);
    expect(byTitle.body.Resources.map((user: any) => user.userName)).toEqual(["dana@example.com"]);
  });

  it("names the attribute path of a lone low surrogate nested in a complex or multi-valued attribute", async () => {
    const t = await tenant();
    expectInvalidValue(
      await t.scim("/Users", { body: `{"schemas":["${USER_SCHEMA}"],"userName":"a@example.com","name":{"givenName":"Da\\udc00na"}}` }),
      /at name\.givenName/,
    );
    expectInvalidValue(
      await t.scim("/Users", { body: `{"schemas":["${USER_SCHEMA}"],"userName":"a@example.com","emails":[{"value":"ok@example.com"},{"value":"x\\udbff@example.com"}]}` }),
      /at emails\[1\]\.value/,
    );
    expect(await userCount(t)).toBe(0);
  });

  it("refuses an object key holding a lone surrogate and names it", async () => {
    const t = await tenant();
    expectInvalidValue(
      await t.scim("/Users", { body: `{"schemas":["${USER_SCHEMA}"],"userName":"a@example.com","x\\ud800":"value"}` }),
      /in the key of "x\\ud800"/,
    );
    expect(await userCount(t)).toBe(0);
  });

  it("refuses a lone surrogate in PUT, PATCH and /Bulk bodies and leaves the user as it was", async () => {
    const t = await tenant();
    const user = await createUser(t, "dana@example.com", { nickName: "before" });
    expectInvalidValue(
      await t.scim(`/Users/${user.id}`, { method: "PUT", body: `{"schemas":["${USER_SCHEMA}"],"userName":"dana@example.com","nickName":"\\ud800"}` }),
      /at nickName/,
    );
    expectInvalidValue(
      await t.scim(`/Users/${user.id}`, {
        method: "PATCH",
        body: `{"schemas":["${PATCH_OP}"],"Operations":[{"op":"replace","path":"title","value":"ok"},{"op":"replace","value":{"nickName":"\\udfff"}}]}`,
      }),
      /at Operations\[1\]\.value\.nickName/,
    );
    expectInvalidValue(
      await t.scim("/Bulk", {
        body: `{"schemas":["${BULK_REQUEST}"],"Operations":[{"method":"POST","path":"/Users","bulkId":"a","data":{"schemas":["${USER_SCHEMA}"],"userName":"b@example.com"}},{"method":"POST","path":"/Users","bulkId":"b","data":{"schemas":["${USER_SCHEMA}"],"userName":"c@example.com","nickName":"\\ud800"}}]}`,
      }),
      /at Operations\[1\]\.data\.nickName/,
    );
    const after = await t.scim(`/Users/${user.id}`);
    expect(after.body.nickName).toBe("before");
    expect(after.body).not.toHaveProperty("title");
    expect(await userCount(t)).toBe(1);
  });

  it("refuses a filter whose string escapes an unpaired surrogate, in the query string and in POST .search", async () => {
    const t = await tenant();
    await createUser(t, "dana@example.com", { title: "x" });
    expectInvalidValue(await t.scim(`/Users?filter=${encodeURIComponent('title eq "\\ud800"')}`), /filter: the string starting at column 10/);
    expectInvalidValue(
      await t.scim("/Users/.search", { body: `{"schemas":["${SEARCH_REQUEST}"],"filter":"title eq \\"\\\\udc00\\""}` }),
      /filter: the string starting at column 10/,
    );
    // The filter string itself (JSON-decoded by the body parser) holding the surrogate.
    expectInvalidValue(await t.scim("/.search", { body: `{"schemas":["${SEARCH_REQUEST}"],"filter":"title eq \\"\\ud800\\""}` }), /at filter/);
    const patch = await t.scim(`/Users?filter=${encodeURIComponent('title eq "x"')}`);
    expect(patch.status).toBe(200);
  });

  it("refuses a PATCH path whose value filter escapes an unpaired surrogate", async () => {
    const t = await tenant();
    const user = await createUser(t, "dana@example.com", { emails: [{ value: "dana@example.com", type: "work" }] });
    const response = await t.scim(`/Users/${user.id}`, {
      method: "PATCH",
      body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: 'emails[type eq "\\ud800"].value', value: "x@example.com" }] },
    });
    expectInvalidValue(response, /not valid Unicode/);
  });

  it("accepts a character outside the Basic Multilingual Plane sent as a surrogate pair, and serves it back and finds it", async () => {
    const t = await tenant();
    const created = await t.scim("/Users", { body: `{"schemas":["${USER_SCHEMA}"],"userName":"emoji@example.com","nickName":"smile \\ud83d\\ude00","title":"\u{1F680}"}` });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.nickName).toBe("smile \u{1F600}");
    const fetched = await t.scim(`/Users/${created.body.id}`);
    expect(fetched.body.nickName).toBe("smile \u{1F600}");
    expect(fetched.body.title).toBe("\u{1F680}");
    const found = await t.scim(`/Users?filter=${encodeURIComponent('nickName eq "smile \\ud83d\\ude00"')}`);
    expect(found.status).toBe(200);
    expect(found.body.Resources.map((user: any) => user.userName)).toEqual(["emoji@example.com"]);
    const byTitle = await t.scim(`/Users?filter=${encodeURIComponent('title eq "\u{1F680}"')}`);
    expect(byTitle.body.totalResults).toBe(1);
  });

  it("refuses a management API body holding a lone surrogate with the management API's own 400", async () => {
    const t = await tenant();
    const { key } = await createApiKey(roster.store, t.tenant, "unicode");
    const base = `${roster.url}/api/v1/tenants/${t.tenant.slug}`;
    const refused = await apiFetch(`${base}/users`, key, { body: '{"userName":"poison@example.com","givenName":"\\ud800"}' });
    expect(refused.status, JSON.stringify(refused.body)).toBe(400);
    expect(refused.headers.get("content-type")).toMatch(/^application\/json/);
    expect(refused.body.error.code).toBe("invalidRequest");
    expect(refused.body.error.message).toMatch(/not valid Unicode at givenName/);
    const listed = await apiFetch(`${base}/users`, key);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain("poison");
    expect(await userCount(t)).toBe(0);
  });
});
