import { request as httpRequest, Agent, type IncomingHttpHeaders } from "node:http";
import { createApiKey } from "../../src/directory/api-keys.js";
import { createTenant } from "../../src/directory/tenants.js";
import { createToken } from "../../src/directory/tokens.js";
import { hasLoneSurrogate } from "../../src/scim/unicode.js";
import type { Store, Tenant } from "../../src/store/store.js";
import { percentEncode, type BodyPlan, type Credential, type IdRef, type RequestPlan } from "./generators.js";

// What the fuzzer does with a generated request plan: makes bytes of it against a fixture
// (materialize), sends them over a real socket (send), judges the answer (judge) and learns
// the ids it created (learn). Shared by the suite's run and `npm run fuzz`.

const SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";

export interface FuzzTenant {
  readonly tenant: Tenant;
  readonly slug: string;
  /** Its SCIM bearer token. */
  readonly token: string;
  /** A management API key for this tenant only. */
  readonly key: string;
}

export interface FuzzFixture {
  /** Two tenants: requests name the first mostly, the second to try crossing between them. */
  readonly tenants: readonly [FuzzTenant, FuzzTenant];
  /** A management API key for every tenant. */
  readonly adminKey: string;
  /** Ids each tenant's answers created, by kind (deleted ones stay: stale ids are input too). */
  readonly ids: readonly Record<"user" | "group" | "webhook", string[]>[];
}

export async function createFixture(store: Store, prefix: string): Promise<FuzzFixture> {
  const make = async (slug: string): Promise<FuzzTenant> => {
    const tenant = await createTenant(store, slug);
    const { token } = await createToken(store, tenant, "cli", "fuzz");
    const { key } = await createApiKey(store, tenant, "fuzz");
    return { tenant, slug, token, key };
  };
  const tenants = [await make(`${prefix}-a`), await make(`${prefix}-b`)] as const;
  const { key: adminKey } = await createApiKey(store, undefined, "fuzz-admin");
  return { tenants, adminKey, ids: [empty(), empty()] };
}

function empty(): Record<"user" | "group" | "webhook", string[]> {
  return { user: [], group: [], webhook: [] };
}

/** A request as bytes: what `send` writes. */
export interface RawRequest {
  readonly method: string;
  /** Path and query, exactly as written on the request line. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
  /** Which API's error shape the answer must have. */
  readonly api: "scim" | "management";
  /** The fixture tenant whose request log must hold this request: it carried that tenant's own SCIM token on its URL. */
  readonly loggedUnder: number | undefined;
}

const MISSING_ID = "00000000-0000-7000-8000-000000000000";

function resolveId(ref: IdRef, fixture: FuzzFixture, tenantIndex: number): string {
  if ("raw" in ref) return ref.raw;
  if ("encoded" in ref) return percentEncode(ref.encoded);
  const owner = ref.otherTenant ? 1 - tenantIndex : tenantIndex;
  const known = fixture.ids[owner]?.[ref.known] ?? [];
  return known.length === 0 ? MISSING_ID : (known[ref.index % known.length] as string);
}

function authorization(credential: Credential, api: "scim" | "management", fixture: FuzzFixture, tenantIndex: number): string | undefined {
  const own = fixture.tenants[tenantIndex] as FuzzTenant;
  const other = fixture.tenants[1 - tenantIndex] as FuzzTenant;
  if (typeof credential === "object") return credential.raw;
  switch (credential) {
    case "own":
      return `Bearer ${api === "scim" ? own.token : own.key}`;
    case "otherTenant":
      return `Bearer ${api === "scim" ? other.token : other.key}`;
    case "scimToken":
      return `Bearer ${own.token}`;
    case "tenantKey":
      return `Bearer ${own.key}`;
    case "adminKey":
      return `Bearer ${fixture.adminKey}`;
    case "none":
      return undefined;
    case "garbage":
      return "Bearer roster_0000000000000000000000000000000000000000";
    case "bearerBearer":
      return `Bearer Bearer ${api === "scim" ? own.token : own.key}`;
  }
}

function deepBody(depth: number, shape: "array" | "object" | "patchValue" | "bulkData" | "filterParens"): string {
  const array = `${"[".repeat(depth)}${"]".repeat(depth)}`;
  switch (shape) {
    case "array":
      return array;
    case "object":
      return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
    case "patchValue":
      return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"title","value":${array}}]}`;
    case "bulkData":
      return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"Operations":[{"method":"POST","path":"/Users","bulkId":"d","data":{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"deep","x":${array}}}]}`;
    case "filterParens":
      return JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: `${"(".repeat(depth)}userName pr${")".repeat(depth)}` });
  }
}

function bodyBytes(body: BodyPlan, ref: string): Buffer {
  if ("bytes" in body) return Buffer.from(body.bytes);
  if ("deep" in body) return Buffer.from(deepBody(body.deep.depth, body.deep.shape), "utf8");
  // JSON.stringify writes a lone surrogate as its escape (`"\ud800"`), as a hostile client would.
  const text = "text" in body ? body.text : (JSON.stringify(body.json) ?? "null");
  return Buffer.from(text.split("{ref}").join(ref), "utf8");
}

/** Turns a plan into the bytes of a request against `fixture`. */
export function materialize(plan: RequestPlan, fixture: FuzzFixture): RawRequest {
  const tenantIndex = typeof plan.tenant === "number" ? plan.tenant : 0;
  const slug = typeof plan.tenant === "number" ? (fixture.tenants[tenantIndex] as FuzzTenant).slug : plan.tenant.slug;
  const api = plan.api === "raw" ? undefined : plan.api;
  const fill = (template: string) =>
    template
      .replace("{id}", resolveId(plan.id, fixture, tenantIndex))
      .replace("{id2}", resolveId(plan.id2, fixture, tenantIndex))
      .replace("{slug}", slug);
  let path: string;
  if (plan.api === "scim") path = `/scim/v2/${slug}${fill(plan.path)}`;
  else if (plan.api === "management") path = plan.path.startsWith("{root}") ? `/api/v1${plan.path.slice("{root}".length)}` : `/api/v1/tenants/${slug}${fill(plan.path)}`;
  else path = fill(plan.path);
  const query = [...plan.query.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`), ...(plan.rawQuery === undefined ? [] : [plan.rawQuery])];
  if (query.length > 0) path += `?${query.join("&")}`;
  const answeredBy = isManagementPath(path) ? "management" : "scim";
  const auth = authorization(plan.credential, api ?? answeredBy, fixture, tenantIndex);
  const headers: Record<string, string> = { ...plan.headers, ...(auth === undefined ? {} : { authorization: auth }) };
  const ref = (fixture.ids[tenantIndex]?.user ?? [])[0] ?? MISSING_ID;
  const body = plan.body === undefined ? undefined : bodyBytes(plan.body, ref);
  if (body !== undefined) headers["content-length"] = String(body.length);
  const ownToken = plan.credential === "own" || plan.credential === "bearerBearer" || (plan.credential === "scimToken" && plan.api !== "management");
  const loggedUnder = plan.api === "scim" && typeof plan.tenant === "number" && ownToken ? tenantIndex : undefined;
  return { method: plan.method, path, headers, body, api: answeredBy, loggedUnder };
}

/** Management API paths answer `{"error": …}`; every other path (SCIM, the root, unknown prefixes) a SCIM error. */
export function isManagementPath(path: string): boolean {
  const bare = path.split("?")[0] ?? "";
  return bare === "/api/v1" || bare.startsWith("/api/v1/");
}

export type Answer =
  | { readonly status: number; readonly headers: IncomingHttpHeaders; readonly body: Buffer }
  | { readonly failure: string };

/** Sends `raw` to 127.0.0.1:`port` over `agent`; a socket error or no answer within `timeoutMs` is a failure. */
export function send(port: number, raw: RawRequest, agent: Agent, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (answer: Answer) => {
      if (!settled) {
        settled = true;
        resolve(answer);
      }
    };
    let outgoing: ReturnType<typeof httpRequest>;
    try {
      outgoing = httpRequest({ host: "127.0.0.1", port, method: raw.method, path: raw.path, headers: raw.headers, agent, timeout: timeoutMs }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("end", () => settle({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks) }));
        incoming.on("error", (error) => settle({ failure: `response: ${error.message}` }));
      });
    } catch (error) {
      // Node's client refuses to write it (a character it does not allow in a header or path): not the server's doing.
      settle({ failure: `client: ${(error as Error).message}` });
      return;
    }
    outgoing.on("timeout", () => {
      outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    outgoing.on("error", (error) => settle({ failure: `socket: ${error.message}` }));
    outgoing.end(raw.body);
  });
}

export interface Finding {
  readonly kind: "5xx" | "shape" | "invalidJson" | "noAnswer";
  readonly detail: string;
}

/** 5xx answers that are the contract, not a failure: /Me is not implemented (RFC 7644 §3.11 allows 501). Nothing else. */
function allowedServerError(raw: RawRequest, status: number): boolean {
  return status === 501 && raw.api === "scim" && /^\/scim\/v2\/[^/?]+\/Me(?:[/?]|$)/.test(raw.path);
}

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false; reason: string } {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return { ok: false, reason: "the body is not valid UTF-8" };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, reason: `the body is not JSON (${(error as Error).message})` };
  }
}

/** Finds a lone surrogate in any string of a parsed answer (strict JSON parsers refuse one). */
function holdsLoneSurrogate(value: unknown): boolean {
  const stack: unknown[] = [value];
  for (let budget = 1_000_000; stack.length > 0 && budget > 0; budget--) {
    const next = stack.pop();
    if (typeof next === "string") {
      if (hasLoneSurrogate(next)) return true;
    } else if (Array.isArray(next)) {
      stack.push(...next);
    } else if (typeof next === "object" && next !== null) {
      for (const [key, entry] of Object.entries(next)) stack.push(key, entry);
    }
  }
  return false;
}

function errorShapeProblem(api: "scim" | "management", status: number, body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return "the error body is not a JSON object";
  const record = body as Record<string, unknown>;
  if (api === "management") {
    const error = record["error"];
    if (Object.keys(record).length !== 1 || typeof error !== "object" || error === null) return 'not {"error": {…}}';
    const { code, message } = error as Record<string, unknown>;
    if (typeof code !== "string" || typeof message !== "string" || message.length === 0) return "error.code and error.message must be non-empty strings";
    return undefined;
  }
  const schemas = record["schemas"];
  if (!Array.isArray(schemas) || !schemas.includes(SCIM_ERROR)) return `schemas does not hold ${SCIM_ERROR}`;
  if (record["status"] !== String(status)) return `status is ${JSON.stringify(record["status"])}, not "${status}"`;
  if (typeof record["detail"] !== "string" || record["detail"].length === 0) return "detail is not a non-empty string";
  if (record["scimType"] !== undefined && typeof record["scimType"] !== "string") return "scimType is not a string";
  return undefined;
}

/** What is wrong with the answer to `raw`: a 5xx, an error body not in its API's shape, a body no strict parser reads, no answer. */
export function judge(raw: RawRequest, answer: Answer): Finding[] {
  if ("failure" in answer) return answer.failure.startsWith("client:") ? [] : [{ kind: "noAnswer", detail: answer.failure }];
  const findings: Finding[] = [];
  const { status } = answer;
  if (status >= 500 && !allowedServerError(raw, status)) findings.push({ kind: "5xx", detail: `answered ${status}` });
  const hasBody = answer.body.length > 0 && raw.method !== "HEAD";
  if (status >= 400 && raw.method !== "HEAD") {
    const parsed = parseJson(answer.body);
    const problem = !parsed.ok ? (answer.body.length === 0 ? "the error answer has no body" : parsed.reason) : errorShapeProblem(raw.api, status, parsed.value);
    if (problem !== undefined) findings.push({ kind: "shape", detail: `${status} ${raw.api === "scim" ? "SCIM" : "management API"} error: ${problem}` });
  } else if (hasBody && status !== 204 && status !== 304) {
    const parsed = parseJson(answer.body);
    if (!parsed.ok) findings.push({ kind: "invalidJson", detail: `${status}: ${parsed.reason}` });
    else if (holdsLoneSurrogate(parsed.value)) findings.push({ kind: "invalidJson", detail: `${status}: the answer holds a lone surrogate` });
  }
  return findings;
}

/** Remembers the ids a successful create answered with, so that later requests name existing resources. */
export function learn(plan: RequestPlan, raw: RawRequest, answer: Answer): { tenant: number; kind: "user" | "group" | "webhook"; id: string } | undefined {
  if ("failure" in answer || answer.status !== 201 || typeof plan.tenant !== "number") return undefined;
  const parsed = parseJson(answer.body);
  if (!parsed.ok || typeof parsed.value !== "object" || parsed.value === null) return undefined;
  const id = (parsed.value as Record<string, unknown>)["id"];
  if (typeof id !== "string") return undefined;
  const bare = raw.path.split("?")[0] ?? "";
  const kind = /\/(?:Users|users)$/.test(bare) ? "user" : /\/(?:Groups|groups)$/.test(bare) ? "group" : /\/webhooks$/.test(bare) ? "webhook" : undefined;
  return kind === undefined ? undefined : { tenant: plan.tenant, kind, id };
}

/** Request ids each fixture tenant's request log must hold. */
export class LogExpectations {
  private readonly expected: Map<string, { count: number; what: string }>[];

  constructor(tenants: number) {
    this.expected = Array.from({ length: tenants }, () => new Map());
  }

  /**
   * Notes the answer's X-Request-Id when `raw` carried its tenant's own token. A `431` is
   * Node's parser refusing the headers before any route read the token: it is in the process
   * log only, like every answer written before routing that has no request id.
   */
  note(raw: RawRequest, answer: Answer): void {
    if (raw.loggedUnder === undefined || "failure" in answer || answer.status === 431) return;
    const id = answer.headers["x-request-id"];
    if (typeof id !== "string") return;
    const map = this.expected[raw.loggedUnder] as Map<string, { count: number; what: string }>;
    const what = `${raw.method} ${raw.path.slice(0, 160)} → ${answer.status}${raw.body === undefined ? "" : ` (body: ${raw.body.toString("utf8").slice(0, 120)})`}`;
    map.set(id, { count: (map.get(id)?.count ?? 0) + 1, what });
  }

  get count(): number {
    return this.expected.reduce((sum, map) => [...map.values()].reduce((a, b) => a + b.count, sum), 0);
  }

  /** The request ids missing from each tenant's log (`limit`: how many newest entries to read); clears what was checked. */
  async missing(store: Store, fixture: FuzzFixture, limit: number): Promise<string[]> {
    const missing: string[] = [];
    for (const [index, map] of this.expected.entries()) {
      if (map.size === 0) continue;
      const tenant = (fixture.tenants[index] as FuzzTenant).tenant;
      const entries = await store.read((session) => session.listRequestLog(tenant.id, limit));
      const logged = new Map<string, number>();
      for (const entry of entries) logged.set(entry.requestId, (logged.get(entry.requestId) ?? 0) + 1);
      for (const [id, { count, what }] of map) if ((logged.get(id) ?? 0) < count) missing.push(`${fixture.tenants[index]?.slug} ${id}: ${what}`);
      map.clear();
    }
    return missing;
  }
}

/** A request and its answer, short enough to print. */
export function describeExchange(raw: RawRequest, answer: Answer): string {
  const excerpt = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text);
  const body = raw.body === undefined ? "" : `\n  body: ${excerpt(raw.body.toString("utf8"), 400)}`;
  const headers = Object.entries(raw.headers)
    .filter(([name]) => name !== "authorization" && name !== "content-length")
    .map(([name, value]) => `${name}: ${excerpt(value, 80)}`)
    .join("; ");
  const got = "failure" in answer ? answer.failure : `${answer.status} ${excerpt(answer.body.toString("utf8"), 300)}`;
  return `${raw.method} ${excerpt(raw.path, 300)}\n  headers: ${headers}\n  authorization: ${raw.headers["authorization"] === undefined ? "none" : "sent"}${body}\n  answer: ${got}`;
}

/**
 * The client side of a fuzz run: a connection per request, one at a time, so that an answer
 * Node's parser writes and closes the connection after (431, 400) cannot cost the next request.
 */
export function fuzzAgent(): Agent {
  return new Agent({ keepAlive: false, maxSockets: 1 });
}
