import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestsCommand } from "../../src/cli/requests.js";
import type { RequestLogEntry } from "../../src/store/store.js";
import { scimFetch, startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

// Anonymous requests to a tenant's URL are logged under it, but cannot push its authenticated
// entries out of the request log: they have an allowance of their own, and what it did not keep
// is counted (issue 20, item 5; ADR 0029). Scaled down: the 11,000 anonymous requests
// against 10,000 kept entries are 330 here against 100 (and 10 unauthenticated ones).

const RETENTION = 100;
const UNAUTHENTICATED_RETENTION = RETENTION / 10;
const AUTHENTICATED = 30;
const ANONYMOUS = 330;
const BURST = 30;

let roster: TestRoster;
let acme: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  roster = await startTestRoster({ requestLogRetention: RETENTION });
  acme = await roster.addTenant("allowance-acme");
  other = await roster.addTenant("allowance-other");
});
afterAll(async () => {
  await roster.close();
});

async function log(t: TestTenant): Promise<readonly RequestLogEntry[]> {
  await roster.server.flushRequestLog();
  return roster.store.read((session) => session.listRequestLog(t.tenant.id, 10 * RETENTION));
}

describe("the request log's allowance for unauthenticated requests", () => {
  it("keeps every authenticated entry through a burst of anonymous 401s, and counts the anonymous ones it dropped", async () => {
    for (let n = 0; n < AUTHENTICATED; n += 1) expect((await acme.scim(`/Users?startIndex=${n + 1}`)).status).toBe(200);
    await other.scim("/Groups");
    await roster.server.flushRequestLog();

    // A burst: no token, a wrong token, another tenant's token, BURST at a time.
    const tokens = [undefined, "roster_wrongwrongwrongwrongwrongwrongwrongwrongw", other.token];
    for (let sent = 0; sent < ANONYMOUS; sent += BURST) {
      const statuses = await Promise.all(
        Array.from({ length: BURST }, (_, n) => scimFetch(`${acme.baseUrl}/Users?anonymous=${sent + n}`, tokens[(sent + n) % tokens.length]).then((r) => r.status)),
      );
      expect(statuses.every((status) => status === 401)).toBe(true);
    }

    const entries = await log(acme);
    const authenticated = entries.filter((entry) => entry.unauthenticated !== true);
    const anonymous = entries.filter((entry) => entry.unauthenticated === true);
    expect(authenticated.map((entry) => entry.path).reverse()).toEqual(
      Array.from({ length: AUTHENTICATED }, (_, n) => `/scim/v2/${acme.tenant.slug}/Users?startIndex=${n + 1}`),
    );
    expect(anonymous.every((entry) => entry.status === 401)).toBe(true);
    // The newest anonymous entry is kept; the allowance is reached, past it by at most a tenth (pruning runs every tenth entry).
    expect(anonymous[0]?.path).toMatch(/\?anonymous=\d+$/);
    expect(anonymous.length).toBeGreaterThanOrEqual(UNAUTHENTICATED_RETENTION);
    expect(anonymous.length).toBeLessThanOrEqual(UNAUTHENTICATED_RETENTION + UNAUTHENTICATED_RETENTION / 10);
    const dropped = await roster.store.read((session) => session.countUnauthenticatedDropped(acme.tenant.id));
    expect(dropped + anonymous.length).toBe(ANONYMOUS);

    // The other tenant's log and count are untouched.
    expect((await log(other)).map((entry) => `${entry.method} ${entry.status}`)).toEqual(["GET 200"]);
    expect(await roster.store.read((session) => session.countUnauthenticatedDropped(other.tenant.id))).toBe(0);

    // `roster requests` reports the count after the list, and on standard error beside --json.
    const out: string[] = [];
    const err: string[] = [];
    const ctx = { env: {}, out: (line: string) => void out.push(line), err: (line: string) => void err.push(line) };
    const note = `${dropped} older unauthenticated requests were not kept (the log keeps only the newest of them apart from authenticated requests)`;
    expect(await requestsCommand.run(["--tenant", acme.tenant.slug, "--database", roster.databaseUrl], ctx)).toBe(0);
    expect(out.at(-1)).toBe(note);
    out.length = 0;
    expect(await requestsCommand.run(["--tenant", acme.tenant.slug, "--database", roster.databaseUrl, "--json", "--limit", "5"], ctx)).toBe(0);
    expect(JSON.parse(out.join("\n"))).toHaveLength(5);
    expect(err).toEqual([note]);
  });
});
