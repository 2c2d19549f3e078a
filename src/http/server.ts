import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from "fastify";
import { now } from "../directory/clock.js";
import { ScimError } from "../scim/errors.js";
import { describeLoneSurrogate, findLoneSurrogate } from "../scim/unicode.js";
import { describeDeepNesting, findDeepNesting, isBulkOperationData, MAX_NESTING_DEPTH } from "../scim/nesting.js";
import { recordEvents, type RecordingStore } from "../events/record-events.js";
import { startEventPruner } from "../events/retention.js";
import type { Store, Tenant } from "../store/store.js";
import { DEFAULT_LIMITS, type ScimLimits } from "./config.js";
import { handleError, LOGGED_ERROR, loggedErrorOf } from "./errors.js";
import { RequestLogWriter, redactBody } from "./request-log.js";
import { redactSearchFilter, redactUrl } from "./redact-url.js";
import { SCIM_CONTEXT, scimContextOf, scimRoutes } from "./scim-routes.js";
import { API_PREFIX, apiRoutes } from "./api-routes.js";
import { handleApiError } from "./api-errors.js";
import { answerClientError, errorShapeOf, requestHeaderError, routeRefusedExpectations } from "./client-errors.js";
import { applyConnectionLimits, type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from "./connection-limits.js";
import { originResolver } from "./public-url.js";
import type { DestinationPolicy } from "../events/destinations.js";
import type { SecretKey } from "../events/secret-box.js";
import { TenantLimiter, defaultTenantConcurrency } from "./tenant-limiter.js";

export interface AppOptions {
  readonly store: Store;
  /**
   * Public origin used in `Location`, `meta.location` and `$ref`, e.g. `https://scim.example.com`; when absent, the
   * request's Host if it names the listening address, else that address (src/http/public-url.ts).
   */
  readonly publicUrl?: string;
  /** Request and headers timeouts, keep-alive timeout and connection cap (ROSTER_REQUEST_TIMEOUT_MS and others); defaults for those absent. */
  readonly connectionLimits?: Partial<ConnectionLimits>;
  /** Pino logging to stdout (off in tests). */
  readonly log?: boolean;
  /** Where the log's lines go when `log` is true, instead of stdout (tests read them). */
  readonly logDestination?: { write(line: string): void };
  readonly limits?: Partial<ScimLimits>;
  /** Request-log entries kept per tenant (10,000 when absent). */
  readonly requestLogRetention?: number;
  /** Unauthenticated request-log entries kept per tenant, apart from the others (ADR 0029); a tenth of `requestLogRetention` when absent. */
  readonly requestLogUnauthenticatedRetention?: number;
  /** ROSTER_SECRET_KEY: encrypts the signing secrets of webhooks created through the management API. */
  readonly secretKey?: SecretKey;
  /** Per-tenant slots for SCIM reads; by default `defaultTenantConcurrency` of a pool of 10. */
  readonly tenantLimiter?: TenantLimiter;
  /** ROSTER_WEBHOOK_ALLOW_PRIVATE: webhook destinations allowed besides public addresses; public only when absent. */
  readonly webhookDestinations?: DestinationPolicy;
}

export interface RosterApp {
  readonly app: FastifyInstance;
  /** The store every request goes through: it records change events (src/events/). */
  readonly store: RecordingStore;
  /** Flushes the request log; call before reading it in tests. */
  flushRequestLog(): Promise<void>;
  close(): Promise<void>;
}

export interface ServerOptions extends AppOptions {
  readonly host: string;
  readonly port: number;
  /** Removes change events older than this many days, at start and then hourly (`roster serve`); none are removed when absent. */
  readonly eventRetentionDays?: number;
}

export interface RunningServer {
  /** `http://host:port` as bound (the real port when 0 was asked for). */
  readonly url: string;
  readonly app: FastifyInstance;
  /** The store every request goes through: it records change events (src/events/). */
  readonly store: RecordingStore;
  flushRequestLog(): Promise<void>;
  /** Stops accepting connections, drains in-flight requests, flushes the request log and closes the store. */
  close(): Promise<void>;
}

const TENANT_PATH = /^\/scim\/v2\/([^/?]+)/;
const TENANT_MEMO_MS = 10_000;

/**
 * The longest path segment any route can match: no id, tenant slug (63), list name (63) or
 * webhook id is longer. A longer one is answered 404 by the onRequest hook, so the request
 * is routed, logged and answered as any other; the router's own limit (Fastify's default is
 * this same 100) is set past what Node accepts in a request line, for its error skips both logs.
 */
const MAX_PATH_SEGMENT = 100;
const ROUTER_MAX_PARAM_LENGTH = 65_536;

function pathOf(url: string): string {
  return url.split("?")[0] ?? "";
}

function longSegmentError(method: string, url: string): ScimError | undefined {
  const path = pathOf(url);
  if (path.length <= MAX_PATH_SEGMENT) return undefined;
  if (!path.split("/").some((segment) => segment.length > MAX_PATH_SEGMENT)) return undefined;
  return new ScimError(
    "notFound",
    `no resource at ${method} ${path.slice(0, 120)}…: a path segment is longer than ${MAX_PATH_SEGMENT} characters, and no id or name is`,
  );
}

/**
 * A URL holding an encoded NUL (`%00`; a raw one never gets past Node's parser): no id,
 * name or parameter contains one, and PostgreSQL text cannot, so it is refused before any
 * SQL (404 in the path, 400 in the query). Both error handlers render a ScimError.
 */
function nulCharacterError(url: string): ScimError | undefined {
  if (!url.includes("%00")) return undefined;
  const queryAt = url.indexOf("?");
  if (queryAt === -1 || url.indexOf("%00") < queryAt) {
    return new ScimError("notFound", "no resource at this URL: its path holds a NUL character (%00), which no id or name contains");
  }
  return new ScimError("invalidValue", "the query string holds a NUL character (%00), which no parameter accepts");
}

/**
 * One log line per answered request, with what an operator reads it for (request id,
 * method, URL, status, milliseconds). Fastify's default writes two, serialising the whole
 * request and reply, which cost a GET more CPU than its database work (docs/benchmarks.md).
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Secrets in the query string (`?access_token=…`, `filter=password eq …`) are not logged.
    const line = { method: request.method, url: redactUrl(request.url).url, statusCode: reply.statusCode, responseTime: Math.round(reply.elapsedTime * 100) / 100 };
    if (error === null || error === undefined) reply.log.info(line, "request completed");
    else reply.log.error({ ...line, err: error }, "request errored");
  }
}

function loneSurrogateError(query: unknown, body: unknown): ScimError | undefined {
  const inQuery = findLoneSurrogate(query);
  if (inQuery !== undefined) {
    const name = inQuery.path.replace(/\[\d+\]$/, "");
    return new ScimError("invalidValue", describeLoneSurrogate(inQuery.inKey ? "a query parameter's name" : `the query parameter ${name}`, { path: "", inKey: false }));
  }
  const inBody = findLoneSurrogate(body);
  return inBody === undefined ? undefined : new ScimError("invalidValue", describeLoneSurrogate("the request body", inBody));
}

/**
 * A body nested past MAX_NESTING_DEPTH (any endpoint of either API): 400 invalidValue, the
 * scimType RFC 7644 §3.12 allows on every method that takes a body (invalidSyntax is not
 * one of PATCH's). A /Bulk operation's `data` is measured when that operation runs, so it
 * is that operation's own error (src/directory/bulk.ts).
 */
function deepNestingError(request: FastifyRequest): ScimError | undefined {
  const bulk = request.routeOptions.url?.endsWith("/Bulk") === true;
  const found = findDeepNesting(request.body, MAX_NESTING_DEPTH, bulk ? isBulkOperationData : undefined);
  return found === undefined ? undefined : new ScimError("invalidValue", describeDeepNesting("the request body", found));
}

/** Builds the HTTP application (SCIM API, management API and health check) without listening; every write records its change events. */
export async function buildApp(options: AppOptions): Promise<RosterApp> {
  const store = recordEvents(options.store);
  const limits: ScimLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const publicUrl = options.publicUrl?.replace(/\/+$/, "");
  const app = Fastify({
    logger: options.log === true ? { level: "info", ...(options.logDestination === undefined ? {} : { stream: options.logDestination }) } : false,
    logController: new OneLinePerRequest(),
    genReqId: (request) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: limits.maxBodyBytes,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: true, maxParamLength: ROUTER_MAX_PARAM_LENGTH },
    return503OnClosing: true,
    // Errors Fastify raises before routing (a malformed URL) get the error shape of the API the URL names.
    // They skip every hook (Fastify answers them from a context of its own), onResponse
    // included: the request log records them when their answer has gone out.
    frameworkErrors: (error, request, reply) => {
      reply.header("X-Request-Id", request.id);
      reply.raw.once("finish", () => recordAnswered(request, reply));
      return errorShapeOf(request.url) === "management" ? handleApiError(error, request, reply) : handleError(error, request, reply);
    },
    clientErrorHandler: (error, socket) => answerClientError(app, error, socket),
  });
  applyConnectionLimits(app.server, { ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits }, (dropped) =>
    app.log.warn({ dropped, maxConnections: app.server.maxConnections }, "connections closed on arrival: the server holds ROSTER_MAX_CONNECTIONS"),
  );
  routeRefusedExpectations(app.server);
  // Every request has these from its creation, so requests keep one shape (scim-routes.ts).
  app.decorateRequest(SCIM_CONTEXT, null);
  app.decorateRequest(LOGGED_ERROR, null);
  const retention = options.requestLogRetention ?? 10_000;
  const requestLog = new RequestLogWriter(store, {
    authenticated: retention,
    unauthenticated: options.requestLogUnauthenticatedRetention ?? Math.max(1, Math.floor(retention / 10)),
  });
  // The tenants whose URLs got unauthenticated requests, for logging those (a flood of 401s
  // costs one lookup per slug and TENANT_MEMO_MS). Kept briefly: a tenant deleted and created
  // again under its slug is a new tenant, whose entries must not go to the old one's id.
  const tenantsBySlug = new Map<string, { readonly tenant: Tenant; readonly at: number }>();

  // Only JSON bodies: any other media type (text/plain included) is 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    ["application/scim+json", "application/json"],
    { parseAs: "string" },
    app.getDefaultJsonParser("error", "error"),
  );
  // Strings must be valid Unicode on the way in, in every body and query value of both APIs
  // (a lone surrogate poisons a tenant's unindexed filters on PostgreSQL): 400 invalidValue,
  // which the management API's error handler answers in its own shape (invalidRequest).
  app.addHook("preValidation", (request, _reply, done) => {
    done(loneSurrogateError(request.query, request.body) ?? deepNestingError(request));
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    handleError(new ScimError("notFound", `no endpoint ${request.method} ${request.url.split("?")[0] ?? ""}`), request, reply),
  );

  // Hooks on every request take a callback, not a promise: each async hook costs a request
  // a promise and a microtask turn more (docs/benchmarks.md).
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("X-Request-Id", request.id);
    done(requestHeaderError(request.raw) ?? nulCharacterError(request.url) ?? longSegmentError(request.method, request.url));
  });

  function lookUpTenant(slug: string): Promise<Tenant | undefined> {
    return store.read((session) => session.findTenantBySlug(slug)).then(
      (found) => {
        if (found !== undefined) tenantsBySlug.set(slug, { tenant: found, at: Date.now() });
        else tenantsBySlug.delete(slug);
        return found;
      },
      () => undefined,
    );
  }

  // Entries whose tenant is still being looked up (a 401 on an existing tenant's URL);
  // flushRequestLog() waits for them so that a flush covers every answered request.
  const pendingEntries = new Set<Promise<void>>();

  function logEntry(request: FastifyRequest, reply: FastifyReply, tenant: Tenant, authenticated: boolean): void {
    const error = loggedErrorOf(request);
    const scim = scimContextOf(request);
    const notes = scim?.notes;
    const eventIds = scim?.eventIds;
    const userAgent = request.headers["user-agent"];
    const url = redactUrl(request.url);
    const search = redactSearchFilter(request.body);
    requestLog.push({
      tenantId: tenant.id,
      requestId: request.id,
      at: now(),
      method: request.method,
      path: url.url,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      scimType: error?.scimType ?? null,
      errorDetail: error === undefined ? null : search.hide(url.hide(error.detail)),
      userAgent: userAgent ?? null,
      requestBody: redactBody(search.body),
      ...(notes === undefined || notes.length === 0 ? {} : { notes }),
      ...(eventIds === undefined || eventIds.length === 0 ? {} : { eventIds }),
      ...(authenticated ? {} : { unauthenticated: true as const }),
    });
  }

  /**
   * Logs a SCIM request under its tenant: the authenticated one, else the one its URL names (a
   * 401), if it exists, as unauthenticated: those have an allowance of their own (ADR 0029).
   */
  function recordRequest(request: FastifyRequest, reply: FastifyReply): void {
    const authenticated = scimContextOf(request)?.tenant;
    if (authenticated !== undefined) return logEntry(request, reply, authenticated, true);
    const slug = TENANT_PATH.exec(request.url)?.[1];
    if (slug === undefined) return;
    const cached = tenantsBySlug.get(slug);
    if (cached !== undefined && Date.now() - cached.at < TENANT_MEMO_MS) return logEntry(request, reply, cached.tenant, false);
    const pending = lookUpTenant(slug)
      .then((found) => {
        if (found !== undefined) logEntry(request, reply, found, false);
      })
      .catch((error: unknown) => request.log.error({ err: error }, "request log entry not recorded"))
      .finally(() => pendingEntries.delete(pending));
    pendingEntries.add(pending);
  }

  function recordAnswered(request: FastifyRequest, reply: FastifyReply): void {
    try {
      recordRequest(request, reply);
    } catch (error) {
      request.log.error({ err: error }, "request log entry not recorded");
    }
  }

  app.addHook("onResponse", (request, reply, done) => {
    recordAnswered(request, reply);
    done();
  });

  async function flushRequestLog(): Promise<void> {
    await Promise.allSettled([...pendingEntries]);
    await requestLog.flush();
  }

  app.get("/healthz", async (_request, reply) => {
    try {
      await store.ping();
      return reply.code(200).send({ status: "ok" });
    } catch {
      return reply.code(503).send({ status: "unavailable", detail: "the database is not reachable" });
    }
  });

  const limiter = options.tenantLimiter ?? new TenantLimiter(defaultTenantConcurrency(10));
  const origin = originResolver(publicUrl, app.server);
  await app.register(scimRoutes, { prefix: "/scim/v2/:tenant", store, limits, origin, limiter });
  await app.register(apiRoutes, {
    prefix: API_PREFIX,
    store,
    origin,
    ...(options.secretKey === undefined ? {} : { secretKey: options.secretKey }),
    ...(options.webhookDestinations === undefined ? {} : { webhookDestinations: options.webhookDestinations }),
  });

  return {
    app,
    store,
    flushRequestLog,
    async close() {
      await app.close();
      await Promise.allSettled([...pendingEntries]);
      await requestLog.close();
    },
  };
}

/** Builds the app and listens; `close()` drains in-flight requests before closing the store. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const roster = await buildApp(options);
  await roster.app.listen({ host: options.host, port: options.port });
  const log = roster.app.log;
  const pruner =
    options.eventRetentionDays === undefined
      ? undefined
      : startEventPruner(roster.store, {
          retentionDays: options.eventRetentionDays,
          onRun: (outcome) => {
            if ("error" in outcome) log.error({ err: outcome.error }, "pruning expired change events failed; retrying in an hour");
            else if (outcome.removed > 0) log.info({ removed: outcome.removed }, "pruned expired change events");
          },
        });
  const address = roster.app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  const host = options.host === "0.0.0.0" || options.host === "::" ? "localhost" : options.host;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    app: roster.app,
    store: roster.store,
    flushRequestLog: roster.flushRequestLog,
    async close() {
      await pruner?.stop();
      await roster.close();
      await options.store.close();
    },
  };
}
