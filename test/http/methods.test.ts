import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestRoster, type TestRoster } from "../helpers/roster.js";

describe("methods an endpoint does not serve", () => {
  let roster: TestRoster;
  beforeAll(async () => {
    roster = await startTestRoster();
  });
  afterAll(async () => {
    await roster.close();
  });

  it.each([
    ["DELETE", "/Users", "GET, POST"],
    ["PUT", "/Groups", "GET, POST"],
    ["POST", "/Users/2819c223", "GET, PUT, PATCH, DELETE"],
    ["DELETE", "/ServiceProviderConfig", "GET"],
    ["POST", "/Schemas", "GET"],
    ["GET", "/Bulk", "POST"],
  ])("answers %s %s with 405, an Allow header and a SCIM error", async (method, path, allow) => {
    const tenant = await roster.addTenant(`m${Math.random().toString(36).slice(2, 10)}`);
    const response = await tenant.scim(path, { method, ...(method === "GET" || method === "DELETE" ? {} : { body: {} }) });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe(allow);
    expect(response.body).toMatchObject({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      status: "405",
    });
    expect(response.body.detail).toContain(`${method} is not supported`);
  });

  it("asks for a token before revealing which methods exist", async () => {
    const tenant = await roster.addTenant("anonymous-405");
    const response = await fetch(`${tenant.baseUrl}/Users`, { method: "DELETE" });
    expect(response.status).toBe(401);
  });
});
