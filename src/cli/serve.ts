import { ensureDefaultTenant } from "../directory/tenants.js";
import { type Dispatcher, startDispatcher } from "../events/dispatcher.js";
import { type DispatcherSettings, DispatcherSettingsError, readDispatcherSettings } from "../events/dispatcher-settings.js";
import { readSecretKey, type SecretKey, SecretKeyError } from "../events/secret-box.js";
import { assertSecretKeyOpensWebhooks } from "../events/webhooks.js";
import { checkRetentionDays, DEFAULT_EVENT_RETENTION_DAYS } from "../events/retention.js";
import { type ConnectionLimits, ConnectionLimitsError, DEFAULT_CONNECTION_LIMITS, readConnectionLimits } from "../http/connection-limits.js";
import type { RunningServer } from "../http/server.js";
import { TenantLimiter, defaultTenantConcurrency, readTenantConcurrency } from "../http/tenant-limiter.js";
import { poolSizeFromEnvironment, statementTimeoutFromEnvironment } from "../store/open-store.js";
import {
  CliError,
  DATABASE_OPTION,
  HELP_OPTION,
  UsageError,
  expectPositionals,
  openMigratedStore,
  parseCommandArgs,
  resolveDatabase,
  resolveHost,
  resolvePort,
  resolvePublicUrl,
  scimBaseUrl,
  type CliContext,
  type Command,
} from "./context.js";
import { stopRequested } from "./signals.js";

const USAGE = `Usage:
  roster serve [--port N] [--host H] [--database URL|PATH] [--public-url URL] [--event-retention-days N]

Runs the SCIM server. Migrations run on start; on first start with no tenants, the tenant
"default" is created. SIGTERM or SIGINT stops accepting connections, lets in-flight
requests finish, then exits 0.

It also delivers webhooks (docs/webhooks.md). With webhooks configured it needs
ROSTER_SECRET_KEY, the key their signing secrets were encrypted with, and refuses to
start without it or with another key. ROSTER_WEBHOOK_TIMEOUT_MS, _RETRY_BASE_MS,
_MAX_ATTEMPTS, _LEASE_MS, _POLL_MS and _CONCURRENCY tune delivery (docs/operations.md).
Webhooks reach only public addresses; ROSTER_WEBHOOK_ALLOW_PRIVATE (true, or CIDR ranges
such as 10.0.0.0/8,fd00::/8) allows private, loopback and link-local ones too.

Connections (docs/operations.md): a request not received whole within
ROSTER_REQUEST_TIMEOUT_MS (default ${DEFAULT_CONNECTION_LIMITS.requestTimeoutMs}), or its headers within ROSTER_HEADERS_TIMEOUT_MS
(default ${DEFAULT_CONNECTION_LIMITS.headersTimeoutMs}), is answered 408; an idle keep-alive connection is closed after
ROSTER_KEEP_ALIVE_TIMEOUT_MS (default ${DEFAULT_CONNECTION_LIMITS.keepAliveTimeoutMs}); past ROSTER_MAX_CONNECTIONS open connections
(default ${DEFAULT_CONNECTION_LIMITS.maxConnections}) a new one is closed as it arrives.

On PostgreSQL, reads run under ROSTER_STATEMENT_TIMEOUT_MS (default 10000, 0 for none;
503 past it) and use ROSTER_DATABASE_POOL_SIZE connections (default 10). One tenant runs at
most ROSTER_TENANT_CONCURRENCY SCIM reads at once (default: pool size - 2) with up to
ROSTER_TENANT_QUEUE more waiting (default 100); past that, 429 (docs/operations.md).

Options:
  --port              port to listen on, 0 for any free port (env ROSTER_PORT, default 8080)
  --host              interface to listen on (env ROSTER_HOST, default 127.0.0.1; 0.0.0.0 for all)
  --database          database URL or SQLite path (env ROSTER_DATABASE_URL, default ./data/roster.db)
  --public-url        URL the IdP uses to reach Roster, e.g. behind a proxy or tunnel
                      (env ROSTER_PUBLIC_URL); used in printed URLs, Location and
                      meta.location. Without it, a request's Host is used only when it
                      names the listening address (a warning says so at start)
  --event-retention-days
                      change events older than this are removed, at start and hourly
                      (env ROSTER_EVENT_RETENTION_DAYS, default ${DEFAULT_EVENT_RETENTION_DAYS}; docs/events.md)
  -h, --help          show this help`;

const OPTIONS = {
  ...DATABASE_OPTION,
  ...HELP_OPTION,
  port: { type: "string" },
  host: { type: "string" },
  "public-url": { type: "string" },
  "event-retention-days": { type: "string" },
} as const;

export const serveCommand: Command = {
  name: "serve",
  summary: "run the SCIM server",
  usage: USAGE,
  async run(args, ctx) {
    const command = "roster serve";
    const { values, positionals } = parseCommandArgs(command, args, OPTIONS);
    if (values.help === true) {
      ctx.out(USAGE);
      return 0;
    }
    expectPositionals(command, positionals, []);
    const port = resolvePort(values.port, ctx);
    const host = resolveHost(values.host, ctx);
    const publicUrl = resolvePublicUrl(values["public-url"], ctx);
    const { key, settings } = webhookConfiguration(ctx.env);
    const connectionLimits = resolveConnectionLimits(ctx.env);
    const eventRetentionDays = resolveEventRetentionDays(values["event-retention-days"], ctx);
    const tenantLimiter = new TenantLimiter(readLimits(ctx.env));
    const stop = stopRequested();

    // Loaded here so that the other commands start without loading Fastify.
    const { startServer } = await import("../http/server.js");
    const store = await openMigratedStore(resolveDatabase(values.database, ctx));
    let running: RunningServer;
    let dispatcher: Dispatcher;
    try {
      await assertSecretKeyOpensWebhooks(store, key).catch((error: unknown) => {
        throw error instanceof SecretKeyError ? new CliError(`serve: ${error.message}`) : error;
      });
      const tenants = await ensureDefaultTenant(store);
      running = await startServer({
        store,
        host,
        port,
        ...(publicUrl === undefined ? {} : { publicUrl }),
        ...(key === undefined ? {} : { secretKey: key }),
        webhookDestinations: settings.destinations,
        eventRetentionDays,
        connectionLimits,
        tenantLimiter,
        log: true,
      }).catch((error: unknown) => {
        throw listenRefusal(error, host, port);
      });
      const started = startDispatcher({ store, key, settings, log: running.app.log });
      dispatcher = started;
      // Deliveries of this process's own commits go out at once; other processes' are found by polling.
      running.store.onEventsCommitted(() => started.wake());
      const baseUrl = publicUrl ?? running.url;
      ctx.out(`Roster listening on ${running.url}`);
      for (const tenant of tenants) ctx.out(`SCIM base URL for tenant "${tenant.slug}": ${scimBaseUrl(baseUrl, tenant.slug)}`);
      ctx.out(`Create a SCIM token: npx roster tokens create --tenant ${tenants[0]?.slug ?? "default"}`);
      if (publicUrl === undefined) {
        ctx.err(
          `roster: warning: no public URL is set (--public-url or ROSTER_PUBLIC_URL); Location, meta.location and $ref use a request's Host only when it names ${running.url}, and that address otherwise. Set it to the URL identity providers use to reach Roster.`,
        );
      }
    } catch (error) {
      stop.dispose();
      await store.close();
      throw error;
    }
    const signal = await stop.signal;
    ctx.err(`roster: ${signal} received; finishing in-flight requests`);
    // Deliveries in flight get a moment to finish; the rest are released for another attempt.
    await dispatcher.close();
    // Closes the store too, once the last in-flight request has finished.
    await running.close();
    stop.dispose();
    return 0;
  },
};

/** A port taken or not allowed, said as a refusal naming the address and what to do; other errors unchanged. */
function listenRefusal(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  if (code === "EADDRINUSE") return new CliError(`serve: ${address} is already in use; stop what listens there, or pick another --port (0 for any free port)`);
  if (code === "EACCES") return new CliError(`serve: not allowed to listen on ${address} (ports below 1024 need privileges); pick another --port`);
  if (code === "EADDRNOTAVAIL") return new CliError(`serve: ${host} is not an address of this machine; check --host (or ROSTER_HOST)`);
  return error;
}

/** ROSTER_SECRET_KEY and the ROSTER_WEBHOOK_* settings; a malformed one is a UsageError naming it. */
function webhookConfiguration(env: Readonly<Record<string, string | undefined>>): { key: SecretKey | undefined; settings: DispatcherSettings } {
  try {
    return { key: readSecretKey(env), settings: readDispatcherSettings(env) };
  } catch (error) {
    if (error instanceof SecretKeyError || error instanceof DispatcherSettingsError) throw new UsageError(`serve: ${error.message}`);
    throw error;
  }
}

/** ROSTER_REQUEST_TIMEOUT_MS, ROSTER_HEADERS_TIMEOUT_MS, ROSTER_KEEP_ALIVE_TIMEOUT_MS and ROSTER_MAX_CONNECTIONS; a malformed one is a UsageError naming it. */
function resolveConnectionLimits(env: Readonly<Record<string, string | undefined>>): ConnectionLimits {
  try {
    return readConnectionLimits(env);
  } catch (error) {
    if (error instanceof ConnectionLimitsError) throw new UsageError(`serve: ${error.message}`);
    throw error;
  }
}

/** The per-tenant read limits (ROSTER_TENANT_CONCURRENCY, ROSTER_TENANT_QUEUE), and ROSTER_STATEMENT_TIMEOUT_MS checked before the store opens. */
function readLimits(env: Readonly<Record<string, string | undefined>>) {
  try {
    statementTimeoutFromEnvironment(env);
    return readTenantConcurrency(env, defaultTenantConcurrency(poolSizeFromEnvironment(env)));
  } catch (error) {
    throw new UsageError(`serve: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `--event-retention-days`, else ROSTER_EVENT_RETENTION_DAYS, else 30. */
function resolveEventRetentionDays(flag: string | undefined, ctx: CliContext): number {
  const env = ctx.env["ROSTER_EVENT_RETENTION_DAYS"];
  const [text, source] = flag !== undefined ? [flag, "--event-retention-days"] : env !== undefined && env !== "" ? [env, "ROSTER_EVENT_RETENTION_DAYS"] : [undefined, ""];
  if (text === undefined) return DEFAULT_EVENT_RETENTION_DAYS;
  const checked = checkRetentionDays(text, source);
  if (!checked.ok) throw new UsageError(checked.reason);
  return checked.days;
}
