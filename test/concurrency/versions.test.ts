import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";
import { createUser, PATCH_OP, tally, USER_SCHEMA } from "./support.js";

describe("concurrent writers on one user", () => {
  let roster: TestRoster;
  let tenant: TestTenant;
  beforeAll(async () => {
    roster = await startTestRoster();
    tenant = await roster.addTenant("race-versions");
  });
  afterAll(async () => {
    await roster.close();
  });

  it("answers one 200 and one 412 when two PUTs carry the same If-Match, and keeps the winner's write", async () => {
    const id = await createUser(tenant, "put.race@example.com");
    const before = await tenant.scim(`/Users/${id}`);
    const etag = before.headers.get("etag");
    expect(etag).toMatch(/^W\/"/);
    const put = (title: string) =>
      tenant.scim(`/Users/${id}`, {
        method: "PUT",
        headers: { "if-match": etag ?? "" },
        body: { schemas: [USER_SCHEMA], userName: "put.race@example.com", title, active: true },
      });
    const responses = await Promise.all([put("First"), put("Second")]);
    expect(tally(responses.map((response) => response.status))).toEqual({ 200: 1, 412: 1 });
    const winner = responses.find((response) => response.status === 200);
    const loser = responses.find((response) => response.status === 412);
    expect(loser?.body).toMatchObject({ status: "412" });
    const after = await tenant.scim(`/Users/${id}`);
    expect(after.body.title).toBe(winner?.body.title);
    expect(after.headers.get("etag")).toBe(winner?.headers.get("etag"));
    expect(after.headers.get("etag")).not.toBe(etag);
  });

  it("applies both of two concurrent PATCHes that change different attributes", async () => {
    const id = await createUser(tenant, "patch.race@example.com");
    const patch = (path: string, value: string) =>
      tenant.scim(`/Users/${id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "replace", path, value }] } });
    for (let round = 0; round < 10; round += 1) {
      const responses = await Promise.all([patch("title", `Title ${round}`), patch("nickName", `Nick ${round}`)]);
      expect(tally(responses.map((response) => response.status))).toEqual({ 200: 2 });
      const after = await tenant.scim(`/Users/${id}`);
      expect(after.body).toMatchObject({ title: `Title ${round}`, nickName: `Nick ${round}` });
    }
  });
});
