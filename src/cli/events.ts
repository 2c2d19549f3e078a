import { AppError } from "../directory/app-errors.js";
import { APP_DEFAULT_LIMIT, APP_MAX_LIMIT } from "../directory/app-paging.js";
import { getTenantBySlug } from "../directory/tenants.js";
import type { FeedEvent } from "../events/event-types.js";
import { parseFeedCursor, readEventFeed } from "../events/feed.js";
import type { Store, Tenant } from "../store/store.js";
import {
  CliError,
  DATABASE_OPTION,
  HELP_OPTION,
  JSON_OPTION,
  UsageError,
  expectPositionals,
  parseCommandArgs,
  requireOption,
  resolveDatabase,
  withStore,
  type CliContext,
  type Command,
} from "./context.js";
import { stopRequested } from "./signals.js";

const FOLLOW_INTERVAL_MS = 1000;

const USAGE = `Usage:
  roster events --tenant <slug> [--after CURSOR] [--limit N] [--follow] [--json] [--database URL|PATH]

The tenant's change events in commit order (docs/events.md): the feed the management API
serves at GET /api/v1/tenants/<slug>/events. Without --after, from the oldest event kept
(ROSTER_EVENT_RETENTION_DAYS). In text form, the last line says how to continue.

Options:
  --tenant            tenant slug
  --after             only the events after this cursor (a nextCursor, or an event's sequence)
  --limit             at most this many events, 1-${APP_MAX_LIMIT} (default ${APP_DEFAULT_LIMIT}); with --follow, per check
  --follow            keep printing new events, checking about once a second, until SIGINT or SIGTERM
  --json              one event per line (NDJSON), exactly as the feed lists them
  --database          database URL or SQLite path (env ROSTER_DATABASE_URL, default ./data/roster.db)
  -h, --help          show this help`;

const OPTIONS = {
  ...DATABASE_OPTION,
  ...HELP_OPTION,
  ...JSON_OPTION,
  tenant: { type: "string" },
  after: { type: "string" },
  limit: { type: "string" },
  follow: { type: "boolean" },
} as const;

export const eventsCommand: Command = {
  name: "events",
  summary: "print (or follow) a tenant's change events",
  usage: USAGE,
  async run(args, ctx) {
    const command = "roster events";
    const { values, positionals } = parseCommandArgs(command, args, OPTIONS);
    if (values.help === true) {
      ctx.out(USAGE);
      return 0;
    }
    expectPositionals(command, positionals, []);
    const slug = requireOption(command, "tenant", values.tenant);
    const limit = parseLimit(values.limit);
    const after = values.after === undefined ? undefined : parseAfter(values.after);
    const json = values.json === true;
    return withStore(resolveDatabase(values.database, ctx), async (store) => {
      const tenant = await getTenantBySlug(store, slug);
      if (values.follow === true) return follow(store, tenant, after, limit, json, ctx);
      const page = await read(store, tenant, after, limit);
      if (json) {
        for (const event of page.data) ctx.out(JSON.stringify(event));
      } else if (page.data.length === 0) {
        ctx.out(after === undefined ? `No events for tenant "${slug}" yet.` : `No events after ${after} for tenant "${slug}" yet.`);
      } else {
        ctx.out(HEADER);
        for (const event of page.data) ctx.out(line(event));
        ctx.out(`Continue with: roster events --tenant ${slug} --after ${page.nextCursor}`);
      }
      return 0;
    });
  },
};

/** Prints pages as they come, from `after`, until a stop signal; a full page is followed at once by the next. */
async function follow(store: Store, tenant: Tenant, after: number | undefined, limit: number, json: boolean, ctx: CliContext): Promise<number> {
  const stop = stopRequested();
  let stopped = false;
  void stop.signal.then(() => (stopped = true));
  try {
    if (!json) ctx.out(HEADER);
    let cursor = after;
    while (!stopped) {
      const page = await read(store, tenant, cursor, limit);
      for (const event of page.data) ctx.out(json ? JSON.stringify(event) : line(event));
      cursor = Number(page.nextCursor);
      if (page.data.length < limit) await Promise.race([stop.signal, new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS))]);
    }
    return 0;
  } finally {
    stop.dispose();
  }
}

async function read(store: Store, tenant: Tenant, after: number | undefined, limit: number) {
  try {
    return await readEventFeed(store, tenant.id, { ...(after === undefined ? {} : { after }), limit });
  } catch (error) {
    if (error instanceof AppError) throw new CliError(`events: ${error.message}`);
    throw error;
  }
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return APP_DEFAULT_LIMIT;
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1 || Number(text) > APP_MAX_LIMIT) {
    throw new UsageError(`events: --limit ${JSON.stringify(text)} is not an integer from 1 to ${APP_MAX_LIMIT}`);
  }
  return Number(text);
}

function parseAfter(text: string): number {
  try {
    return parseFeedCursor(text, "--after");
  } catch (error) {
    if (error instanceof AppError) throw new UsageError(`events: ${error.message}`);
    throw error;
  }
}

const COLUMNS = [8, 24, 20, 42] as const;
const HEADER = columns(["SEQUENCE", "OCCURRED AT", "TYPE", "RESOURCE", "SUMMARY"]);

function columns(cells: readonly string[]): string {
  return cells.map((cell, i) => (i < COLUMNS.length ? cell.padEnd(COLUMNS[i] ?? 0) : cell)).join("  ").trimEnd();
}

/** One event on one line: where it is in the feed, when, what, about what, and a short summary. */
function line(event: FeedEvent): string {
  return columns([String(event.sequence), event.occurredAt, event.type, `${event.resource.type} ${event.resource.id}`, summary(event)]);
}

function summary(event: FeedEvent): string {
  const changed = (previous: object) => ` (changed: ${Object.keys(previous).join(", ")})`;
  switch (event.type) {
    case "user.created":
    case "user.deleted":
      return event.data.user.userName;
    case "user.updated":
    case "user.deactivated":
    case "user.reactivated":
      return `${event.data.user.userName}${changed(event.data.previous)}`;
    case "group.created":
    case "group.deleted":
      return event.data.group.displayName;
    case "group.updated":
      return `${event.data.group.displayName}${changed(event.data.previous)}`;
    case "group.member_added":
    case "group.member_removed": {
      const names = event.data.members.slice(0, 3).map((member) => member.display ?? member.id);
      const more = event.data.members.length > 3 ? ` and ${event.data.members.length - 3} more` : "";
      return `${event.data.group.displayName}: ${event.type === "group.member_added" ? "+" : "-"} ${names.join(", ")}${more}`;
    }
    case "role.granted":
    case "role.revoked":
      return `${event.data.user.userName}: ${event.type === "role.granted" ? "+" : "-"} ${event.data.role}`;
    default: {
      const exhaustive: never = event;
      throw new Error(`unhandled event ${JSON.stringify(exhaustive)}`);
    }
  }
}
