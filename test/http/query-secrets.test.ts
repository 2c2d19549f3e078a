import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestLogEntry } from "../../src/store/store.js";
import { scimFetch, startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

// Secrets sent in a query string (`?access_token=…`, a filter comparing the password) are
// written to neither the process log nor the request log (issue 20, item 14).

const lines: string[] = [];
let roster: TestRoster;
let acme: TestTenant;

beforeAll(async () => {
  roster = await startTestRoster({ log: true, logDestination: { write: (line) => void lines.push(line) } });
  acme = await roster.addTenant("query-secrets");
});
afterAll(async () => {
  await roster.close();
});

async function requestLog(): Promise<readonly RequestLogEntry[]> {
  await roster.server.flushRequestLog();
  return roster.store.read((session) => session.listRequestLog(acme.tenant.id, 100));
}

/** The process log's "request completed" lines, once `count` are written (bounded wait). */
async function completedLines(count: number): Promise<{ url: string; statusCode: number }[]> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const completed = lines.map((line) => JSON.parse(line) as { msg: string; url: string; statusCode: number }).filter((line) => line.msg === "request completed");
    if (completed.length >= count) return completed;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the process log holds fewer than ${count} request lines: ${lines.join("")}`);
}

describe("secrets in query strings", () => {
  it("never writes an access_token or a compared password to the process log or the request log", async () => {
    const sent = [
      { query: "?access_token=s3cret-access&count=1", token: acme.token, logged: "?access_token=[redacted]&count=1" },
      { query: "?access_token=s3cret-anonymous", token: "", logged: "?access_token=[redacted]" },
      { query: `?filter=${encodeURIComponent('password eq "s3cret-quoted"')}`, token: acme.token, logged: "?filter=password%20eq%20%22[redacted]%22" },
      { query: "?filter=password%20eq%20s3cret-bare", token: acme.token, logged: "?filter=password%20eq%20[redacted]" },
      { query: "?filter=userName%20eq%20%22visible%22", token: acme.token, logged: "?filter=userName%20eq%20%22visible%22" },
    ];
    const statuses: number[] = [];
    for (const { query, token } of sent) statuses.push((await scimFetch(`${acme.baseUrl}/Users${query}`, token)).status);
    // Each reached the log the way it was answered: a 401 without a token, 400 for the bare value.
    expect(statuses[1]).toBe(401);
    expect(statuses[3]).toBe(400);
    expect(statuses[4]).toBe(200);

    const entries = [...(await requestLog())].reverse();
    expect(entries.map((entry) => entry.path)).toEqual(sent.map(({ logged }) => `/scim/v2/${acme.tenant.slug}/Users${logged}`));
    expect(JSON.stringify(entries)).not.toContain("s3cret");
    // The parser's detail quotes the bare value it refused: the log keeps the detail, not the value.
    expect(entries[3]?.errorDetail).toMatch(/^filter: unexpected "\[redacted\]" at column 13/);

    const completed = await completedLines(sent.length);
    const ours = completed.filter((line) => line.url.startsWith(`/scim/v2/${acme.tenant.slug}/Users?`));
    expect(ours.map((line) => line.url)).toEqual(sent.map(({ logged }) => `/scim/v2/${acme.tenant.slug}/Users${logged}`));
    expect(lines.join("")).not.toContain("s3cret");
  });

  it("never writes a password a search body's filter compares to the request log", async () => {
    const search = await acme.scim("/Users/.search", { method: "POST", body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: 'password eq "s3cret-search"', count: 1 } });
    const bare = await acme.scim("/.search", { method: "POST", body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: "password eq s3cret-bare-search" } });
    expect(bare.status).toBe(400);
    const [bareEntry, searchEntry] = await requestLog();
    expect(searchEntry?.status).toBe(search.status);
    expect(JSON.parse(searchEntry?.requestBody ?? "null")).toMatchObject({ filter: 'password eq "[redacted]"', count: 1 });
    expect(bareEntry?.errorDetail).toMatch(/^filter: unexpected "\[redacted\]"/);
    expect(JSON.stringify([bareEntry, searchEntry])).not.toContain("s3cret");
  });
});
