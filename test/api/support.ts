import { createApiKey } from "../../src/directory/api-keys.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

export interface ApiRoster {
  readonly roster: TestRoster;
  /** Tenant "acme" with a SCIM token. */
  readonly acme: TestTenant;
  /** An API key of tenant "acme". */
  readonly key: string;
  /** fetch under /api/v1/tenants/acme with `key` (or `as`, or none when null). */
  api(path: string, init?: { method?: string; body?: unknown; as?: string | null; headers?: Record<string, string> }): Promise<ApiResponse>;
  close(): Promise<void>;
}

export async function apiFetch(
  url: string,
  key: string | null,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers: {
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      ...(init.body === undefined ? {} : { "content-type": "application/json" }),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text.length === 0 ? undefined : JSON.parse(text) };
}

/** A real Roster (SQLite or PostgreSQL per ROSTER_TEST_DATABASE) with tenant "acme" and an API key for it. */
export async function startApiRoster(options: Parameters<typeof startTestRoster>[0] = {}): Promise<ApiRoster> {
  const roster = await startTestRoster(options);
  const acme = await roster.addTenant("acme");
  const { key } = await createApiKey(roster.store, acme.tenant, "test");
  return {
    roster,
    acme,
    key,
    api: (path, init = {}) => apiFetch(`${roster.url}/api/v1/tenants/acme${path}`, init.as === undefined ? key : init.as, init),
    close: () => roster.close(),
  };
}

/** A SCIM user as Okta creates it. */
export function scimUser(userName: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName,
    name: { givenName: "Dana", familyName: "Scully" },
    emails: [{ value: userName, type: "work", primary: true }],
    active: true,
    ...extra,
  };
}
