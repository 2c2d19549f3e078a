import { parseArgs, type ParseArgsConfig } from "node:util";
import { recordEvents, type RecordingStore } from "../events/record-events.js";
import { openStore } from "../store/open-store.js";
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

/** node:util parseArgs in strict mode, its errors turned into one-line UsageErrors naming the command. */
export function parseCommandArgs<O extends Options>(command: string, args: readonly string[], options: O) {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: true });
  } catch (error) {
    const message = error instanceof Error ? (error.message.split(/\. |\n/)[0] ?? error.message) : String(error);
    const sentence = message.replace(/\.$/, "");
    throw new UsageError(`${label(command)}: ${sentence.charAt(0).toLowerCase()}${sentence.slice(1)} (see: ${command} --help)`);
  }
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

export function resolveDatabase(flag: string | undefined, ctx: CliContext): string {
  return flag ?? nonEmpty(ctx.env["ROSTER_DATABASE_URL"]) ?? DEFAULT_DATABASE;
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

export async function withStore<T>(database: string, fn: (store: Store) => Promise<T>): Promise<T> {
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
