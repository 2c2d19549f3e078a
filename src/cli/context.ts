import { existsSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { recordEvents, type RecordingStore } from "../events/record-events.js";
import { openStore, sqlitePath } from "../store/open-store.js";
import type { Store } from "../store/store.js";

/** What a command may touch: its arguments, the environment and two output streams. */
export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** A refusal caused by the command line; printed as one line, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A refusal the user can act on (unknown tenant, slug taken…); printed as one line, exit status 1. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

export const DEFAULT_DATABASE = "./data/roster.db";
export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = "127.0.0.1";

export const DATABASE_OPTION = { database: { type: "string" } } as const;
export const HELP_OPTION = { help: { type: "boolean", short: "h" } } as const;
export const JSON_OPTION = { json: { type: "boolean" } } as const;

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * node:util parseArgs in strict mode, its errors turned into one-line UsageErrors naming the
 * command; an unknown option names the nearest known one when it looks like a typo.
 */
export function parseCommandArgs<O extends Options>(command: string, args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    const unknown = unknownOption(error, args, options);
    if (unknown !== undefined) {
      const hint = unknown.suggestion === undefined ? "" : `; did you mean '${unknown.suggestion}'?`;
      throw new UsageError(`${label(command)}: unknown option '${unknown.typed}'${hint} (see: ${command} --help)`);
    }
    const message = error instanceof Error ? (error.message.split(/\. |\n/)[0] ?? error.message) : String(error);
    const sentence = message.replace(/\.$/, "");
    throw new UsageError(`${label(command)}: ${sentence.charAt(0).toLowerCase()}${sentence.slice(1)} (see: ${command} --help)`);
  }
}

/**
 * The unknown option parseArgs refused, as typed, and the known option nearest to it:
 * "--tenantt" → "--tenant"; "-tenant" (which parseArgs reads as the short options -t -e -n…,
 * refusing "-t") → "--tenant". Undefined for any other parse error.
 */
function unknownOption(error: unknown, args: readonly string[], options: Options): { typed: string; suggestion: string | undefined } | undefined {
  if ((error as { code?: unknown } | null)?.code !== "ERR_PARSE_ARGS_UNKNOWN_OPTION") return undefined;
  const refused = /'(-[^']*)'/.exec(error instanceof Error ? error.message : "")?.[1];
  if (refused === undefined) return undefined;
  const known = Object.keys(options).map((name) => `--${name}`);
  const singleDash = refused.startsWith("--") ? undefined : args.find((arg) => /^-[^-]{2,}/.test(arg) && (arg.split("=")[0] ?? arg).includes(refused.slice(1)));
  const typed = singleDash === undefined ? refused : (singleDash.split("=")[0] ?? singleDash);
  const suggestion = typed.startsWith("--") ? nearest(typed, known) : singleDash === undefined ? undefined : nearest(`-${typed}`, known);
  return { typed, suggestion };
}

/**
 * The candidate a mistyped `input` most likely meant: the nearest by edit distance
 * (insertions, deletions, substitutions and swaps of neighbours), if it is within a third
 * of the input's length (at least 1, at most 3), else the only candidate that starts with
 * the input; undefined when nothing is close or two candidates are equally close.
 */
export function nearest(input: string, candidates: readonly string[]): string | undefined {
  const typed = input.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.floor(typed.replace(/^-+/, "").length / 3)));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  let tied = false;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance, tied] = [candidate, distance, false];
    else if (distance === bestDistance) tied = true;
  }
  if (best !== undefined && bestDistance <= limit && !tied) return best;
  const prefixed = candidates.filter((candidate) => typed.replace(/^-+/, "").length >= 2 && candidate.toLowerCase().startsWith(typed));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** Optimal string alignment distance: Levenshtein plus the swap of two neighbouring characters. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i] as number[];
      const above = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((above[j] as number) + 1, (row[j - 1] as number) + 1, (above[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((rows[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (rows[a.length] as number[])[b.length] as number;
}

/**
 * The UsageError for a missing or unknown subcommand of `command` ("tokens"), given the
 * command's arguments: an unknown one close to a known one is answered with it ("did you
 * mean"); options before the subcommand ("tokens --tenant acme list") with the order that
 * works; anything else with `expected`.
 */
export function subcommandError(command: string, args: readonly string[], subcommands: readonly string[], expected: string): UsageError {
  const [sub] = args;
  const see = `(see: roster ${command} --help)`;
  if (sub === undefined) return new UsageError(`${command}: missing subcommand; expected ${expected} ${see}`);
  if (sub.startsWith("-")) {
    // The options are not repeated: one may be a secret (tokens --secret …).
    const later = args.find((arg) => subcommands.includes(arg));
    const hint = later === undefined ? `expected ${expected}` : `did you mean "roster ${command} ${later} …"?`;
    return new UsageError(`${command}: the subcommand comes first, before ${JSON.stringify(sub)}; ${hint} ${see}`);
  }
  const suggestion = nearest(sub, subcommands);
  const hint = suggestion === undefined ? `expected ${expected}` : `did you mean ${JSON.stringify(suggestion)}?`;
  return new UsageError(`${command}: unknown subcommand ${JSON.stringify(sub)}; ${hint} ${see}`);
}

/** "roster tokens create" → "tokens create": main prefixes every message with "roster: ". */
export function label(command: string): string {
  return command.replace(/^roster /, "");
}

/** Exactly `count` positionals, or a UsageError naming what is missing or extra. */
export function expectPositionals(command: string, positionals: readonly string[], names: readonly string[]): string[] {
  if (positionals.length < names.length) {
    throw new UsageError(`${label(command)}: missing <${names[positionals.length] ?? "argument"}> (see: ${command} --help)`);
  }
  if (positionals.length > names.length) {
    throw new UsageError(`${label(command)}: unexpected argument ${JSON.stringify(positionals[names.length])} (see: ${command} --help)`);
  }
  return [...positionals];
}

export function requireOption(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value === "") throw new UsageError(`${label(command)}: --${name} is required (see: ${command} --help)`);
  return value;
}

/**
 * `--database`, else ROSTER_DATABASE_URL, else ./data/roster.db. An empty `--database`, or a
 * URL of another scheme than postgres(ql):, file: or sqlite:, is a UsageError (a SQLite path
 * "mysql://…" would otherwise create folders named like the URL).
 */
export function resolveDatabase(flag: string | undefined, ctx: CliContext): string {
  if (flag === "") throw new UsageError("--database is empty; give a SQLite file path or a postgres:// URL");
  const env = nonEmpty(ctx.env["ROSTER_DATABASE_URL"]);
  const database = flag ?? env ?? DEFAULT_DATABASE;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(database)?.[1];
  if (scheme !== undefined && !/^(postgres|postgresql|file|sqlite)$/i.test(scheme)) {
    const source = flag === undefined ? "ROSTER_DATABASE_URL" : "--database";
    throw new UsageError(`${source} ${JSON.stringify(describeDatabase(database))} has the unsupported scheme "${scheme}:"; give a SQLite file path, a file: URL or a postgres:// URL`);
  }
  return database;
}

/**
 * Refuses (CliError, exit 1) a SQLite file that does not exist: a command that reads or
 * changes what is stored must not leave an empty database behind a mistyped path.
 */
export function assertDatabaseExists(database: string): void {
  const path = sqlitePath(database);
  if (path === undefined || path === ":memory:" || path === "" || existsSync(path)) return;
  throw new CliError(
    `database ${JSON.stringify(path)} does not exist; check --database or ROSTER_DATABASE_URL ("roster migrate" or "roster serve" creates a new one)`,
  );
}

/** An integer 0–65535 (0 lets the system pick a free port). */
export function parsePort(text: string, source: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new UsageError(`${source} ${JSON.stringify(text)} is not a port; expected an integer from 0 to 65535`);
  }
  return Number(text);
}

export function resolvePort(flag: string | undefined, ctx: CliContext): number {
  if (flag !== undefined) return parsePort(flag, "--port");
  const env = nonEmpty(ctx.env["ROSTER_PORT"]);
  return env === undefined ? DEFAULT_PORT : parsePort(env, "ROSTER_PORT");
}

export function resolveHost(flag: string | undefined, ctx: CliContext): string {
  const host = flag ?? nonEmpty(ctx.env["ROSTER_HOST"]) ?? DEFAULT_HOST;
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) {
    throw new UsageError(`${flag === undefined ? "ROSTER_HOST" : "--host"} ${JSON.stringify(host)} is not a host name or IP address`);
  }
  return host;
}

/** An absolute http(s) URL without query or fragment, returned without its trailing slash. */
export function parsePublicUrl(text: string, source: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${source} ${JSON.stringify(text)} is not an absolute URL; expected e.g. https://roster.example.com`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`${source} ${JSON.stringify(text)} must use http or https, not ${url.protocol.replace(/:$/, "")}`);
  }
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new UsageError(`${source} ${JSON.stringify(text)} must not contain credentials, a query or a fragment`);
  }
  return url.href.replace(/\/+$/, "");
}

export function resolvePublicUrl(flag: string | undefined, ctx: CliContext): string | undefined {
  if (flag !== undefined) return parsePublicUrl(flag, "--public-url");
  const env = nonEmpty(ctx.env["ROSTER_PUBLIC_URL"]);
  return env === undefined ? undefined : parsePublicUrl(env, "ROSTER_PUBLIC_URL");
}

/** The public URL, else http://localhost:<ROSTER_PORT or 8080>: where an IdP would reach this server. */
export function resolveBaseUrl(publicUrlFlag: string | undefined, ctx: CliContext): string {
  return resolvePublicUrl(publicUrlFlag, ctx) ?? `http://localhost:${resolvePort(undefined, ctx)}`;
}

export function scimBaseUrl(baseUrl: string, slug: string): string {
  return `${baseUrl}/scim/v2/${slug}`;
}

/** Opens the store (openStore creates a SQLite file's folder) and brings its schema up to date; its writes record change events. */
export async function openMigratedStore(database: string): Promise<RecordingStore> {
  const store = await openStore(database);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return recordEvents(store);
}

/**
 * Runs `fn` on the migrated store. A SQLite file that does not exist is refused
 * (assertDatabaseExists) unless `create` is set: only migrate, tenants create and an
 * administrator's api-keys create may start a new database.
 */
export async function withStore<T>(database: string, fn: (store: Store) => Promise<T>, options: { readonly create?: boolean } = {}): Promise<T> {
  if (options.create !== true) assertDatabaseExists(database);
  const store = await openMigratedStore(database);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function isFilePath(database: string): boolean {
  return database !== ":memory:" && !/^[A-Za-z][A-Za-z0-9+.-]+:/.test(database);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** Left-aligned columns separated by two spaces. */
export function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join("  "));
}

/** One `roster <name>` command. `run` returns the exit status; refusals are thrown. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help text, printed by `roster <name> --help`. */
  readonly usage: string;
  run(args: readonly string[], ctx: CliContext): Promise<number>;
}

/** The database URL with any password replaced, fit for printing. */
export function describeDatabase(database: string): string {
  if (isFilePath(database)) return database;
  try {
    const url = new URL(database);
    if (url.password !== "") url.password = "***";
    return url.href;
  } catch {
    return database.replace(/:[^:@/]*@/, ":***@");
  }
}
