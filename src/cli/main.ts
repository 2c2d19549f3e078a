import { readFileSync } from "node:fs";
import { apiKeysCommand } from "./api-keys.js";
import { UsageError, formatTable, nearest, type CliContext, type Command } from "./context.js";
import { eventsCommand } from "./events.js";
import { migrateCommand } from "./migrate.js";
import { requestsCommand } from "./requests.js";
import { serveCommand } from "./serve.js";
import { tenantsCommand } from "./tenants.js";
import { tokensCommand } from "./tokens.js";
import { webhooksCommand } from "./webhooks.js";

export const COMMANDS: readonly Command[] = [serveCommand, tenantsCommand, tokensCommand, apiKeysCommand, webhooksCommand, requestsCommand, eventsCommand, migrateCommand];

export function usage(): string {
  const rows = COMMANDS.map((command) => [`  ${command.name}`, command.summary]);
  return [
    "Usage: roster <command> [options]",
    "",
    "Roster is a SCIM 2.0 provisioning server.",
    "",
    "Commands:",
    ...formatTable(rows),
    "",
    'Every command accepts --database URL|PATH (env ROSTER_DATABASE_URL) and --help.',
    "Run `roster <command> --help` (or `roster help <command>`) for its options, `roster --version` for the version.",
  ].join("\n");
}

/** The version of the package this build came from (package.json, two folders up from dist/cli/ and src/cli/). */
export function version(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  if (typeof manifest.version !== "string") throw new Error("package.json has no version");
  return manifest.version;
}

const PROCESS_CONTEXT: CliContext = {
  env: process.env,
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Runs `roster <argv…>` and returns its exit status (README, docs/operations.md): 0 on
 * success, 1 when the request was refused by what is stored or reachable (unknown tenant,
 * slug taken, database missing or unreachable: CliError and any other error), 2 for a bad
 * command line (UsageError). Every refusal is one line on stderr, with one "roster: ".
 */
export async function main(argv: readonly string[], ctx: CliContext = PROCESS_CONTEXT): Promise<number> {
  try {
    return await dispatch(argv, ctx);
  } catch (error) {
    ctx.err(`roster: ${firstLine(error)}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

async function dispatch(argv: readonly string[], ctx: CliContext): Promise<number> {
  const [name, ...args] = argv;
  if (name === "help" && args.length > 0) {
    // `roster help tokens` is `roster tokens --help`.
    const [topic, ...extra] = args;
    if (extra.length > 0) throw new UsageError(`help: unexpected argument ${JSON.stringify(extra[0])}; expected one command (see: roster --help)`);
    ctx.out(findCommand(topic ?? "").usage);
    return 0;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    ctx.out(usage());
    return 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    ctx.out(version());
    return 0;
  }
  if (name === undefined) throw new UsageError("missing command; expected one of " + names() + " (see: roster --help)");
  return findCommand(name).run(args, ctx);
}

/** The command called `name`, else a UsageError naming the nearest command (or option) when it looks like a typo. */
function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (command !== undefined) return command;
  const isOption = name.startsWith("-");
  const what = isOption ? `unknown option ${JSON.stringify(name)}` : `unknown command ${JSON.stringify(name)}`;
  const suggestion = isOption ? nearest(name, ["--help", "--version"]) : nearest(name, [...COMMANDS.map((c) => c.name), "help", "version"]);
  const hint = suggestion === undefined ? `expected one of ${names()}` : `did you mean ${JSON.stringify(suggestion)}?`;
  throw new UsageError(`${what}; ${hint} (see: roster --help)`);
}

function names(): string {
  return COMMANDS.map((c) => c.name).join(", ");
}

/** The message's first line (main adds the one "roster: "; messages never start with their own). */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]?.trim() || "unexpected error";
}
