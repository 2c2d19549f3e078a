import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";
import { apiFetch, scimUser } from "./support.js";
import { countTenantRows, noRows } from "./tenant-rows.js";

let roster: TestRoster;
let acme: TestTenant;
let admin: string;

beforeEach(async () => {
  roster = await startTestRoster();
  acme = await roster.addTenant("acme");
  admin = (await createApiKey(roster.store, undefined, "admin")).key;
});
afterEach(() => roster.close());

/**
 * What a SCIM write may answer while its tenant is deleted under it: done before the
 * deletion (201, 200), its resource already gone (404), its token gone (401), or lost a race
 * with the deletion (503, retry: the retry is 401). Never 500.
 */
const ACCEPTED = new Set([200, 201, 204, 401, 404, 503]);

describe("deleting a tenant under load", () => {
  it("answers every SCIM write in flight without a 500 and leaves nothing of the tenant", async () => {
    const ids: string[] = [];
    for (let n = 0; n < 20; n += 1) ids.push((await acme.scim("/Users", { body: scimUser(`seed${n}@example.com`) })).body.id as string);

    const statuses = new Map<number, number>();
    let answered = 0;
    let deleted = false;
    /** One writer: creates and PATCHes users until, after the deletion, its token is refused. */
    const writer = async (lane: number): Promise<void> => {
      for (let round = 0; round < 400; round += 1) {
        const id = ids[(lane + round) % ids.length] as string;
        const response =
          round % 2 === 0
            ? await acme.scim("/Users", { body: scimUser(`w${lane}-${round}@example.com`) })
            : await acme.scim(`/Users/${id}`, {
                method: "PATCH",
                body: { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "displayName", value: `round ${round}` }] },
              });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        answered += 1;
        if (deleted && response.status === 401) return;
      }
    };
    const writers = Array.from({ length: 20 }, (_, lane) => writer(lane));

    // The deletion starts once the writers are well under way.
    while (answered < 60) await new Promise((resolve) => setTimeout(resolve, 5));
    const deletion = await apiFetch(`${roster.url}/api/v1/tenants/acme?confirm=acme`, admin, { method: "DELETE" });
    deleted = true;
    await Promise.all(writers);

    expect(deletion.status).toBe(204);
    const unexpected = [...statuses.keys()].filter((status) => !ACCEPTED.has(status));
    expect(unexpected, JSON.stringify(Object.fromEntries(statuses))).toEqual([]);
    expect(statuses.get(401) ?? 0).toBeGreaterThanOrEqual(20);
    await roster.server.flushRequestLog();
    const left = await countTenantRows(roster, acme.tenant.id);
    expect(left).toEqual(noRows(left));
  });
});
