import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiKey, revokeApiKey } from "../../src/directory/api-keys.js";
import { createTenant } from "../../src/directory/tenants.js";
import { apiFetch, type ApiRoster, startApiRoster } from "./support.js";

let t: ApiRoster;
beforeEach(async () => {
  t = await startApiRoster();
});
afterEach(() => t.close());

describe("management API: API keys", () => {
  it.each([
    ["no key", null],
    ["an unknown key", "rosterkey_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
    ["a SCIM token", "scim"],
  ])("answers 401 unauthorized with %s", async (_label, key) => {
    const response = await t.api("/users", { as: key === "scim" ? t.acme.token : key });
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toContain("application/json");
    expect(response.body.error.code).toBe("unauthorized");
  });

  it("answers 401 once the key is revoked", async () => {
    const { record, key } = await createApiKey(t.roster.store, t.acme.tenant, "temp");
    expect((await t.api("/users", { as: key })).status).toBe(200);
    await revokeApiKey(t.roster.store, record.id);
    expect((await t.api("/users", { as: key })).status).toBe(401);
  });

  it("answers 403 for a tenant key on another tenant, existing or not", async () => {
    await createTenant(t.roster.store, "globex");
    for (const slug of ["globex", "nowhere"]) {
      const response = await apiFetch(`${t.roster.url}/api/v1/tenants/${slug}/users`, t.key);
      expect(response.status).toBe(403);
      expect(response.body.error.code).toBe("forbidden");
    }
  });

  it("lets an administrator key act on every tenant, and answers 404 for an unknown tenant", async () => {
    await createTenant(t.roster.store, "globex");
    const { key } = await createApiKey(t.roster.store, undefined, "admin");
    for (const slug of ["acme", "globex"]) expect((await apiFetch(`${t.roster.url}/api/v1/tenants/${slug}/users`, key)).status).toBe(200);
    const missing = await apiFetch(`${t.roster.url}/api/v1/tenants/nowhere/users`, key);
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toContain("nowhere");
  });

  it("answers unknown endpoints, bad JSON and non-JSON bodies in the API's error shape", async () => {
    const unknown = await t.api("/widgets");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("notFound");
    const badJson = await t.api("/users", { body: "{nope" });
    expect(badJson.status).toBe(400);
    expect(badJson.body.error.code).toBe("invalidRequest");
    const text = await t.api("/users", { body: "x", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe("unsupportedMediaType");
  });
});
