import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

// A NUL character (U+0000) that reaches a request-log field (an error detail quoting a body's
// key, a note) made PostgreSQL refuse the whole batch of entries (text cannot hold it: found by
// the fuzzer, test/fuzz). Every field is stored with NUL written as the escape `\u0000`.

let roster: TestRoster;
let acme: TestTenant;

beforeAll(async () => {
  roster = await startTestRoster();
  acme = await roster.addTenant("acme");
});
afterAll(async () => {
  await roster.close();
});

describe("request log entries holding NUL", () => {
  it.each([
    ["a body key", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "nul-key@example.com", "nick\u0000Name": "x" }],
    ["a body value", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "nul\u0000value@example.com" }],
    ["a schema URN", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User\u0000"], userName: "nul-urn@example.com" }],
  ])("are written, with the answer, when %s holds one", async (_where, body) => {
    const answer = await acme.scim("/Users", { body });
    expect(answer.status).toBeLessThan(500);
    const requestId = answer.headers.get("x-request-id");
    // A second, ordinary request in the same batch must be written too.
    const plain = await acme.scim("/Users?count=1");
    expect(plain.status).toBe(200);
    await roster.server.flushRequestLog();
    const entries = await roster.store.read((session) => session.listRequestLog(acme.tenant.id, 1000));
    const logged = entries.find((entry) => entry.requestId === requestId);
    expect(logged).toMatchObject({ method: "POST", status: answer.status });
    expect(JSON.stringify(logged)).not.toContain("\u0000");
    expect(entries.some((entry) => entry.requestId === plain.headers.get("x-request-id"))).toBe(true);
  });
});
