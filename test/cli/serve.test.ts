import type { ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { getTenantBySlug } from "../../src/directory/tenants.js";
import { recordEvents } from "../../src/events/record-events.js";
import { openStore } from "../../src/store/open-store.js";
import { assertBuilt, cliEnv, lastLine, runRoster, spawnRoster, tempDatabase } from "./run-cli.js";

let db: Awaited<ReturnType<typeof tempDatabase>>;
let env: NodeJS.ProcessEnv;
let server: ChildProcess | undefined;

beforeAll(assertBuilt);
beforeEach(async () => {
  db = await tempDatabase();
  env = cliEnv({ ROSTER_DATABASE_URL: db.path });
});
afterEach(async () => {
  if (server !== undefined && server.exitCode === null && server.signalCode === null) {
    server.kill("SIGKILL");
    await new Promise((resolve) => server?.once("close", resolve));
  }
  server = undefined;
  await db.dispose();
});

interface Serving {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `roster serve` on a free port and resolves once it prints where it listens. */
function serve(args: readonly string[] = []): Promise<Serving> {
  const child = spawnRoster(["serve", "--port", "0", "--host", "127.0.0.1", ...args], env);
  server = child;
  let stdout = "";
  let stderr = "";
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("close", (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const match = /^Roster listening on (\S+)$/m.exec(stdout);
      if (match?.[1] !== undefined && /Create a SCIM token: .*\n/.test(stdout)) {
        resolve({ child, url: match[1], stdout: () => stdout, stderr: () => stderr, exited });
      }
    });
    void exited.then(({ code }) => reject(new Error(`roster serve exited ${code} before listening: ${stderr}`)));
  });
}

describe("roster serve", () => {
  it("answers /healthz, creates the default tenant on first start and exits 0 on SIGTERM", async () => {
    const running = await serve();
    expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(running.stdout()).toContain(`SCIM base URL for tenant "default": ${running.url}/scim/v2/default`);
    expect(running.stdout()).toContain("npx roster tokens create --tenant default");

    const health = await fetch(`${running.url}/healthz`);
    expect(health.status).toBe(200);

    running.child.kill("SIGTERM");
    expect(await running.exited).toEqual({ code: 0, signal: null });
  });

  it("exits 0 on SIGINT", async () => {
    const running = await serve();
    running.child.kill("SIGINT");
    expect(await running.exited).toEqual({ code: 0, signal: null });
  });

  it("prints base URLs from --public-url and does not add `default` when tenants exist", async () => {
    await runRoster(["tenants", "create", "acme"], env);
    const running = await serve(["--public-url", "https://scim.example.com/"]);
    expect(running.stdout()).toContain('SCIM base URL for tenant "acme": https://scim.example.com/scim/v2/acme');
    expect(running.stdout()).not.toContain('"default"');
    running.child.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);
  });

  it("serves a token created by the CLI and logs the request for `roster requests`", async () => {
    const running = await serve();
    const created = JSON.parse(lastLine((await runRoster(["tokens", "create", "--tenant", "default", "--json"], env)).stdout)) as {
      token: string;
    };
    const users = await fetch(`${running.url}/scim/v2/default/Users`, {
      headers: { authorization: `Bearer ${created.token}`, "user-agent": "roster-cli-test" },
    });
    expect(users.status).toBe(200);
    const refused = await fetch(`${running.url}/scim/v2/default/Users`, { headers: { authorization: "Bearer roster_nope" } });
    expect(refused.status).toBe(401);

    running.child.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);

    const log = await runRoster(["requests", "--tenant", "default", "--json"], env);
    expect(log.code).toBe(0);
    const entries = JSON.parse(log.stdout) as { method: string; path: string; status: number; userAgent: string | null }[];
    expect(entries).toContainEqual(
      expect.objectContaining({ method: "GET", path: "/scim/v2/default/Users", status: 200, userAgent: "roster-cli-test" }),
    );
    const listed = JSON.parse((await runRoster(["tokens", "list", "--tenant", "default", "--json"], env)).stdout) as { lastUsed: string | null }[];
    expect(listed[0]?.lastUsed).toEqual(expect.any(String));
  });

  it("logs one JSON line per answered request with its id, method, URL, status and time", async () => {
    const running = await serve();
    const answer = await fetch(`${running.url}/scim/v2/default/Users?count=1`, { headers: { authorization: "Bearer roster_nope", "x-request-id": "log-line-test" } });
    expect(answer.status).toBe(401);
    const health = await fetch(`${running.url}/healthz`, { headers: { "x-request-id": "log-line-health" } });
    expect(health.status).toBe(200);
    running.child.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);

    const lines = running
      .stdout()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const about = (id: string) => lines.filter((line) => line["reqId"] === id);
    expect(about("log-line-test")).toEqual([
      expect.objectContaining({ level: 30, msg: "request completed", method: "GET", url: "/scim/v2/default/Users?count=1", statusCode: 401, responseTime: expect.any(Number) }),
    ]);
    expect(about("log-line-health")).toEqual([expect.objectContaining({ msg: "request completed", url: "/healthz", statusCode: 200 })]);
    expect(lines.some((line) => line["msg"] === "incoming request")).toBe(false);
  });

  it("answers a 101-character path segment or a NUL in the URL 404 and logs it at info level, not as an error", async () => {
    const running = await serve();
    const long = "a".repeat(101);
    const paths = { "long-id": `/scim/v2/default/Users/${long}`, "long-slug": `/scim/v2/${long}/Users`, "long-api": `/api/v1/tenants/${long}/users`, "nul-id": "/scim/v2/default/Users/%00" };
    for (const [id, path] of Object.entries(paths)) {
      const answer = await fetch(`${running.url}${path}`, { headers: { authorization: "Bearer roster_nope", "x-request-id": id } });
      expect(answer.status).toBe(404);
    }
    running.child.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);

    const lines = running
      .stdout()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const id of Object.keys(paths)) {
      expect(lines.filter((line) => line["reqId"] === id)).toEqual([expect.objectContaining({ level: 30, msg: "request completed", statusCode: 404 })]);
    }
    expect(lines.filter((line) => (line["level"] as number) >= 50)).toEqual([]);
  });

  it("finishes a request in flight when SIGTERM arrives, then exits 0", async () => {
    const running = await serve();
    const created = JSON.parse(lastLine((await runRoster(["tokens", "create", "--tenant", "default", "--json"], env)).stdout)) as {
      token: string;
    };
    const body = JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "drain@example.com" });
    const { port } = new URL(running.url);
    const socket = connect(Number(port), "127.0.0.1");
    let response = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (response += chunk));
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    // Expect: 100-continue makes the server say when it has the request's headers: from then on it is in flight.
    socket.write(
      [
        "POST /scim/v2/default/Users HTTP/1.1",
        "Host: 127.0.0.1",
        `Authorization: Bearer ${created.token}`,
        "Content-Type: application/scim+json",
        `Content-Length: ${Buffer.byteLength(body)}`,
        "Expect: 100-continue",
        "Connection: close",
        "",
        "",
      ].join("\r\n"),
    );
    await until(() => response.includes("100 Continue"));
    let stderr = "";
    running.child.stderr?.on("data", (chunk: string) => (stderr += chunk));
    running.child.kill("SIGTERM");
    await until(() => stderr.includes("SIGTERM received"));
    // The body completes the request; the socket stays open both ways (a client that
    // half-closes its side before the answer has, to Node's HTTP server, given up on it).
    socket.write(body);
    await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    expect(response).toMatch(/HTTP\/1\.1 201 Created/);
    expect(response).toContain('"userName":"drain@example.com"');
    expect(await running.exited).toEqual({ code: 0, signal: null });
  });

  it.each([
    [["--port", "70000"], /--port "70000" is not a port/],
    [["--port", "http"], /--port "http" is not a port/],
    [["--public-url", "scim.example.com"], /--public-url "scim.example.com" is not an absolute URL/],
    [["--event-retention-days", "0"], /--event-retention-days "0" is not a number of days; expected an integer from 1 to 36500/],
  ])("exits 2 with one line for %j", async (args, pattern) => {
    const result = await runRoster(["serve", ...args], env);
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(pattern);
  });

  it("warns on stderr at start when no public URL is set, and not when one is", async () => {
    const bare = await serve();
    await until(() => bare.stderr().includes("warning"));
    expect(bare.stderr()).toContain(`roster: warning: no public URL is set (--public-url or ROSTER_PUBLIC_URL); Location, meta.location and $ref use a request's Host only when it names ${bare.url}`);
    bare.child.kill("SIGTERM");
    expect((await bare.exited).code).toBe(0);

    const configured = await serve(["--public-url", "https://scim.example.com"]);
    configured.child.kill("SIGTERM");
    expect((await configured.exited).code).toBe(0);
    expect(configured.stderr()).not.toContain("warning");
  });

  it("answers 408 to a connection that sends no headers within ROSTER_HEADERS_TIMEOUT_MS", async () => {
    env = { ...env, ROSTER_HEADERS_TIMEOUT_MS: "300", ROSTER_REQUEST_TIMEOUT_MS: "600", ROSTER_PUBLIC_URL: "https://scim.example.com" };
    const running = await serve();
    const socket = connect(Number(new URL(running.url).port), "127.0.0.1");
    let answer = "";
    socket.setEncoding("utf8").on("data", (chunk: string) => (answer += chunk));
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.once("close", () => resolve()));
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(answer).toContain("the request headers were not received within 300 ms (ROSTER_HEADERS_TIMEOUT_MS)");
    running.child.kill("SIGTERM");
    expect((await running.exited).code).toBe(0);
  });

  it("names the connection settings and their defaults in --help", async () => {
    const result = await runRoster(["serve", "--help"], env);
    expect(result.code).toBe(0);
    for (const variable of ["ROSTER_REQUEST_TIMEOUT_MS (default 30000)", "ROSTER_HEADERS_TIMEOUT_MS\n(default 10000)", "ROSTER_KEEP_ALIVE_TIMEOUT_MS (default 72000)", "ROSTER_MAX_CONNECTIONS open connections\n(default 1000)"]) {
      expect(result.stdout).toContain(variable);
    }
  });

  it.each([
    [{ ROSTER_REQUEST_TIMEOUT_MS: "soon" }, 'roster: serve: ROSTER_REQUEST_TIMEOUT_MS "soon" is not an integer from 1 to 3600000\n'],
    [{ ROSTER_MAX_CONNECTIONS: "0" }, 'roster: serve: ROSTER_MAX_CONNECTIONS "0" is not an integer from 1 to 1000000\n'],
    [
      { ROSTER_HEADERS_TIMEOUT_MS: "20000", ROSTER_REQUEST_TIMEOUT_MS: "10000" },
      "roster: serve: ROSTER_HEADERS_TIMEOUT_MS (20000) must not be greater than ROSTER_REQUEST_TIMEOUT_MS (10000): the headers are part of the request\n",
    ],
  ])("exits 2 with one line for the connection settings %j", async (settings, message) => {
    const result = await runRoster(["serve"], { ...env, ...settings });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(message);
  });

  it("exits 2 with one line for a bad ROSTER_PORT", async () => {
    const result = await runRoster(["serve"], { ...env, ROSTER_PORT: "-1" });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('roster: ROSTER_PORT "-1" is not a port; expected an integer from 0 to 65535\n');
  });
});

describe("roster serve and change events", () => {
  it("exits 2 with one line for a bad ROSTER_EVENT_RETENTION_DAYS", async () => {
    const result = await runRoster(["serve"], { ...env, ROSTER_EVENT_RETENTION_DAYS: "a month" });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('roster: ROSTER_EVENT_RETENTION_DAYS "a month" is not a number of days; expected an integer from 1 to 36500\n');
  });

  it("removes events older than --event-retention-days as it starts, keeping the newer ones", async () => {
    expect((await runRoster(["tenants", "create", "acme"], env)).code).toBe(0);
    const store = await openStore(db.path);
    try {
      const tenant = await getTenantBySlug(store, "acme");
      const insert = async (id: string, daysAgo: number) => {
        const recording = recordEvents(store, { clock: () => new Date(Date.now() - daysAgo * 86_400_000).toISOString() });
        const at = new Date().toISOString();
        await recording.transaction((session) =>
          session.insertResource({ tenantId: tenant.id, id, kind: "User", document: { userName: id }, created: at, lastModified: at, version: 1 }),
        );
      };
      await insert("nine-days-old", 9);
      await insert("three-days-old", 3);
      const kept = async () => (await store.transaction((session) => session.listEvents(tenant.id, 0, 10))).map((event) => event.resourceId);
      expect(await kept()).toEqual(["nine-days-old", "three-days-old"]);
      const running = await serve(["--event-retention-days", "7"]);
      let remaining: string[] = [];
      await until(() => remaining.length === 1, 500, async () => {
        remaining = await kept();
      });
      expect(remaining).toEqual(["three-days-old"]);
      running.child.kill("SIGTERM");
      expect(await running.exited).toEqual({ code: 0, signal: null });
    } finally {
      await store.close();
    }
  });
});

/** Waits for a condition that another event will make true; bounded so a broken server fails the test instead of hanging it. */
async function until(condition: () => boolean, attempts = 500, refresh?: () => Promise<void>): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    await refresh?.();
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("condition not met within 10 s");
}
