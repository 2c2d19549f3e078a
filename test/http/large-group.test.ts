import { request as httpRequest, type IncomingMessage } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGroup, createUser, PATCH_OP } from "../concurrency/support.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

// GET /Groups/{id} of a group larger than one page of members (1,000) is written out page by
// page from one snapshot (src/directory/group-text.ts): the body is the whole group, writers
// are not held up while a slow client reads, and what the client gets is the group as it was
// when the response began.

const PATCH = PATCH_OP;
const MEMBERS = 2_500;

let roster: TestRoster;
let tenant: TestTenant;
let groupId: string;
const userIds: string[] = [];

beforeAll(async () => {
  roster = await startTestRoster();
  tenant = await roster.addTenant("acme");
  for (let i = 0; i < MEMBERS; i += 50) {
    userIds.push(...(await Promise.all(Array.from({ length: 50 }, (_, j) => createUser(tenant, `member${i + j}@example.com`)))));
  }
  groupId = await createGroup(tenant, "Everyone");
  const added = await tenant.scim(`/Groups/${groupId}`, { method: "PATCH", body: { schemas: [PATCH], Operations: [{ op: "add", path: "members", value: userIds.map((value) => ({ value })) }] } });
  expect(added.status).toBe(204);
}, 120_000);

afterAll(async () => {
  await roster?.close();
});

/** A GET whose body the test reads when it chooses: the response, paused after its headers. */
function pausedGet(path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(`${tenant.baseUrl}${path}`, { headers: { authorization: `Bearer ${tenant.token}` } }, (response) => {
      response.pause();
      resolve(response);
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

async function readAll(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  response.resume();
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

describe("GET of a group larger than one page of members", () => {
  it("answers the whole group, each member once, with its ETag", async () => {
    const answer = await tenant.scim(`/Groups/${groupId}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(answer.headers.get("etag")).toBe(`W/"${answer.body.meta.version.replace(/^W\/"|"$/g, "")}"`);
    const values = (answer.body.members as { value: string; display?: string; type: string; $ref: string }[]).map((m) => m.value);
    expect(values).toHaveLength(MEMBERS);
    expect(new Set(values)).toEqual(new Set(userIds));
    expect(answer.body.members[0]).toMatchObject({ type: "User", $ref: expect.stringContaining("/Users/") });
    expect(answer.body.displayName).toBe("Everyone");
  });

  it("writes every member as the non-streamed answer does: escaped display, a nested group's $ref", async () => {
    const odd = await tenant.scim("/Users", {
      method: "POST",
      body: { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "odd@example.com", displayName: 'Zoë "Z" \\ O\u2028Neil' },
    });
    expect(odd.status).toBe(201);
    const nested = await createGroup(tenant, "Nested </script>");
    const members = [{ value: odd.body.id as string }, { value: nested }];
    const added = await tenant.scim(`/Groups/${groupId}`, { method: "PATCH", body: { schemas: [PATCH], Operations: [{ op: "add", path: "members", value: members }] } });
    expect(added.status).toBe(204);
    try {
      const streamed = await tenant.scim(`/Groups/${groupId}`);
      // With a projection the group is served as an object (getResource), not streamed.
      const built = await tenant.scim(`/Groups/${groupId}?attributes=members`);
      expect(streamed.status).toBe(200);
      expect(built.status).toBe(200);
      const byValue = (list: { value: string }[]) => [...list].sort((a, b) => a.value.localeCompare(b.value));
      expect(streamed.body.members).toHaveLength(MEMBERS + 2);
      expect(byValue(streamed.body.members)).toEqual(byValue(built.body.members));
      expect(streamed.body.members).toContainEqual({ value: nested, $ref: `${tenant.baseUrl}/Groups/${nested}`, display: "Nested </script>", type: "Group" });
      expect(streamed.body.members).toContainEqual(expect.objectContaining({ value: odd.body.id, display: 'Zoë "Z" \\ O\u2028Neil', type: "User" }));
    } finally {
      const removed = await tenant.scim(`/Groups/${groupId}`, {
        method: "PATCH",
        body: { schemas: [PATCH], Operations: [{ op: "remove", path: `members[value eq "${odd.body.id as string}" or value eq "${nested}"]` }] },
      });
      expect(removed.status).toBe(204);
    }
  });

  it("lets a membership change commit while a slow client reads, and gives that client the group as it was", async () => {
    const response = await pausedGet(`/Groups/${groupId}`);
    expect(response.statusCode).toBe(200);
    const removed = userIds[MEMBERS - 1] ?? "";
    // Not held up by the GET in progress (it would time out the test if it were).
    const patched = await tenant.scim(`/Groups/${groupId}`, {
      method: "PATCH",
      body: { schemas: [PATCH], Operations: [{ op: "remove", path: `members[value eq "${removed}"]` }] },
    });
    expect(patched.status).toBe(204);
    const body = JSON.parse(await readAll(response)) as { members: { value: string }[] };
    expect(body.members).toHaveLength(MEMBERS);
    expect(body.members.map((m) => m.value)).toContain(removed);
    // A new GET sees the change; the member goes back for the next test.
    const after = await tenant.scim(`/Groups/${groupId}`);
    expect(after.body.members).toHaveLength(MEMBERS - 1);
    const restored = await tenant.scim(`/Groups/${groupId}`, { method: "PATCH", body: { schemas: [PATCH], Operations: [{ op: "add", path: "members", value: [{ value: removed }] }] } });
    expect(restored.status).toBe(204);
  });

  it("goes on serving after a client hangs up in the middle of the body", async () => {
    for (let i = 0; i < 3; i++) {
      const response = await pausedGet(`/Groups/${groupId}`);
      response.destroy();
    }
    const answer = await tenant.scim(`/Groups/${groupId}`);
    expect(answer.status).toBe(200);
    expect(answer.body.members).toHaveLength(MEMBERS);
    const patched = await tenant.scim(`/Groups/${groupId}`, { method: "PATCH", body: { schemas: [PATCH], Operations: [{ op: "replace", path: "displayName", value: "Everyone" }] } });
    expect(patched.status).toBe(204);
  });

  it("answers 404 for a group that does not exist, as SCIM", async () => {
    const answer = await tenant.scim("/Groups/00000000-0000-4000-8000-000000000000");
    expect(answer.status).toBe(404);
    expect(answer.body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:Error"]);
  });
});
