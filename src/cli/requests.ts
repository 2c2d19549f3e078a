import { latestRequests } from "../directory/request-log.js";
import { getTenantBySlug } from "../directory/tenants.js";
import type { RequestLogEntry } from "../store/store.js";
import {
  DATABASE_OPTION,
  HELP_OPTION,
  JSON_OPTION,
  UsageError,
  expectPositionals,
  formatTable,
  parseCommandArgs,
  requireOption,
  resolveDatabase,
  withStore,
  type Command,
} from "./context.js";

export const DEFAULT_REQUEST_LIMIT = 20;
const MAX_REQUEST_LIMIT = 1000;

const USAGE = `Usage:
  roster requests --tenant <slug> [--limit N] [--json] [--database URL|PATH]

The tenant's latest SCIM requests, newest first: time, method, path, status, duration,
SCIM error type and detail, user agent. Use it to see what the IdP sent and what it got.
Requests answered without a valid token (401) are kept apart, only the newest of them; how
many older ones were not kept is printed after the list (on standard error with --json).

Options:
  --tenant            tenant slug
  --limit             how many entries, 1-${MAX_REQUEST_LIMIT} (default ${DEFAULT_REQUEST_LIMIT})
  --json              print a JSON array of entries (request bodies included, secrets removed)
  --database          database URL or SQLite path (env ROSTER_DATABASE_URL, default ./data/roster.db)
  -h, --help          show this help`;

const OPTIONS = { ...DATABASE_OPTION, ...HELP_OPTION, ...JSON_OPTION, tenant: { type: "string" }, limit: { type: "string" } } as const;

export const requestsCommand: Command = {
  name: "requests",
  summary: "show a tenant's latest SCIM requests",
  usage: USAGE,
  async run(args, ctx) {
    const command = "roster requests";
    const { values, positionals } = parseCommandArgs(command, args, OPTIONS);
    if (values.help === true) {
      ctx.out(USAGE);
      return 0;
    }
    expectPositionals(command, positionals, []);
    const slug = requireOption(command, "tenant", values.tenant);
    const limit = parseLimit(values.limit);
    const { entries, dropped } = await withStore(resolveDatabase(values.database, ctx), async (store) => {
      const latest = await latestRequests({ store, tenant: await getTenantBySlug(store, slug) }, limit);
      // The log's position is the API's cursor, not part of an entry.
      return { dropped: latest.dropped, entries: latest.entries.map(({ seq: _seq, ...entry }): RequestLogEntry => entry) };
    });
    if (values.json === true) {
      ctx.out(JSON.stringify(entries));
    } else if (entries.length === 0) {
      ctx.out(`No requests logged for tenant "${slug}" yet.`);
    } else {
      const header = ["TIME", "METHOD", "PATH", "STATUS", "DURATION", "ERROR", "USER AGENT"];
      for (const line of formatTable([header, ...entries.map(row)])) ctx.out(line);
    }
    // The stdout of --json stays one JSON array; the count goes beside it.
    if (dropped > 0) (values.json === true ? ctx.err : ctx.out)(droppedNote(dropped));
    return 0;
  },
};

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_REQUEST_LIMIT;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_REQUEST_LIMIT) {
    throw new UsageError(`requests: --limit ${JSON.stringify(text)} is not an integer from 1 to ${MAX_REQUEST_LIMIT}`);
  }
  return Number(text);
}

/** ADR 0029: unauthenticated requests have an allowance of their own; older ones are counted, not kept. */
function droppedNote(dropped: number): string {
  return `${dropped} older unauthenticated request${dropped === 1 ? " was" : "s were"} not kept (the log keeps only the newest of them apart from authenticated requests)`;
}

function row(entry: RequestLogEntry): string[] {
  const error = [entry.scimType, entry.errorDetail, ...(entry.notes ?? [])].filter((part) => part !== null).join(": ");
  return [
    entry.at,
    entry.method,
    entry.path,
    String(entry.status),
    `${Math.round(entry.durationMs)}ms`,
    oneLine(error === "" ? "-" : error),
    oneLine(entry.userAgent ?? "-"),
  ];
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ");
}
