import { createServer, type IncomingMessage } from "node:http";
import { TENANT_KEYS, type SeedSizes, type TenantKey, groupBody, oktaUser, userName } from "../sizes.js";
import { announce, type ServerStart, type TenantEndpoint } from "./protocol.js";

// Ory Polis (@boxyhq/saml-jackson) directory sync with its in-memory store, behind a
// plain node:http server that hands each SCIM request to `directorySyncController.requests.handle`
// as its docs show for a Next.js API route. Seeded through the same handler (no HTTP).

interface JacksonRequest {
  method: string;
  body: unknown;
  directoryId: string;
  resourceType: string;
  resourceId: string | undefined;
  apiSecret: string | null;
  query: { count?: number; startIndex?: number; filter?: string };
}
interface DirectorySync {
  directories: { create(params: { tenant: string; product: string; name: string; type: string }): Promise<{ data: { id: string; scim: { secret: string } } | null; error: unknown }> };
  requests: { handle(request: JacksonRequest): Promise<{ status: number; data: unknown }> };
}
type JacksonModule = { default?: (options: Record<string, unknown>) => Promise<{ directorySyncController: DirectorySync }> };

/** Only the small tenant: Polis keeps every directory in memory, and its list/total scans load all users. */
const SEEDED: readonly TenantKey[] = ["small"];

export async function startJackson(start: ServerStart): Promise<void> {
  // Polis logs one line per SCIM event when no webhook is configured; keep the bench output readable.
  for (const method of ["log", "info", "warn", "error"] as const) {
    const write = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      if (typeof args[0] === "string" && args[0].startsWith("Webhook not configured")) return;
      write(...args);
    };
  }
  const loaded = (await import("@boxyhq/saml-jackson")) as unknown as JacksonModule & { default?: JacksonModule };
  const init = loaded.default?.default ?? loaded.default;
  if (typeof init !== "function") throw new Error("@boxyhq/saml-jackson exports no controllers() function");
  const { directorySyncController: dsync } = await init({
    externalUrl: "http://127.0.0.1",
    samlPath: "/api/oauth/saml",
    samlAudience: "https://saml.boxyhq.com",
    db: { engine: "mem" },
    noAnalytics: true,
  });
  const directories = new Map<TenantKey, { id: string; secret: string; userIds: string[]; groupIds: string[] }>();
  for (const key of SEEDED) {
    const created = await dsync.directories.create({ tenant: key, product: "bench", name: key, type: "okta-scim-v2" });
    if (created.data === null) throw new Error(`Polis: cannot create directory: ${JSON.stringify(created.error)}`);
    const directory = { id: created.data.id, secret: created.data.scim.secret, userIds: [] as string[], groupIds: [] as string[] };
    directories.set(key, directory);
    const handle = (method: string, resourceType: string, body: unknown, resourceId?: string) =>
      dsync.requests.handle({ method, body, directoryId: directory.id, resourceType, resourceId, apiSecret: directory.secret, query: {} });
    for (let i = 0; i < start.sizes.smallUsers; i++) {
      const answer = await handle("POST", "users", oktaUser(userName(key, i), i));
      directory.userIds.push((answer.data as { id: string }).id);
    }
    for (let i = 0; i < start.sizes.smallUsers; i++) {
      const answer = await handle("POST", "groups", groupBody(key, i));
      directory.groupIds.push((answer.data as { id: string }).id);
    }
    const members = directory.userIds.slice(0, start.sizes.smallGroupMembers).map((value) => ({ value }));
    await handle("PATCH", "groups", { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "add", path: "members", value: members }] }, directory.groupIds[0]);
  }

  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      const [, , , , directoryId, resourceType, resourceId] = url.pathname.split("/"); // /api/scim/v2.0/{directory}/{type}/{id}
      const raw = await readBody(request);
      const count = url.searchParams.get("count");
      const startIndex = url.searchParams.get("startIndex");
      const filter = url.searchParams.get("filter");
      const answer = await dsync.requests.handle({
        method: request.method ?? "GET",
        body: raw.length > 0 ? JSON.parse(raw) : undefined,
        directoryId: directoryId ?? "",
        resourceType: resourceType ?? "",
        resourceId: resourceId === undefined || resourceId.length === 0 ? undefined : resourceId,
        apiSecret: /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1] ?? null,
        query: {
          ...(count === null ? {} : { count: Number(count) }),
          ...(startIndex === null ? {} : { startIndex: Number(startIndex) }),
          ...(filter === null ? {} : { filter }),
        },
      });
      response.writeHead(answer.status, { "content-type": "application/scim+json" });
      response.end(JSON.stringify(answer.data));
    })().catch((error: unknown) => {
      response.writeHead(500, { "content-type": "text/plain" });
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
  const tenants: Partial<Record<TenantKey, TenantEndpoint>> = {};
  for (const key of TENANT_KEYS) {
    const directory = directories.get(key);
    if (directory !== undefined) tenants[key] = { base: `${url}/api/scim/v2.0/${directory.id}`, token: directory.secret, userIds: directory.userIds, groupIds: directory.groupIds };
  }
  announce({ url, tenants });
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    request.on("data", (part: Buffer) => parts.push(part));
    request.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    request.on("error", reject);
  });
}

export type { SeedSizes };
