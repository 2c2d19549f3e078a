import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../../src/directory/api-keys.js";
import { parseRawAnswer, rawConnect, rawRequest, type RawAnswer } from "../helpers/raw-http.js";
import { startTestRoster, type TestRoster, type TestTenant } from "../helpers/roster.js";

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";
const SCIM_PATH = "/scim/v2/acme/Users";
const API_PATH = "/api/v1/tenants/acme/users";

function portOf(roster: TestRoster): number {
  return Number(new URL(roster.url).port);
}

function expectScimError(answer: RawAnswer, status: number, detail: RegExp): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers["content-type"]).toBe("application/scim+json; charset=utf-8");
  expect(answer.body).toEqual({ schemas: [ERROR], status: String(status), ...(status === 400 ? { scimType: "invalidSyntax" } : {}), detail: expect.stringMatching(detail) });
}

function expectManagementError(answer: RawAnswer, status: number, code: string, message: RegExp): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
  expect(answer.body).toEqual({ error: { code, message: expect.stringMatching(message) } });
}

/** Polls `check` every 50 ms, at most 400 times; fails with `what` if it never holds. */
async function eventually(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`never happened: ${what}`);
}

async function healthy(roster: TestRoster): Promise<number> {
  return (await fetch(`${roster.url}/healthz`)).status;
}

describe("answers before routing are in the shape of the API the URL names", () => {
  let roster: TestRoster;
  let port: number;
  let host: string;

  beforeAll(async () => {
    roster = await startTestRoster();
    await roster.addTenant("acme");
    port = portOf(roster);
    host = `127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await roster.close();
  });

  it("answers a malformed percent-encoding under /api/v1 with 400 invalidRequest and under /scim/v2 with 400 invalidSyntax", async () => {
    const api = await rawRequest(port, `GET ${API_PATH}/%zz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expectManagementError(api, 400, "invalidRequest", /malformed percent-encoding/);
    expect(api.headers["x-request-id"]).toMatch(/\S/);
    const scim = await rawRequest(port, `GET ${SCIM_PATH}/%zz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    expectScimError(scim, 400, /malformed percent-encoding/);
  });

  it("answers an HTTP/1.1 request without Host with 400 in each API's shape, naming the header", async () => {
    const api = await rawRequest(port, `GET ${API_PATH} HTTP/1.1\r\nConnection: close\r\n\r\n`);
    expectManagementError(api, 400, "invalidRequest", /no Host header.*RFC 9112/);
    const scim = await rawRequest(port, `GET ${SCIM_PATH} HTTP/1.1\r\nConnection: close\r\n\r\n`);
    expectScimError(scim, 400, /no Host header.*RFC 9112/);
    expect(scim.headers["x-request-id"]).toMatch(/\S/);
  });

  it("answers an Expect other than 100-continue with 417 in each API's shape, naming the expectation", async () => {
    const api = await rawRequest(port, `GET ${API_PATH} HTTP/1.1\r\nHost: ${host}\r\nExpect: teapot\r\nConnection: close\r\n\r\n`);
    expectManagementError(api, 417, "expectationFailed", /Expect: "teapot" cannot be met/);
    const scim = await rawRequest(port, `GET ${SCIM_PATH} HTTP/1.1\r\nHost: ${host}\r\nExpect: teapot\r\nConnection: close\r\n\r\n`);
    expectScimError(scim, 417, /Expect: "teapot" cannot be met/);
  });

  it("still meets Expect: 100-continue", async () => {
    const exchange = await rawConnect(port, `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`);
    const { text } = await exchange.closed;
    expect(text).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  it("answers headers larger than Node reads with 431 in each API's shape", async () => {
    const big = `X-Big: ${"a".repeat(20_000)}\r\n`;
    const api = await rawRequest(port, `GET ${API_PATH} HTTP/1.1\r\nHost: ${host}\r\n${big}Connection: close\r\n\r\n`);
    expectManagementError(api, 431, "headersTooLarge", /larger than \d+ bytes/);
    expect(api.headers["connection"]).toBe("close");
    const scim = await rawRequest(port, `GET ${SCIM_PATH} HTTP/1.1\r\nHost: ${host}\r\n${big}Connection: close\r\n\r\n`);
    expectScimError(scim, 431, /larger than \d+ bytes/);
  });

  it("answers a HEAD request whose headers are too large with 431 and no body, as HEAD requires", async () => {
    const big = `X-Big: ${"a".repeat(20_000)}\r\n`;
    const exchange = await rawConnect(port, `HEAD ${SCIM_PATH} HTTP/1.1\r\nHost: ${host}\r\n${big}Connection: close\r\n\r\n`);
    const { text } = await exchange.closed;
    expect(text).toMatch(/^HTTP\/1\.1 431 /);
    expect(text.slice(text.indexOf("\r\n\r\n") + 4)).toBe("");
  });

  it("answers 431 in the SCIM shape, the documented default, when the request line came in an earlier packet than the overflow", async () => {
    const exchange = await rawConnect(port, `GET ${API_PATH} HTTP/1.1\r\nHost: ${host}\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (let chunk = 0; chunk < 10 && !exchange.socket.destroyed; chunk += 1) {
      exchange.socket.write(`X-Big-${chunk}: ${"b".repeat(4_000)}\r\n`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const answer = parseRawAnswer((await exchange.closed).text);
    expect(answer).toBeDefined();
    expectScimError(answer as RawAnswer, 431, /larger than/);
  });

  it("answers a malformed request line, header or chunked body with 400 in the shape of its URL, naming the fault", async () => {
    const method = await rawRequest(port, `G@T ${API_PATH} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    expectManagementError(method, 400, "invalidRequest", /not valid HTTP\/1\.1: Invalid method/);
    const length = await rawRequest(port, `POST ${SCIM_PATH} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 1x\r\n\r\n{}`);
    expectScimError(length, 400, /not valid HTTP\/1\.1: Invalid character in Content-Length/);
    const chunked = await rawRequest(port, `POST ${API_PATH} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n`);
    expectManagementError(chunked, 400, "invalidRequest", /not valid HTTP\/1\.1: Invalid character in chunk size/);
  });

  it.each([
    ["a body that is not JSON", "application/json", "{x}", 400, "invalidRequest", /not valid JSON/],
    ["a body of another media type", "text/plain", "hello", 415, "unsupportedMediaType", /application\/json/],
  ] as const)("answers %s (%s) in each API's shape", async (_what, type, body, status, code, message) => {
    const request = (path: string) =>
      `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    expectManagementError(await rawRequest(port, request(API_PATH)), status, code, message);
    const scim = await rawRequest(port, request(SCIM_PATH));
    expect(scim.status).toBe(status);
    expect(scim.headers["content-type"]).toBe("application/scim+json; charset=utf-8");
    expect(scim.body).toEqual(expect.objectContaining({ schemas: [ERROR], status: String(status), detail: expect.stringMatching(message) }));
  });

  it("answers a body over the size limit with 413 in each API's shape", async () => {
    const request = (path: string) => `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\nConnection: close\r\n\r\n{}`;
    expectManagementError(await rawRequest(port, request(API_PATH)), 413, "payloadTooLarge", /exceeds the limit/);
    const scim = await rawRequest(port, request(SCIM_PATH));
    expect(scim.status).toBe(413);
    expect(scim.body).toEqual({ schemas: [ERROR], status: "413", detail: expect.stringMatching(/exceeds the limit/) });
  });

  it("answers bytes that are no HTTP request with a SCIM 400, the documented default", async () => {
    const answer = await rawRequest(port, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
    expectScimError(answer, 400, /not valid HTTP\/1\.1/);
    expect(await healthy(roster)).toBe(200);
  });
});

/** A request over node:http with the Host header of our choosing (fetch does not let one be set). */
function withHost(url: string, host: string, init: { method?: string; body?: unknown; token: string }): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  return new Promise((resolve, reject) => {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const sent = httpRequest(
      url,
      {
        method: init.method ?? (body === undefined ? "GET" : "POST"),
        headers: { host, authorization: `Bearer ${init.token}`, ...(body === undefined ? {} : { "content-type": "application/scim+json" }) },
        agent: false,
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) }));
      },
    );
    sent.on("error", reject);
    sent.end(body);
  });
}

describe("locations never echo a Host the server does not answer to", () => {
  let roster: TestRoster;
  let acme: TestTenant;

  beforeAll(async () => {
    roster = await startTestRoster();
    acme = await roster.addTenant("acme");
  });
  afterAll(async () => {
    await roster.close();
  });

  it("gives a user created with Host: evil.example a Location, meta.location and member $ref on the listening address", async () => {
    const created = await withHost(`${acme.baseUrl}/Users`, "evil.example", { token: acme.token, body: { schemas: [USER], userName: "host-probe@example.com" } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.headers["location"]).toBe(`${acme.baseUrl}/Users/${id}`);
    expect(created.body.meta.location).toBe(`${acme.baseUrl}/Users/${id}`);

    const read = await withHost(`${acme.baseUrl}/Users/${id}`, "evil.example:8443", { token: acme.token });
    expect(read.body.meta.location).toBe(`${acme.baseUrl}/Users/${id}`);
    const group = await withHost(`${acme.baseUrl}/Groups`, "evil.example", {
      token: acme.token,
      body: { schemas: [GROUP], displayName: "host-probe", members: [{ value: id }] },
    });
    expect(group.status).toBe(201);
    expect(group.body.members).toEqual([expect.objectContaining({ value: id, $ref: `${acme.baseUrl}/Users/${id}` })]);
    const config = await withHost(`${acme.baseUrl}/ServiceProviderConfig`, "evil.example", { token: acme.token });
    expect(JSON.stringify([created.headers, created.body, read.body, group.body, config.body])).not.toContain("evil.example");
  });

  it("uses a Host that names the listening address, localhost included", async () => {
    const localhost = `localhost:${portOf(roster)}`;
    const created = await withHost(`${acme.baseUrl}/Users`, localhost, { token: acme.token, body: { schemas: [USER], userName: "localhost-probe@example.com" } });
    expect(created.status).toBe(201);
    expect(created.headers["location"]).toBe(`http://${localhost}/scim/v2/acme/Users/${created.body.id}`);
  });

  it("uses the public URL whatever the Host says", async () => {
    const behindProxy = await startTestRoster({ publicUrl: "https://scim.example.com/" });
    try {
      const tenant = await behindProxy.addTenant("acme");
      const created = await withHost(`${tenant.baseUrl}/Users`, "evil.example", { token: tenant.token, body: { schemas: [USER], userName: "proxy-probe@example.com" } });
      expect(created.headers["location"]).toBe(`https://scim.example.com/scim/v2/acme/Users/${created.body.id}`);
    } finally {
      await behindProxy.close();
    }
  });
});

describe("request timeouts", () => {
  let roster: TestRoster;
  let acme: TestTenant;
  let key: string;
  let port: number;

  beforeAll(async () => {
    roster = await startTestRoster({ connectionLimits: { requestTimeoutMs: 1_500, headersTimeoutMs: 1_000, keepAliveTimeoutMs: 5_000 } });
    acme = await roster.addTenant("acme");
    ({ key } = await createApiKey(roster.store, acme.tenant, "test"));
    port = portOf(roster);
  });
  afterAll(async () => {
    await roster.close();
  });

  /** Sends the headers of a POST with a 200-byte body, then trickles the body a byte every 200 ms (at most 100 bytes); resolves with what the server said. */
  async function trickle(path: string, token: string): Promise<{ answer: RawAnswer | undefined; closedByServer: boolean; bytesSent: number }> {
    const exchange = await rawConnect(
      port,
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{`,
    );
    let bytesSent = 1;
    let serverClosed = false;
    void exchange.closed.then(() => (serverClosed = true));
    for (; bytesSent < 100 && !serverClosed && !exchange.socket.destroyed; bytesSent += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (!exchange.socket.destroyed) exchange.socket.write(" ");
    }
    const { text, closedByServer } = await exchange.closed;
    return { answer: parseRawAnswer(text), closedByServer, bytesSent };
  }

  it("answers a SCIM body trickled past the request timeout with 408 in the SCIM shape, logs it, and closes the connection", async () => {
    const [outcome, health] = await Promise.all([trickle(SCIM_PATH, acme.token), new Promise((resolve) => setTimeout(resolve, 500)).then(() => healthy(roster))]);
    expect(health).toBe(200);
    expect(outcome.closedByServer).toBe(true);
    expect(outcome.bytesSent).toBeLessThan(100);
    const answer = outcome.answer as RawAnswer;
    expect(answer.status, answer?.text).toBe(408);
    expect(answer.headers["content-type"]).toBe("application/scim+json; charset=utf-8");
    expect(answer.headers["connection"]).toBe("close");
    expect(answer.body).toEqual({ schemas: [ERROR], status: "408", detail: expect.stringMatching(/not received within 1500 ms \(ROSTER_REQUEST_TIMEOUT_MS\)/) });

    const requestId = answer.headers["x-request-id"];
    await roster.server.flushRequestLog();
    const entries = await roster.store.read((session) => session.listRequestLog(acme.tenant.id, 100));
    expect(entries).toContainEqual(expect.objectContaining({ requestId, method: "POST", path: SCIM_PATH, status: 408 }));
    expect(await healthy(roster)).toBe(200);
  });

  it("answers a management API body trickled past the request timeout with 408 requestTimeout", async () => {
    const outcome = await trickle(API_PATH, key);
    expect(outcome.closedByServer).toBe(true);
    expectManagementError(outcome.answer as RawAnswer, 408, "requestTimeout", /not received within 1500 ms/);
    expect(await healthy(roster)).toBe(200);
  });

  it("answers headers trickled past the headers timeout with 408 (in the SCIM shape: the URL is not known yet) and closes the connection", async () => {
    const exchange = await rawConnect(port, `GET ${API_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
    let serverClosed = false;
    void exchange.closed.then(() => (serverClosed = true));
    for (let header = 0; header < 100 && !serverClosed && !exchange.socket.destroyed; header += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (!exchange.socket.destroyed) exchange.socket.write(`X-Slow-${header}: 1\r\n`);
    }
    const { text, closedByServer } = await exchange.closed;
    expect(closedByServer).toBe(true);
    const answer = parseRawAnswer(text) as RawAnswer;
    expect(answer?.status, text).toBe(408);
    expect(answer.body).toEqual({ schemas: [ERROR], status: "408", detail: expect.stringMatching(/headers were not received within 1000 ms \(ROSTER_HEADERS_TIMEOUT_MS\)/) });
    expect(await healthy(roster)).toBe(200);
  });

  it("keeps an idle keep-alive connection past the headers timeout, and closes it after the keep-alive timeout", async () => {
    const request = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`;
    const exchange = await rawConnect(port, request);
    let answers = "";
    exchange.socket.on("data", (chunk: Buffer) => (answers += chunk.toString("utf8")));
    await eventually("the first answer", () => answers.includes("\r\n\r\n"));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(exchange.socket.destroyed).toBe(false);
    exchange.socket.write(request);
    const { text, closedByServer } = await exchange.closed;
    expect(closedByServer).toBe(true);
    expect(text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(["HTTP/1.1 200", "HTTP/1.1 200"]);
  });

  it("closes a connection that sends nothing after the headers timeout", async () => {
    const exchange = await rawConnect(port, "");
    const { text, closedByServer } = await exchange.closed;
    expect(closedByServer).toBe(true);
    expect(parseRawAnswer(text)?.status).toBe(408);
  });
});

describe("connection cap", () => {
  let roster: TestRoster;

  beforeAll(async () => {
    roster = await startTestRoster({ connectionLimits: { maxConnections: 3 } });
  });
  afterAll(async () => {
    await roster.close();
  });

  async function connections(): Promise<number> {
    return new Promise((resolve, reject) => roster.server.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
  }

  it("closes a connection past ROSTER_MAX_CONNECTIONS on arrival and serves again once one is released", async () => {
    await eventually("no connection left from earlier requests", async () => (await connections()) === 0);
    const held = await Promise.all([0, 1, 2].map(() => rawConnect(portOf(roster), "")));
    await eventually("the server holds 3 connections", async () => (await connections()) === 3);

    const extra = await rawConnect(portOf(roster), `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    const refused = await extra.closed;
    expect(refused).toEqual({ text: "", closedByServer: true });
    for (const exchange of held) expect(exchange.socket.destroyed).toBe(false);

    held[0]?.socket.destroy();
    await eventually("the server holds 2 connections", async () => (await connections()) === 2);
    const answer = await rawRequest(portOf(roster), `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(answer.status).toBe(200);
    for (const exchange of held) exchange.socket.destroy();
  });
});
