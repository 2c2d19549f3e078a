import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { apiFetch, type ApiResponse } from "../api/support.js";
import { startTestRoster, type ScimResponse, type TestRoster, type TestTenant } from "../helpers/roster.js";

// Issue 20, item 8: on PostgreSQL a userName (displayName, externalId, emails.value) longer
// than about 2,700 bytes answered 500 (index row too large), while SQLite stored a 1 MB
// userName. Every attribute now has a maximum length in characters (docs/attribute-limits.md,
// ADR 0030), refused alike on both databases with 400 invalidValue on every write path.

const ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error";
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

/** Four bytes of UTF-8 and two UTF-16 units: the widest character there is. */
const EMOJI = "\u{1F600}";

/**
 * `length` characters drawn from `alphabet` by a fixed pseudo-random sequence. PostgreSQL
 * compresses a long index key before measuring it, so a repeated character would fit: the
 * 500 came from text that does not compress, like this.
 */
function noise(length: number, alphabet: readonly string[] = [..."abcdefghijklmnopqrstuvwxyz0123456789"], seed = length): string {
  let state = seed >>> 0;
  let text = "";
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    text += alphabet[(state >>> 8) % alphabet.length];
  }
  return text;
}

/** Characters of four UTF-8 bytes each (U+1F300 to U+1F5FF), in an order that does not compress. */
const ASTRAL = Array.from({ length: 0x300 }, (_, index) => String.fromCodePoint(0x1f300 + index));

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
  return roster.addTenant(`lengths-${counter}`);
}

/** An email address of exactly `length` characters. */
function email(length: number, alphabet?: readonly string[]): string {
  return `${noise(length - "@example.com".length, alphabet)}@example.com`;
}

function expectTooLong(response: ScimResponse, where: string, max: number, got: number): void {
  expect(response.status, JSON.stringify(response.body)?.slice(0, 400)).toBe(400);
  expect(response.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  expect(response.body.schemas).toEqual([ERROR_SCHEMA]);
  expect(response.body.scimType).toBe("invalidValue");
  expect(response.body.detail).toContain(`attribute "${where}": expected at most ${max} characters, got ${got}`);
}

async function userCount(t: TestTenant): Promise<number> {
  const response = await t.scim("/Users?count=0");
  expect(response.status).toBe(200);
  return response.body.totalResults as number;
}

async function createUser(t: TestTenant, userName: string, extra: Record<string, unknown> = {}): Promise<any> {
  const response = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName, ...extra } });
  expect(response.status, JSON.stringify(response.body)?.slice(0, 400)).toBe(201);
  return response.body;
}

async function findUsers(t: TestTenant, filter: string): Promise<string[]> {
  const response = await t.scim(`/Users?filter=${encodeURIComponent(filter)}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return (response.body.Resources ?? []).map((user: any) => user.id as string);
}

describe("maximum lengths of indexed attributes", () => {
  it("refuses a 3,000-character userName, displayName, externalId or emails.value with 400 invalidValue naming the attribute, its length and the maximum, and stores nothing", async () => {
    const t = await tenant();
    expectTooLong(await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: email(3_000) } }), "userName", 512, 3_000);
    expectTooLong(
      await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "dana@example.com", displayName: noise(3_000) } }),
      "displayName",
      512,
      3_000,
    );
    expectTooLong(
      await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "dana@example.com", externalId: noise(3_000) } }),
      "externalId",
      512,
      3_000,
    );
    expectTooLong(
      await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "dana@example.com", emails: [{ value: "dana@example.com" }, { value: email(3_000) }] } }),
      "emails[1].value",
      512,
      3_000,
    );
    expect(await userCount(t)).toBe(0);
    // The tenant is unharmed: the same user with ordinary values is created.
    await createUser(t, "dana@example.com", { displayName: "Dana", externalId: "00u1", emails: [{ value: "dana@example.com" }] });
  });

  it("refuses a Group whose displayName or externalId has 3,000 characters", async () => {
    const t = await tenant();
    expectTooLong(await t.scim("/Groups", { body: { schemas: [GROUP_SCHEMA], displayName: noise(3_000) } }), "displayName", 512, 3_000);
    expectTooLong(
      await t.scim("/Groups", { body: { schemas: [GROUP_SCHEMA], displayName: "Ops", externalId: noise(3_000) } }),
      "externalId",
      512,
      3_000,
    );
    const listed = await t.scim("/Groups?count=0");
    expect(listed.body.totalResults).toBe(0);
  });

  it("refuses a 1 MB userName with 400 invalidValue", async () => {
    const t = await tenant();
    const response = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: noise(1_000_000) } });
    expectTooLong(response, "userName", 512, 1_000_000);
    expect(await userCount(t)).toBe(0);
  });

  it("accepts exactly 512 characters of four-byte UTF-8 in every indexed attribute, finds the user by each, and refuses 513", async () => {
    const t = await tenant();
    const userName = noise(512, ASTRAL, 1);
    // İ (two bytes) lower-cases to two code points of three bytes: what the index holds grows.
    const displayName = noise(512, [...ASTRAL, "\u0130"], 2);
    const externalId = noise(512, ASTRAL, 3);
    const address = email(512, ASTRAL);
    const user = await createUser(t, userName, { displayName, externalId, emails: [{ value: address, primary: true }] });
    expect(user.userName).toBe(userName);
    expect(await findUsers(t, `userName eq "${userName}"`)).toEqual([user.id]);
    expect(await findUsers(t, `displayName eq "${displayName}"`)).toEqual([user.id]);
    expect(await findUsers(t, `externalId eq "${externalId}"`)).toEqual([user.id]);
    expect(await findUsers(t, `emails.value eq "${address}"`)).toEqual([user.id]);

    expectTooLong(await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: noise(513, ASTRAL) } }), "userName", 512, 513);
    expectTooLong(
      await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "b@example.com", emails: [{ value: email(513, ASTRAL) }] } }),
      "emails[0].value",
      512,
      513,
    );
    expect(await userCount(t)).toBe(1);
  });

  it("accepts a 512-character Group displayName of four-byte characters and refuses 513", async () => {
    const t = await tenant();
    const displayName = noise(512, ASTRAL, 4);
    const created = await t.scim("/Groups", { body: { schemas: [GROUP_SCHEMA], displayName, externalId: noise(512, ASTRAL, 5) } });
    expect(created.status, JSON.stringify(created.body)?.slice(0, 300)).toBe(201);
    const found = await t.scim(`/Groups?filter=${encodeURIComponent(`displayName eq "${displayName}"`)}`);
    expect(found.body.totalResults).toBe(1);
    expectTooLong(await t.scim("/Groups", { body: { schemas: [GROUP_SCHEMA], displayName: noise(513, ASTRAL) } }), "displayName", 512, 513);
  });
});

describe("maximum lengths of other attributes", () => {
  it("allows 4,096 characters of free text and 2,048 of a URL, and refuses one more", async () => {
    const t = await tenant();
    const user = await createUser(t, "dana@example.com", {
      title: "t".repeat(4_096),
      name: { givenName: EMOJI.repeat(4_096) },
      profileUrl: `https://example.com/${"p".repeat(2_048 - 20)}`,
      [ENTERPRISE]: { department: "d".repeat(4_096) },
    });
    expect(user.title).toHaveLength(4_096);
    const body = { schemas: [USER_SCHEMA], userName: "dana@example.com" };
    expectTooLong(await t.scim(`/Users/${user.id}`, { method: "PUT", body: { ...body, title: "t".repeat(4_097) } }), "title", 4_096, 4_097);
    expectTooLong(await t.scim(`/Users/${user.id}`, { method: "PUT", body: { ...body, name: { familyName: EMOJI.repeat(4_097) } } }), "name.familyName", 4_096, 4_097);
    expectTooLong(
      await t.scim(`/Users/${user.id}`, { method: "PUT", body: { ...body, profileUrl: `https://example.com/${"p".repeat(2_049 - 20)}` } }),
      "profileUrl",
      2_048,
      2_049,
    );
    expectTooLong(
      await t.scim(`/Users/${user.id}`, { method: "PUT", body: { ...body, [ENTERPRISE]: { department: "d".repeat(4_097) } } }),
      `${ENTERPRISE}:department`,
      4_096,
      4_097,
    );
    expectTooLong(
      await t.scim(`/Users/${user.id}`, { method: "PUT", body: { ...body, addresses: [{ streetAddress: "s".repeat(4_097) }] } }),
      "addresses[0].streetAddress",
      4_096,
      4_097,
    );
    expectTooLong(await t.scim(`/Users/${user.id}`, { method: "PUT", body: { ...body, password: "p".repeat(4_097) } }), "password", 4_096, 4_097);
    const after = await t.scim(`/Users/${user.id}`);
    expect(after.body.title).toHaveLength(4_096);
  });

  it("refuses more than 100 emails and more than 1,000 entitlements, naming the attribute and the count", async () => {
    const t = await tenant();
    const emails = (count: number) => Array.from({ length: count }, (_, index) => ({ value: `dana+${index}@example.com` }));
    const entitlements = (count: number) => Array.from({ length: count }, (_, index) => ({ value: `e${index}` }));
    await createUser(t, "dana@example.com", { emails: emails(100), entitlements: entitlements(1_000) });
    const tooManyEmails = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "b@example.com", emails: emails(101) } });
    expect(tooManyEmails.status).toBe(400);
    expect(tooManyEmails.body.scimType).toBe("invalidValue");
    expect(tooManyEmails.body.detail).toBe('attribute "emails": expected at most 100 values, got 101');
    const tooManyEntitlements = await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "b@example.com", entitlements: entitlements(1_001) } });
    expect(tooManyEntitlements.status).toBe(400);
    expect(tooManyEntitlements.body.detail).toBe('attribute "entitlements": expected at most 1000 values, got 1001');
    expect(await userCount(t)).toBe(1);
  });
});

describe("every write path", () => {
  it("refuses a too-long value given by PATCH with a path, without one, through a value filter, or added to a list, and leaves the user as it was", async () => {
    const t = await tenant();
    const user = await createUser(t, "dana@example.com", { displayName: "Dana", emails: [{ value: "dana@example.com", type: "work" }] });
    const patch = (operation: Record<string, unknown>) =>
      t.scim(`/Users/${user.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: "ok" }, operation] } });
    expectTooLong(await patch({ op: "replace", path: "userName", value: email(3_000) }), "userName", 512, 3_000);
    expectTooLong(await patch({ op: "replace", value: { displayName: noise(3_000) } }), "displayName", 512, 3_000);
    expectTooLong(await patch({ op: "Replace", value: { "name.givenName": "g".repeat(4_097) } }), "name.givenName", 4_096, 4_097);
    expectTooLong(await patch({ op: "replace", path: 'emails[type eq "work"].value', value: email(3_000) }), "emails[0].value", 512, 3_000);
    expectTooLong(await patch({ op: "add", path: "emails", value: [{ value: email(600), type: "home" }] }), "emails[1].value", 512, 600);
    expectTooLong(await patch({ op: "add", path: `${ENTERPRISE}:manager.value`, value: "m".repeat(513) }), `${ENTERPRISE}:manager.value`, 512, 513);
    const after = await t.scim(`/Users/${user.id}`);
    expect(after.body).toMatchObject({ userName: "dana@example.com", displayName: "Dana", emails: [{ value: "dana@example.com", type: "work" }] });
    expect(after.body).not.toHaveProperty("title");
    expect(after.body.meta.version).toBe(user.meta.version);
  });

  it("gives a too-long value in /Bulk its own 400 invalidValue result while the other operations succeed", async () => {
    const t = await tenant();
    const user = await createUser(t, "dana@example.com");
    const response = await t.scim("/Bulk", {
      body: {
        schemas: [BULK_REQUEST],
        Operations: [
          { method: "POST", path: "/Users", bulkId: "a", data: { schemas: [USER_SCHEMA], userName: "a@example.com" } },
          { method: "POST", path: "/Users", bulkId: "b", data: { schemas: [USER_SCHEMA], userName: email(3_000) } },
          { method: "PATCH", path: `/Users/${user.id}`, data: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "externalId", value: noise(3_000) }] } },
          { method: "POST", path: "/Groups", bulkId: "g", data: { schemas: [GROUP_SCHEMA], displayName: noise(513), members: [{ value: "bulkId:a" }] } },
          { method: "POST", path: "/Users", bulkId: "c", data: { schemas: [USER_SCHEMA], userName: "c@example.com" } },
        ],
      },
    });
    expect(response.status, JSON.stringify(response.body)?.slice(0, 400)).toBe(200);
    const results = response.body.Operations as any[];
    expect(results.map((result) => result.status)).toEqual(["201", "400", "400", "400", "201"]);
    expect(results[1].response).toMatchObject({ scimType: "invalidValue", detail: expect.stringContaining('attribute "userName": expected at most 512 characters, got 3000') });
    expect(results[2].response.detail).toContain('attribute "externalId": expected at most 512 characters, got 3000');
    expect(results[3].response.detail).toContain('attribute "displayName": expected at most 512 characters, got 513');
    expect(await userCount(t)).toBe(3);
  });

  it("refuses a member id longer than any id without echoing it, in POST, PUT and PATCH of a Group", async () => {
    const t = await tenant();
    const group = await t.scim("/Groups", { body: { schemas: [GROUP_SCHEMA], displayName: "Ops" } });
    expect(group.status).toBe(201);
    const long = "m".repeat(100_000);
    const refusals = [
      await t.scim("/Groups", { body: { schemas: [GROUP_SCHEMA], displayName: "Dev", members: [{ value: long }] } }),
      await t.scim(`/Groups/${group.body.id}`, { method: "PUT", body: { schemas: [GROUP_SCHEMA], displayName: "Ops", members: [{ value: long }] } }),
      await t.scim(`/Groups/${group.body.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: long }] }] } }),
    ];
    for (const response of refusals) {
      expect(response.status).toBe(400);
      expect(response.body.scimType).toBe("invalidValue");
      expect(response.body.detail).toMatch(/members\[0\]\.value: expected at most 512 characters, got 100000/);
      expect(JSON.stringify(response.body).length).toBeLessThan(1_000);
    }
  });

  it("keeps a too-long value stored by an earlier version when an update leaves it unchanged, and refuses a change to another too-long value", async () => {
    const t = await tenant();
    const user = await createUser(t, "dana@example.com", { title: "short" });
    // As an earlier version stored it: written to the store directly, past today's checks.
    const stored = await roster.store.transaction((session) => session.findResource(t.tenant.id, "User", user.id));
    const long = "t".repeat(5_000);
    await roster.store.transaction((session) => session.updateResource({ ...stored!, document: { ...stored!.document, title: long }, version: stored!.version + 1 }));

    const deactivated = await t.scim(`/Users/${user.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] } });
    expect(deactivated.status, JSON.stringify(deactivated.body)?.slice(0, 300)).toBe(200);
    expect(deactivated.body.title).toBe(long);
    const replaced = await t.scim(`/Users/${user.id}`, { method: "PUT", body: { schemas: [USER_SCHEMA], userName: "dana@example.com", title: long, active: true } });
    expect(replaced.status, JSON.stringify(replaced.body)?.slice(0, 300)).toBe(200);
    expectTooLong(
      await t.scim(`/Users/${user.id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "title", value: `${long}!` }] } }),
      "title",
      4_096,
      5_001,
    );
  });
});

describe("maximum lengths in /Schemas and in profiles", () => {
  it("states each writable attribute's maximum in its /Schemas description", async () => {
    const t = await tenant();
    const response = await t.scim(`/Schemas/${USER_SCHEMA}`);
    expect(response.status).toBe(200);
    const attribute = (name: string) => response.body.attributes.find((candidate: any) => candidate.name === name);
    expect(attribute("userName").description).toBe("Unique identifier for the User, used by the user to authenticate. At most 512 characters.");
    expect(attribute("title").description).toMatch(/ At most 4096 characters\.$/);
    expect(attribute("profileUrl").description).toMatch(/ At most 2048 characters\.$/);
    expect(attribute("emails").description).toBe("Email addresses for the user. At most 100 values.");
    expect(attribute("emails").subAttributes.find((sub: any) => sub.name === "value").description).toMatch(/ At most 512 characters\.$/);
    expect(attribute("groups").description).toBe("A list of groups to which the user belongs.");
    expect(Object.keys(attribute("userName")).sort()).toEqual(
      ["caseExact", "description", "multiValued", "mutability", "name", "required", "returned", "type", "uniqueness"].sort(),
    );
  });

  it("enforces and advertises a maxLength a profile declares for its own attribute", async () => {
    const t = await tenant();
    await setTenantProfile(
      roster.store,
      t.tenant.slug,
      "attributes:\n  badge:\n    type: string\n    maxLength: 8\n    description: Badge number.\n  notes:\n    namespace: urn:example:roster:1.0:User\n    type: string\n",
      "lengths.yaml",
    );
    const schema = await t.scim(`/Schemas/${USER_SCHEMA}`);
    expect(schema.body.attributes.find((attribute: any) => attribute.name === "badge").description).toBe("Badge number. At most 8 characters.");
    await createUser(t, "dana@example.com", { badge: `${EMOJI}1234567` });
    expectTooLong(await t.scim("/Users", { body: { schemas: [USER_SCHEMA], userName: "b@example.com", badge: "123456789" } }), "badge", 8, 9);
    expectTooLong(
      await t.scim("/Users", { body: { schemas: [USER_SCHEMA, "urn:example:roster:1.0:User"], userName: "b@example.com", "urn:example:roster:1.0:User": { notes: "n".repeat(4_097) } } }),
      "urn:example:roster:1.0:User:notes",
      4_096,
      4_097,
    );
  });
});

describe("the management API", () => {
  async function managed(): Promise<{ t: TestTenant; api: (path: string, init?: { method?: string; body?: unknown }) => Promise<ApiResponse> }> {
    const t = await tenant();
    const { key } = await createApiKey(roster.store, t.tenant, "lengths");
    return { t, api: (path, init = {}) => apiFetch(`${roster.url}/api/v1/tenants/${t.tenant.slug}${path}`, key, init) };
  }

  function expectRefused(response: ApiResponse, message: string): void {
    expect(response.status, JSON.stringify(response.body)?.slice(0, 300)).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.body.error.code).toBe("invalidRequest");
    expect(response.body.error.message).toContain(message);
  }

  it("refuses a user's or group's too-long field with its own 400 invalidRequest, naming the field, its length and the maximum", async () => {
    const { api } = await managed();
    expectRefused(await api("/users", { body: { userName: email(3_000) } }), 'attribute "userName": expected at most 512 characters, got 3000');
    expectRefused(await api("/users", { body: { userName: "dana@example.com", emails: [{ value: email(513) }] } }), 'attribute "emails[0].value": expected at most 512 characters, got 513');
    const user = await api("/users", { body: { userName: "dana@example.com", displayName: noise(512, ASTRAL) } });
    expect(user.status, JSON.stringify(user.body)).toBe(201);
    expectRefused(await api(`/users/${user.body.id}`, { method: "PATCH", body: { givenName: "g".repeat(4_097) } }), 'attribute "name.givenName": expected at most 4096 characters, got 4097');
    expectRefused(await api("/groups", { body: { displayName: noise(3_000) } }), 'attribute "displayName": expected at most 512 characters, got 3000');
    const group = await api("/groups", { body: { displayName: "Ops" } });
    expect(group.status).toBe(201);
    expectRefused(await api(`/groups/${group.body.id}`, { method: "PATCH", body: { externalId: noise(3_000) } }), 'attribute "externalId": expected at most 512 characters, got 3000');
    expectRefused(await api(`/groups/${group.body.id}/members`, { body: { userId: "u".repeat(100_000) } }), "userId: expected at most 512 characters, got 100000");
    const users = await api("/users");
    expect(users.body.data.map((listed: any) => listed.userName)).toEqual(["dana@example.com"]);
  });

  it("counts a role or list name's characters, not its UTF-16 units: 256 four-byte characters are accepted, 257 refused", async () => {
    const { api } = await managed();
    const accepted = await api("/roles", { method: "PUT", body: [EMOJI.repeat(256)] });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expect(accepted.body).toEqual([EMOJI.repeat(256)]);
    expectRefused(await api("/lists/record_sets", { method: "PUT", body: ["ok", EMOJI.repeat(257)] }), "record_sets[1]: expected a non-empty string of at most 256 characters, got 257 characters");
  });
});
