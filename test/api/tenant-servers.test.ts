import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { startServer, type RunningServer } from "../../src/http/server.js";
import { openStore } from "../../src/store/open-store.js";
import { startTestRoster, scimFetch, type TestRoster, type TestTenant } from "../helpers/roster.js";
import { apiFetch } from "./support.js";

// A second server on the same database, with a store, token memo, profile cache and tenant
// views of its own, as another process has: what one server changes, the other applies at once.

let roster: TestRoster;
let other: RunningServer;
let acme: TestTenant;
let admin: string;

beforeEach(async () => {
  roster = await startTestRoster();
  acme = await roster.addTenant("acme");
  admin = (await createApiKey(roster.store, undefined, "admin")).key;
  other = await startServer({ store: await openStore(roster.databaseUrl), host: "127.0.0.1", port: 0 });
});
afterEach(async () => {
  await other.close();
  await roster.close();
});

const onOther = (path: string) => `${other.url}/scim/v2/acme${path}`;

describe("control-plane changes seen by another server on the same database", () => {
  it("refuses SCIM at once when the switch goes off on one server, and serves again at once when it goes back on", async () => {
    expect((await scimFetch(onOther("/Users"), acme.token)).status).toBe(200);
    await apiFetch(`${roster.url}/api/v1/tenants/acme`, admin, { method: "PATCH", body: { scimEnabled: false } });
    const refused = await scimFetch(onOther("/Users"), acme.token);
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/^SCIM provisioning is switched off for this tenant/);
    await apiFetch(`${roster.url}/api/v1/tenants/acme`, admin, { method: "PATCH", body: { scimEnabled: true } });
    expect((await scimFetch(onOther("/Users"), acme.token)).status).toBe(200);
  });

  it("refuses a deleted tenant's token and keys at once, and serves its successor under the same slug as a new tenant", async () => {
    const tenantKey = (await createApiKey(roster.store, acme.tenant, "backend")).key;
    expect((await scimFetch(onOther("/Users"), acme.token)).status).toBe(200);
    expect((await apiFetch(`${other.url}/api/v1/tenants/acme/users`, tenantKey)).status).toBe(200);
    expect((await apiFetch(`${roster.url}/api/v1/tenants/acme?confirm=acme`, admin, { method: "DELETE" })).status).toBe(204);
    expect((await scimFetch(onOther("/Users"), acme.token)).status).toBe(401);
    expect((await apiFetch(`${other.url}/api/v1/tenants/acme/users`, tenantKey)).status).toBe(401);

    await apiFetch(`${roster.url}/api/v1/tenants`, admin, { body: { slug: "acme" } });
    const created = await apiFetch(`${roster.url}/api/v1/api-keys`, admin, { body: { name: "new", tenant: "acme" } });
    const users = await apiFetch(`${other.url}/api/v1/tenants/acme/users`, created.body.key);
    expect(users.status).toBe(200);
    expect(users.body.data).toEqual([]);
    expect((await scimFetch(onOther("/Users"), acme.token)).status).toBe(401);
  });
});
