import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";
import { caseVariant, tally, USER_SCHEMA } from "./support.js";

describe("concurrent creates of one userName", () => {
  let roster: TestRoster;
  let tenant: TestTenant;
  beforeAll(async () => {
    roster = await startTestRoster();
    tenant = await roster.addTenant("race-username");
  });
  afterAll(async () => {
    await roster.close();
  });

  it("answers exactly one 201 and 49 × 409 uniqueness when 50 POSTs differ only in case, and stores one user", async () => {
    const names = Array.from({ length: 50 }, (_, i) => caseVariant("racing.user@example.com", i));
    expect(new Set(names).size).toBe(50);
    const responses = await Promise.all(
      names.map((userName) => tenant.scim("/Users", { body: { schemas: [USER_SCHEMA], userName, active: true } })),
    );
    expect(tally(responses.map((response) => response.status))).toEqual({ 201: 1, 409: 49 });
    for (const response of responses.filter((candidate) => candidate.status === 409)) {
      expect(response.body).toMatchObject({ status: "409", scimType: "uniqueness" });
    }
    const winner = responses.find((response) => response.status === 201);
    const list = await tenant.scim(`/Users?filter=${encodeURIComponent('userName eq "RACING.USER@EXAMPLE.COM"')}`);
    expect(list.status).toBe(200);
    expect(list.body.totalResults).toBe(1);
    expect(list.body.Resources[0].id).toBe(winner?.body.id);
    const all = await tenant.scim("/Users?count=0");
    expect(all.body.totalResults).toBe(1);
  });
});
