import { readFile } from "node:fs/promises";
import { expect } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { setTenantProfile } from "../../src/directory/tenant-profiles.js";
import { createTenant } from "../../src/directory/tenants.js";
import { createToken, type CreateTokenOptions } from "../../src/directory/tokens.js";
import { type ApiResponse, apiFetch } from "../api/support.js";
import { type ScimResponse, scimFetch, startTestRoster, type TestRoster } from "../helpers/roster.js";

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/** A tenant created from one of examples/profiles, with a management API key. */
export interface GuideTenant {
  readonly roster: TestRoster;
  /** fetch under /api/v1/tenants/<slug> with the tenant's API key. */
  api(path: string, init?: { method?: string; body?: unknown }): Promise<ApiResponse>;
  /** Issues a SCIM token as the guide says (generated, owned by a principal, or an admin's secret) and returns Okta using it. */
  okta(options?: CreateTokenOptions): Promise<Okta>;
  close(): Promise<void>;
}

export async function guideTenant(example: string, slug = example): Promise<GuideTenant> {
  const roster = await startTestRoster();
  const tenant = await createTenant(roster.store, slug);
  const file = new URL(`../../examples/profiles/${example}.yaml`, import.meta.url);
  await setTenantProfile(roster.store, slug, await readFile(file, "utf8"), `${example}.yaml`);
  const { key } = await createApiKey(roster.store, tenant, "application");
  return {
    roster,
    api: (path, init = {}) => apiFetch(`${roster.url}/api/v1/tenants/${slug}${path}`, key, init),
    async okta(options = {}) {
      const { token } = await createToken(roster.store, tenant, "cli", "Okta", new Date(), options);
      return new Okta(`${roster.url}/scim/v2/${slug}`, token);
    },
    close: () => roster.close(),
  };
}

const eq = (attribute: string, value: string) => `filter=${encodeURIComponent(`${attribute} eq ${JSON.stringify(value)}`)}`;

/** The requests Okta's SCIM 2.0 client sends for each step of a guide (test/idp/okta/conversations). */
export class Okta {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  send(path: string, init: { method?: string; body?: unknown } = {}): Promise<ScimResponse> {
    return scimFetch(`${this.baseUrl}${path}`, this.token, init);
  }

  /** "Test Connector Configuration" / "Test API Credentials": the probes, all of which must answer 200. */
  async testConnection(): Promise<readonly number[]> {
    const probes = [`/Users?${eq("userName", "test.user@okta.local")}&startIndex=1&count=1`, "/Users?startIndex=1&count=1", "/Groups?startIndex=1&count=1", "/ServiceProviderConfig"];
    const statuses: number[] = [];
    for (const probe of probes) statuses.push((await this.send(probe)).status);
    return statuses;
  }

  /** Assignment: look the user up by userName, then create it. Returns the creation's answer. */
  async assign(user: Record<string, unknown>): Promise<ScimResponse> {
    const found = await this.send(`/Users?${eq("userName", String(user["userName"]))}&startIndex=1&count=100`);
    expect(found.status).toBe(200);
    return this.send("/Users", { body: { schemas: [USER_SCHEMA], active: true, ...user } });
  }

  /** "Push Profile Updates": Okta replaces the whole user. */
  updateProfile(id: string, user: Record<string, unknown>): Promise<ScimResponse> {
    return this.send(`/Users/${id}`, { method: "PUT", body: { schemas: [USER_SCHEMA], id, active: true, ...user } });
  }

  /** Unassignment or deactivation. */
  unassign(id: string): Promise<ScimResponse> {
    return this.send(`/Users/${id}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] } });
  }

  /** "Push Groups" → "Push Now": find the group by name, create it, then add its members. Returns the group id. */
  async pushGroup(displayName: string, members: readonly { id: string; userName: string }[]): Promise<string> {
    const found = await this.send(`/Groups?${eq("displayName", displayName)}&startIndex=1&count=100`);
    expect(found.status).toBe(200);
    const created = await this.send("/Groups", { body: { schemas: [GROUP_SCHEMA], displayName, members: [] } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    if (members.length > 0) expect((await this.addMembers(id, members)).status).toBe(204);
    return id;
  }

  addMembers(groupId: string, members: readonly { id: string; userName: string }[]): Promise<ScimResponse> {
    return this.send(`/Groups/${groupId}`, {
      method: "PATCH",
      body: { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: members.map((m) => ({ value: m.id, display: m.userName })) }] },
    });
  }

  removeMember(groupId: string, userId: string): Promise<ScimResponse> {
    return this.send(`/Groups/${groupId}`, { method: "PATCH", body: { schemas: [PATCH_OP], Operations: [{ op: "remove", path: `members[value eq "${userId}"]` }] } });
  }

  /** "Import Users": every page of /Users. */
  async importUsers(): Promise<Record<string, unknown>[]> {
    const users: Record<string, unknown>[] = [];
    for (let start = 1; ; start += 100) {
      const page = await this.send(`/Users?startIndex=${start}&count=100`);
      expect(page.status).toBe(200);
      users.push(...(page.body.Resources as Record<string, unknown>[]));
      if (start + 100 > page.body.totalResults) return users;
    }
  }
}

export function person(userName: string, givenName: string, familyName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    userName,
    name: { givenName, familyName },
    emails: [{ primary: true, value: userName, type: "work" }],
    displayName: `${givenName} ${familyName}`,
    ...extra,
  };
}
