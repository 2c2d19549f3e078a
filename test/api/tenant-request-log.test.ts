import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RequestLogEntry } from "../../src/store/store.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";
import { appendLog } from "../helpers/request-log.js";

let roster: TestRoster;
let acme: TestTenant;

beforeEach(async () => {
  roster = await startTestRoster();
  acme = await roster.addTenant("acme");
});
afterEach(() => roster.close());

function entry(tenantId: string, requestId: string): RequestLogEntry {
  return {
    tenantId,
    requestId,
    at: new Date().toISOString(),
    method: "GET",
    path: "/scim/v2/x/Users",
    status: 401,
    durationMs: 1,
    scimType: null,
    errorDetail: null,
    userAgent: null,
    requestBody: null,
    unauthenticated: true,
  };
}

describe("request-log entries of a deleted tenant", () => {
  it("are dropped, while the other entries of the same batch are written", async () => {
    const gone = await roster.addTenant("gone");
    const goneId = gone.tenant.id;
    await roster.store.transaction((session) => session.deleteTenant(goneId));
    await appendLog(roster.store, entry(acme.tenant.id, "kept-1"), entry(goneId, "dropped"), entry(acme.tenant.id, "kept-2"));
    const kept = await roster.store.read((session) => session.listRequestLog(acme.tenant.id, 10));
    expect(kept.map((logged) => logged.requestId)).toEqual(["kept-2", "kept-1"]);
    expect(await roster.store.read((session) => session.listRequestLog(goneId, 10))).toEqual([]);
  });
});
