import { randomUUID } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, LogController } from "fastify";
import { now } from "../directory/clock.js";
import { ScimError } from "../scim/errors.js";
import { describeLoneSurrogate, findLoneSurrogate } from "../scim/unicode.js";
import { recordEvents, type RecordingStore } from "../events/record-events.js";
import { startEventPruner } from "../events/retention.js";
import type { Store, Tenant } from "../store/store.js";
import { DEFAULT_LIMITS, type ScimLimits } from "./config.js";
import { handleError, LOGGED_ERROR, loggedErrorOf } from "./errors.js";
import { RequestLogWriter, redactBody } from "./request-log.js";
import { SCIM_CONTEXT, scimContextOf, scimRoutes } from "./scim-routes.js";
import { API_PREFIX, apiRoutes } from "./api-routes.js";
import type { DestinationPolicy } from "../events/destinations.js";
import type { SecretKey } from "../events/secret-box.js";

export interface AppOptions {
  readonly store: Store;
  /** Public origin used in `Location` and `meta.location`, e.g. `https://scim.example.com`; from the request's Host when absent. */
  readonly publicUrl?: string;
  /** Pino logging to stdout (off in tests). */
  readonly log?: boolean;
  readonly limits?: Partial<ScimLimits>;
  /** Request-log entries kept per tenant. */
  readonly requestLogRetention?: number;
  /** ROSTER_SECRET_KEY: encrypts the signing secrets of webhooks created through the management API. */
  readonly secretKey?: SecretKey;
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
    const line = { method: request.method, url: request.url, statusCode: reply.statusCode, responseTime: Math.round(reply.elapsedTime * 100) / 100 };
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

/** Builds the HTTP application (SCIM API, management API and health check) without listening; every write records its change events. */
export async function buildApp(options: AppOptions): Promise<RosterApp> {
  const store = recordEvents(options.store);
  const limits: ScimLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const publicUrl = options.publicUrl?.replace(/\/+$/, "");
  const app = Fastify({
    logger: options.log === true ? { level: "info" } : false,
    logController: new OneLinePerRequest(),
    genReqId: (request) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: limits.maxBodyBytes,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true, caseSensitive: true, maxParamLength: ROUTER_MAX_PARAM_LENGTH },
    return503OnClosing: true,
    // Errors Fastify raises before routing (a malformed URL) also get the SCIM error shape.
    frameworkErrors: (error, request, reply) => {
      reply.header("X-Request-Id", request.id);
      return handleError(error, request, reply);
    },
  });
  // Every request has these from its creation, so requests keep one shape (scim-routes.ts).
  app.decorateRequest(SCIM_CONTEXT, null);
  app.decorateRequest(LOGGED_ERROR, null);
  const requestLog = new RequestLogWriter(store, options.requestLogRetention ?? 10_000);
  const tenantsBySlug = new Map<string, Tenant>();

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
    done(loneSurrogateError(request.query, request.body));
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) =>
    handleError(new ScimError("notFound", `no endpoint ${request.method} ${request.url.split("?")[0] ?? ""}`), request, reply),
  );

  // Hooks on every request take a callback, not a promise: each async hook costs a request
  // a promise and a microtask turn more (docs/benchmarks.md).
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("X-Request-Id", request.id);
    done(nulCharacterError(request.url) ?? longSegmentError(request.method, request.url));
  });

  function lookUpTenant(slug: string): Promise<Tenant | undefined> {
    return store.read((session) => session.findTenantBySlug(slug)).then(
      (found) => {
        if (found !== undefined) tenantsBySlug.set(slug, found);
        return found;
      },
      () => undefined,
    );
  }

  // Entries whose tenant is still being looked up (a 401 on an existing tenant's URL);
  // flushRequestLog() waits for them so that a flush covers every answered request.
  const pendingEntries = new Set<Promise<void>>();

  function logEntry(request: FastifyRequest, reply: FastifyReply, tenant: Tenant): void {
    const error = loggedErrorOf(request);
    const notes = scimContextOf(request)?.notes;
    const userAgent = request.headers["user-agent"];
    requestLog.push({
      tenantId: tenant.id,
      requestId: request.id,
      at: now(),
      method: request.method,
      path: request.url,
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
      scimType: error?.scimType ?? null,
      errorDetail: error?.detail ?? null,
      userAgent: userAgent ?? null,
      requestBody: redactBody(request.body),
      ...(notes === undefined || notes.length === 0 ? {} : { notes }),
    });
  }

  /** Logs a SCIM request under its tenant: the authenticated one, else the one its URL names (a 401), if it exists. */
  function recordRequest(request: FastifyRequest, reply: FastifyReply): void {
    const authenticated = scimContextOf(request)?.tenant;
    if (authenticated !== undefined) return logEntry(request, reply, authenticated);
    const slug = TENANT_PATH.exec(request.url)?.[1];
    if (slug === undefined) return;
    const cached = tenantsBySlug.get(slug);
    if (cached !== undefined) return logEntry(request, reply, cached);
    const pending = lookUpTenant(slug)
      .then((found) => {
        if (found !== undefined) logEntry(request, reply, found);
      })
      .catch((error: unknown) => request.log.error({ err: error }, "request log entry not recorded"))
      .finally(() => pendingEntries.delete(pending));
    pendingEntries.add(pending);
  }

  app.addHook("onResponse", (request, reply, done) => {
    try {
      recordRequest(request, reply);
    } catch (error) {
      request.log.error({ err: error }, "request log entry not recorded");
    }
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

  await app.register(scimRoutes, { prefix: "/scim/v2/:tenant", store, limits, publicUrl });
  await app.register(apiRoutes, {
    prefix: API_PREFIX,
    store,
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
