import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

// Fastify answers a URL it cannot decode from a context of its own, without the hooks that
// write the request log (found by the fuzzer, test/fuzz): such a request must be logged too.

let roster: TestRoster;
let acme: TestTenant;

beforeAll(async () => {
  roster = await startTestRoster();
  acme = await roster.addTenant("acme");
});
afterAll(async () => {
  await roster.close();
});

/** fetch() would re-encode the path; this sends it as written. */
function rawGet(path: string, token: string): Promise<{ status: number; requestId: string | undefined; body: string }> {
  const { port } = new URL(roster.url);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: "127.0.0.1", port, path, headers: { authorization: `Bearer ${token}` } }, (incoming) => {
      let body = "";
      incoming.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      incoming.on("end", () => {
        const id = incoming.headers["x-request-id"];
        resolve({ status: incoming.statusCode ?? 0, requestId: typeof id === "string" ? id : undefined, body });
      });
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

describe("request log of URLs refused before routing", () => {
  it.each(["/Users/%", "/Groups/%e0%80", "/ResourceTypes/a%ED%A0%80"])("records GET %s, refused as a malformed URL, under the id the client saw", async (path) => {
    const answer = await rawGet(`/scim/v2/acme${path}`, acme.token);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ status: "400", scimType: "invalidSyntax" });
    expect(answer.requestId).toEqual(expect.any(String));
    await roster.server.flushRequestLog();
    const entries = await roster.store.read((session) => session.listRequestLog(acme.tenant.id, 100));
    expect(entries.filter((entry) => entry.requestId === answer.requestId)).toEqual([
      expect.objectContaining({ method: "GET", path: `/scim/v2/acme${path}`, status: 400, scimType: "invalidSyntax" }),
    ]);
  });
});
