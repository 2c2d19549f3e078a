import { AppError } from "../directory/app-errors.js";
import { CLI_ACTOR } from "../directory/audit.js";
import { getTenantBySlug } from "../directory/tenants.js";
import { parseEventPatterns } from "../events/patterns.js";
import { type DestinationPolicy, DestinationPolicyError, readDestinationPolicy } from "../events/destinations.js";
import { requireSecretKey, type SecretKey, SecretKeyError } from "../events/secret-box.js";
import {
  assertSecretKeyOpensWebhooks,
  createWebhook,
  type DeliveryView,
  deleteWebhook,
  listWebhookDeliveries,
  listWebhooks,
  MAX_REPLAY_DELIVERIES,
  parseDeliveryStatus,
  parseReplaySince,
  parseWebhookUrl,
  replayWebhook,
  setWebhookEnabled,
} from "../events/webhooks.js";
import {
  CliError,
  DATABASE_OPTION,
  HELP_OPTION,
  JSON_OPTION,
  UsageError,
  expectPositionals,
  formatTable,
  label,
  parseCommandArgs,
  requireOption,
  resolveDatabase,
  subcommandError,
  withStore,
  type CliContext,
  type Command,
} from "./context.js";

const DEFAULT_DELIVERY_LIMIT = 50;
const MAX_DELIVERY_LIMIT = 1000;

const USAGE = `Usage:
  roster webhooks create --tenant <slug> --url <URL> [--events user.*,group.*] [--json]
  roster webhooks list --tenant <slug> [--json]
  roster webhooks disable <id> [--json]
  roster webhooks enable <id> [--json]
  roster webhooks delete <id> [--json]
  roster webhooks deliveries <id> [--status pending|succeeded|failed] [--limit N] [--json]
  roster webhooks replay <id> --since <cursor|time> [--json]

Signed webhooks of a tenant's change events (docs/webhooks.md). "roster serve" delivers them.
A webhook's signing secret (whsec_…) is printed once, when created; Roster keeps it encrypted
with ROSTER_SECRET_KEY, which "create" and "roster serve" need (make one with:
openssl rand -base64 32). With --json, the last line "create" prints is
{"id", "secret", "tenant", "url", "events"}.
The URL must use https, except to localhost, *.localhost, 127.0.0.0/8 and ::1. It must
reach a public address: private, loopback, link-local and cloud metadata destinations are
refused unless ROSTER_WEBHOOK_ALLOW_PRIVATE allows them (true, or CIDR ranges such as
10.0.0.0/8,fd00::/8); roster serve reads the same variable and checks the addresses each
delivery's host resolves to. --events takes patterns
separated by commas: *, user.*, group.*, role.* or event types such as group.member_added
(default *). A disabled webhook receives nothing; events of that time can be replayed.
"replay" sends again the events after a feed cursor, or since an ISO 8601 time, that the
webhook subscribes to: at most ${MAX_REPLAY_DELIVERIES} deliveries per call, and one replay
per webhook pending at a time.

Options:
  --tenant            tenant slug
  --url               the receiver's URL
  --events            event type patterns separated by commas (default *)
  --status            only deliveries with this status
  --limit             how many deliveries, newest first, 1-${MAX_DELIVERY_LIMIT} (default ${DEFAULT_DELIVERY_LIMIT})
  --since             a feed cursor (e.g. 1042: events after it) or an ISO 8601 time (events at or after it)
  --json              print JSON instead of text
  --database          database URL or SQLite path (env ROSTER_DATABASE_URL, default ./data/roster.db)
  -h, --help          show this help`;

const BASE_OPTIONS = { ...DATABASE_OPTION, ...HELP_OPTION, ...JSON_OPTION } as const;
const CREATE_OPTIONS = { ...BASE_OPTIONS, tenant: { type: "string" }, url: { type: "string" }, events: { type: "string" } } as const;
const LIST_OPTIONS = { ...BASE_OPTIONS, tenant: { type: "string" } } as const;
const DELIVERIES_OPTIONS = { ...BASE_OPTIONS, status: { type: "string" }, limit: { type: "string" } } as const;
const REPLAY_OPTIONS = { ...BASE_OPTIONS, since: { type: "string" } } as const;

const SUBCOMMANDS = ["create", "list", "disable", "enable", "delete", "deliveries", "replay"] as const;

export const webhooksCommand: Command = {
  name: "webhooks",
  summary: "create, list, disable, enable and delete webhooks; show and replay deliveries",
  usage: USAGE,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === "--help" || sub === "-h") return help(ctx);
    switch (sub) {
      case "create":
        return create(rest, ctx);
      case "list":
        return list(rest, ctx);
      case "disable":
      case "enable":
        return toggle(sub, rest, ctx);
      case "delete":
        return remove(rest, ctx);
      case "deliveries":
        return deliveries(rest, ctx);
      case "replay":
        return replay(rest, ctx);
      default:
        throw subcommandError("webhooks", args, SUBCOMMANDS, SUBCOMMANDS.join(", "));
    }
  },
};

/**
 * Runs a use case, turning its refusals into one-line CLI errors. `"input"` checks only what
 * was typed: its "invalidRequest" is a bad command line (exit 2). `"store"` (the default)
 * runs against the database: everything it refuses depends on what is stored, such as a
 * well-formed cursor past the tenant's last event, and exits 1.
 */
async function refusals<T>(command: string, fn: () => Promise<T>, checks: "input" | "store" = "store"): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof AppError) {
      const badInput = checks === "input" && error.code === "invalidRequest";
      throw badInput ? new UsageError(`${label(command)}: ${error.message}`) : new CliError(`${label(command)}: ${error.message}`);
    }
    if (error instanceof SecretKeyError) throw new CliError(`${label(command)}: ${error.message}`);
    throw error;
  }
}

async function create(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster webhooks create";
  const { values, positionals } = parseCommandArgs(command, args, CREATE_OPTIONS);
  if (values.help === true) return help(ctx);
  expectPositionals(command, positionals, []);
  const slug = requireOption(command, "tenant", values.tenant);
  const destinations = destinationPolicyFor(command, ctx);
  const url = await refusals(command, async () => parseWebhookUrl(requireOption(command, "url", values.url), destinations, "--url"), "input");
  const events = values.events === undefined ? undefined : parseEventsOption(command, values.events);
  const key = secretKeyFor(command, ctx);
  const created = await withStore(resolveDatabase(values.database, ctx), (store) =>
    refusals(command, async () => {
      await assertSecretKeyOpensWebhooks(store, key);
      return createWebhook(store, await getTenantBySlug(store, slug), CLI_ACTOR, { url, ...(events === undefined ? {} : { events }) }, key, destinations);
    }),
  );
  if (values.json === true) {
    ctx.out(JSON.stringify({ id: created.id, secret: created.secret, tenant: slug, url: created.url, events: created.events }));
    return 0;
  }
  ctx.out(`Created webhook ${created.id} for tenant "${slug}": POST ${created.url} on ${created.events.join(", ")}.`);
  ctx.out("Its signing secret is shown only this once:");
  ctx.out("");
  ctx.out(`  ${created.secret}`);
  ctx.out("");
  ctx.out("Receivers verify each delivery with it (Standard Webhooks headers; see docs/webhooks.md).");
  ctx.out("Running servers deliver to it from their next poll, without a restart; a `roster serve` started without ROSTER_SECRET_KEY sends nothing until it is restarted with this key.");
  return 0;
}

/** ROSTER_SECRET_KEY: missing is a refusal (exit 1), malformed a bad configuration value like a malformed ROSTER_PORT (exit 2). */
function secretKeyFor(command: string, ctx: CliContext): SecretKey {
  try {
    return requireSecretKey(ctx.env, "webhook signing secrets are encrypted with it, and roster serve needs the same key");
  } catch (error) {
    if (!(error instanceof SecretKeyError)) throw error;
    const message = `${label(command)}: ${error.message}`;
    throw ctx.env["ROSTER_SECRET_KEY"]?.trim() ? new UsageError(message) : new CliError(message);
  }
}

/** ROSTER_WEBHOOK_ALLOW_PRIVATE, as `roster serve` reads it; malformed is a bad configuration value (exit 2). */
function destinationPolicyFor(command: string, ctx: CliContext): DestinationPolicy {
  try {
    return readDestinationPolicy(ctx.env);
  } catch (error) {
    throw error instanceof DestinationPolicyError ? new UsageError(`${label(command)}: ${error.message}`) : error;
  }
}

function parseEventsOption(command: string, text: string): readonly string[] {
  const result = parseEventPatterns(
    text.split(",").map((pattern) => pattern.trim()),
    "--events",
  );
  if (!result.ok) throw new UsageError(`${label(command)}: ${result.issue}`);
  return result.value;
}

async function list(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster webhooks list";
  const { values, positionals } = parseCommandArgs(command, args, LIST_OPTIONS);
  if (values.help === true) return help(ctx);
  expectPositionals(command, positionals, []);
  const slug = requireOption(command, "tenant", values.tenant);
  const webhooks = await withStore(resolveDatabase(values.database, ctx), async (store) => listWebhooks(store, await getTenantBySlug(store, slug)));
  if (values.json === true) {
    ctx.out(JSON.stringify(webhooks));
  } else if (webhooks.length === 0) {
    ctx.out(`Tenant "${slug}" has no webhooks. Create one: npx roster webhooks create --tenant ${slug} --url https://…`);
  } else {
    const rows = webhooks.map((w) => [w.id, w.url, w.events.join(","), w.enabled ? "enabled" : "disabled", w.createdAt]);
    for (const line of formatTable([["ID", "URL", "EVENTS", "STATUS", "CREATED"], ...rows])) ctx.out(line);
  }
  return 0;
}

async function toggle(sub: "disable" | "enable", args: readonly string[], ctx: CliContext): Promise<number> {
  const command = `roster webhooks ${sub}`;
  const { values, positionals } = parseCommandArgs(command, args, BASE_OPTIONS);
  if (values.help === true) return help(ctx);
  const [id = ""] = expectPositionals(command, positionals, ["id"]);
  const webhook = await withStore(resolveDatabase(values.database, ctx), (store) =>
    refusals(command, () => setWebhookEnabled(store, undefined, CLI_ACTOR, id, sub === "enable")),
  );
  if (values.json === true) ctx.out(JSON.stringify(webhook));
  else if (sub === "enable") ctx.out(`Enabled webhook ${id}: it receives the events from now on.`);
  else ctx.out(`Disabled webhook ${id}: it receives nothing until enabled; replay what it missed with: roster webhooks replay ${id} --since <time>`);
  return 0;
}

async function remove(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster webhooks delete";
  const { values, positionals } = parseCommandArgs(command, args, BASE_OPTIONS);
  if (values.help === true) return help(ctx);
  const [id = ""] = expectPositionals(command, positionals, ["id"]);
  await withStore(resolveDatabase(values.database, ctx), (store) => refusals(command, () => deleteWebhook(store, undefined, CLI_ACTOR, id)));
  ctx.out(values.json === true ? JSON.stringify({ id, deleted: true }) : `Deleted webhook ${id} and its deliveries.`);
  return 0;
}

async function deliveries(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster webhooks deliveries";
  const { values, positionals } = parseCommandArgs(command, args, DELIVERIES_OPTIONS);
  if (values.help === true) return help(ctx);
  const [id = ""] = expectPositionals(command, positionals, ["id"]);
  const status = await refusals(command, async () => parseDeliveryStatus(values.status, "--status"), "input");
  const limit = parseLimit(command, values.limit);
  const page = await withStore(resolveDatabase(values.database, ctx), (store) =>
    refusals(command, () => listWebhookDeliveries(store, undefined, id, { limit, ...(status === undefined ? {} : { status }) })),
  );
  if (values.json === true) {
    ctx.out(JSON.stringify(page.data));
  } else if (page.data.length === 0) {
    ctx.out(`Webhook ${id} has no ${status === undefined ? "" : `${status} `}deliveries.`);
  } else {
    const header = ["CREATED", "EVENT", "SEQUENCE", "RESOURCE", "STATUS", "ATTEMPTS", "LAST RESULT", "NEXT ATTEMPT"];
    for (const line of formatTable([header, ...page.data.map(deliveryRow)])) ctx.out(line);
  }
  return 0;
}

function deliveryRow(delivery: DeliveryView): string[] {
  const last = delivery.lastError ?? (delivery.lastStatus === null ? "-" : `HTTP ${delivery.lastStatus}`);
  return [
    delivery.createdAt,
    delivery.eventType,
    String(delivery.eventSequence),
    `${delivery.resource.type} ${delivery.resource.id}`,
    delivery.status,
    String(delivery.attempts),
    last,
    delivery.nextAttemptAt ?? "-",
  ];
}

function parseLimit(command: string, text: string | undefined): number {
  if (text === undefined) return DEFAULT_DELIVERY_LIMIT;
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1 || Number(text) > MAX_DELIVERY_LIMIT) {
    throw new UsageError(`${label(command)}: --limit ${JSON.stringify(text)} is not an integer from 1 to ${MAX_DELIVERY_LIMIT}`);
  }
  return Number(text);
}

async function replay(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster webhooks replay";
  const { values, positionals } = parseCommandArgs(command, args, REPLAY_OPTIONS);
  if (values.help === true) return help(ctx);
  const [id = ""] = expectPositionals(command, positionals, ["id"]);
  const since = requireOption(command, "since", values.since);
  await refusals(command, async () => parseReplaySince(since, "--since"), "input");
  const result = await withStore(resolveDatabase(values.database, ctx), (store) => refusals(command, () => replayWebhook(store, undefined, CLI_ACTOR, id, since, "--since")));
  if (values.json === true) {
    ctx.out(JSON.stringify({ id, deliveries: result.deliveries, after: String(result.after), through: String(result.through), complete: result.complete }));
  } else {
    const what = result.deliveries === 1 ? "1 delivery" : `${result.deliveries} deliveries`;
    ctx.out(`Queued ${what} of the events after cursor ${result.after} for webhook ${id}; roster serve sends them.`);
    if (!result.complete) {
      ctx.out(
        `That is the most one replay makes (${MAX_REPLAY_DELIVERIES}): it stopped at cursor ${result.through}. Once they are sent, continue with: roster webhooks replay ${id} --since ${result.through}`,
      );
    }
  }
  return 0;
}

function help(ctx: CliContext): number {
  ctx.out(USAGE);
  return 0;
}
