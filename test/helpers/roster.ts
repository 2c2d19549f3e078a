import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTenant } from "../../src/directory/tenants.js";
import { createToken } from "../../src/directory/tokens.js";
import { startServer, type RunningServer } from "../../src/http/server.js";
import type { AppOptions } from "../../src/http/server.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store, Tenant } from "../../src/store/store.js";
import { createTestDatabase } from "./postgres.js";

export interface TestTenant {
  readonly tenant: Tenant;
  readonly token: string;
  /** `http://127.0.0.1:PORT/scim/v2/<slug>` */
  readonly baseUrl: string;
  /** fetch relative to the tenant's base URL with its token and SCIM content type. */
  scim(path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<ScimResponse>;
}

export interface ScimResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

export interface TestRoster {
  readonly server: RunningServer;
  readonly store: Store;
  readonly url: string;
  /** The database the server uses (a SQLite path or a PostgreSQL URL): what another process opens to share it. */
  readonly databaseUrl: string;
  addTenant(slug: string): Promise<TestTenant>;
  close(): Promise<void>;
}

export type TestDatabaseKind = "sqlite" | "postgres";

/** The database the HTTP suites run on: `ROSTER_TEST_DATABASE=postgres` runs them on PostgreSQL (npm test does both). */
export function testDatabaseKind(): TestDatabaseKind {
  const chosen = process.env["ROSTER_TEST_DATABASE"] ?? "sqlite";
  if (chosen !== "sqlite" && chosen !== "postgres") throw new Error(`ROSTER_TEST_DATABASE must be "sqlite" or "postgres", not "${chosen}"`);
  return chosen;
}

/**
 * A real Roster on a loopback port over a fresh database: a SQLite file, or a PostgreSQL
 * database of its own (`database`, default from `ROSTER_TEST_DATABASE`); `close()` removes everything.
 */
export async function startTestRoster(
  options: Partial<Omit<AppOptions, "store">> & { readonly database?: TestDatabaseKind } = {},
): Promise<TestRoster> {
  const { database = testDatabaseKind(), ...appOptions } = options;
  const directory = mkdtempSync(join(tmpdir(), "roster-test-"));
  const postgres = database === "postgres" ? await createTestDatabase("http") : undefined;
  const databaseUrl = postgres?.url ?? join(directory, "roster.db");
  const store = await openStore(databaseUrl);
  await store.migrate();
  const server = await startServer({ ...appOptions, store, host: "127.0.0.1", port: 0 });
  return {
    server,
    store,
    url: server.url,
    databaseUrl,
    async addTenant(slug) {
      const tenant = await createTenant(store, slug);
      const { token } = await createToken(store, tenant, "cli", "test");
      const baseUrl = `${server.url}/scim/v2/${slug}`;
      return {
        tenant,
        token,
        baseUrl,
        scim: (path, init = {}) => scimFetch(`${baseUrl}${path}`, token, init),
      };
    },
    async close() {
      await server.close();
      await postgres?.drop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export async function scimFetch(
  url: string,
  token: string | undefined,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ScimResponse> {
  const headers: Record<string, string> = {
    accept: "application/scim+json",
    "user-agent": "Okta SCIM Client 1.0.0",
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    ...(init.body === undefined ? {} : { "content-type": "application/scim+json; charset=utf-8" }),
    ...init.headers,
  };
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? "GET" : "POST"),
    headers,
    ...(init.body === undefined ? {} : { body: typeof init.body === "string" ? init.body : JSON.stringify(init.body) }),
  });
  const text = await response.text();
  let body: unknown = undefined;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status: response.status, headers: response.headers, body };
}
