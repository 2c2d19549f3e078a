import { getTenantBySlug } from "../directory/tenants.js";
import { CLI_ACTOR } from "../directory/audit.js";
import { parseTokenExpiry } from "../directory/token-expiry.js";
import { checkSecret, createToken, isExpired, type ListedToken, listTokens, revokeToken, TokenError } from "../directory/tokens.js";
import {
  CliError,
  DATABASE_OPTION,
  HELP_OPTION,
  JSON_OPTION,
  UsageError,
  expectPositionals,
  formatTable,
  parseCommandArgs,
  requireOption,
  resolveBaseUrl,
  resolveDatabase,
  scimBaseUrl,
  subcommandError,
  withStore,
  type CliContext,
  type Command,
} from "./context.js";

const USAGE = `Usage:
  roster tokens create --tenant <slug> [--name TEXT] [--principal <user id>] [--secret <value>|-] [--expires <time>|<days>d] [--json] [--public-url URL]
  roster tokens list --tenant <slug> [--json]
  roster tokens revoke <id> [--json]

SCIM bearer tokens. A token is printed once, when created; Roster keeps only its SHA-256 hash.
With --json, the last line "tokens create" prints is {"id", "token", "tenant", "scimBaseUrl"}
(with --secret, "token" is left out: the secret is never printed; with --expires, "expires"
is added).
--principal ties the token to one of the application's own (unmanaged, active) users:
the token stops working as soon as that user is deactivated or deleted.
--secret uses an admin-entered secret instead of a generated one (--secret - reads it
from stdin): 32+ characters with upper- and lower-case letters, digits and symbols.
--expires makes the token stop working at that time (ISO 8601 with its zone, e.g.
2027-06-30T00:00:00Z) or that many days from now (e.g. 90d); at most 3650 days ahead.
"tokens list" never shows secrets; it shows each token's owner and the owner's state
(active, deactivated, deleted, or managed: a token whose owner is not active does not work)
and its expiry. Every create and revoke is recorded in the audit log with the actor "cli".

Options:
  --tenant            tenant slug
  --name              a label for the token, e.g. "okta" (default "unnamed")
  --principal         id of an unmanaged user of the tenant (management API) that owns the token
  --secret            the token's value, entered by an admin; "-" reads it from stdin
  --expires           when the token stops working: an ISO 8601 time, or days from now (90d)
  --json              print JSON instead of text
  --database          database URL or SQLite path (env ROSTER_DATABASE_URL, default ./data/roster.db)
  --public-url        URL the IdP uses to reach Roster (env ROSTER_PUBLIC_URL)
  -h, --help          show this help`;

const CREATE_OPTIONS = {
  ...DATABASE_OPTION,
  ...HELP_OPTION,
  ...JSON_OPTION,
  tenant: { type: "string" },
  name: { type: "string" },
  principal: { type: "string" },
  secret: { type: "string" },
  expires: { type: "string" },
  "public-url": { type: "string" },
} as const;
const LIST_OPTIONS = { ...DATABASE_OPTION, ...HELP_OPTION, ...JSON_OPTION, tenant: { type: "string" } } as const;
const REVOKE_OPTIONS = { ...DATABASE_OPTION, ...HELP_OPTION, ...JSON_OPTION } as const;

export const tokensCommand: Command = {
  name: "tokens",
  summary: "create, list and revoke SCIM bearer tokens",
  usage: USAGE,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === "--help" || sub === "-h") return help(ctx);
    if (sub === "create") return create(rest, ctx);
    if (sub === "list") return list(rest, ctx);
    if (sub === "revoke") return revoke(rest, ctx);
    throw subcommandError("tokens", args, ["create", "list", "revoke"], "create, list or revoke");
  },
};

async function create(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster tokens create";
  const { values, positionals } = parseCommandArgs(command, args, CREATE_OPTIONS);
  if (values.help === true) return help(ctx);
  expectPositionals(command, positionals, []);
  const slug = requireOption(command, "tenant", values.tenant);
  const name = values.name ?? "unnamed";
  if (name.length > 200 || /[\u0000-\u001f]/.test(name)) {
    throw new UsageError(`tokens create: --name must be at most 200 characters without control characters`);
  }
  const baseUrl = resolveBaseUrl(values["public-url"], ctx);
  if (values.principal === "") throw new UsageError("tokens create: --principal is empty; give the id of an unmanaged user");
  const now = new Date();
  const expiry = values.expires === undefined ? undefined : parseTokenExpiry(values.expires, now, "--expires", true);
  if (expiry !== undefined && !expiry.ok) throw new UsageError(`tokens create: ${expiry.issue}`);
  const database = resolveDatabase(values.database, ctx);
  const secret = values.secret === "-" ? await readSecretFromStdin() : values.secret;
  // A secret that breaks the rules is a bad command line (exit 2); a principal the tenant cannot use is a refusal (1).
  const secretProblem = secret === undefined ? undefined : checkSecret(secret);
  if (secretProblem !== undefined) throw new UsageError(`tokens create: --secret: ${secretProblem}`);
  const options = {
    ...(values.principal === undefined ? {} : { principalId: values.principal }),
    ...(secret === undefined ? {} : { secret }),
    ...(expiry === undefined ? {} : { expiresAt: expiry.value }),
  };
  const issued = await withStore(database, async (store) =>
    createToken(store, await getTenantBySlug(store, slug), CLI_ACTOR, name, now, options),
  ).catch((error: unknown) => {
    throw error instanceof TokenError ? new CliError(`tokens create: ${error.message}`) : error;
  });
  const url = scimBaseUrl(baseUrl, slug);
  const principal = issued.record.principalId === undefined ? {} : { principal: issued.record.principalId };
  const expires = issued.record.expiresAt === undefined ? {} : { expires: issued.record.expiresAt };
  if (values.json === true) {
    const token = secret === undefined ? { token: issued.token } : {};
    ctx.out(JSON.stringify({ id: issued.record.id, ...token, tenant: slug, scimBaseUrl: url, ...principal, ...expires }));
    return 0;
  }
  if (secret === undefined) {
    ctx.out(`Created token ${issued.record.id} ("${name}") for tenant "${slug}". It is shown only this once:`);
    ctx.out("");
    ctx.out(`  ${issued.token}`);
    ctx.out("");
  } else {
    ctx.out(`Created token ${issued.record.id} ("${name}") for tenant "${slug}" from the secret you entered; Roster keeps only its hash.`);
  }
  if (issued.record.principalId !== undefined) {
    ctx.out(`It belongs to user ${issued.record.principalId} and stops working when that user is deactivated or deleted.`);
  }
  if (issued.record.expiresAt !== undefined) ctx.out(`It expires at ${issued.record.expiresAt}.`);
  ctx.out(`SCIM base URL: ${url}`);
  ctx.out(`Send it as the header "Authorization: Bearer <token>" (Okta: Authentication Mode "HTTP Header").`);
  return 0;
}

async function list(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster tokens list";
  const { values, positionals } = parseCommandArgs(command, args, LIST_OPTIONS);
  if (values.help === true) return help(ctx);
  expectPositionals(command, positionals, []);
  const slug = requireOption(command, "tenant", values.tenant);
  const tokens = await withStore(resolveDatabase(values.database, ctx), async (store) =>
    listTokens(store, await getTenantBySlug(store, slug)),
  );
  if (values.json === true) {
    ctx.out(JSON.stringify(tokens.map(tokenJson)));
  } else if (tokens.length === 0) {
    ctx.out(`Tenant "${slug}" has no tokens. Create one: npx roster tokens create --tenant ${slug}`);
  } else {
    const now = new Date();
    const rows = tokens.map((t) => [t.id, t.name, t.created, t.lastUsed ?? "never", t.expiresAt ?? "never", tokenStatus(t, now), ownerColumn(t)]);
    for (const line of formatTable([["ID", "NAME", "CREATED", "LAST USED", "EXPIRES", "STATUS", "OWNER"], ...rows])) ctx.out(line);
  }
  return 0;
}

async function revoke(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster tokens revoke";
  const { values, positionals } = parseCommandArgs(command, args, REVOKE_OPTIONS);
  if (values.help === true) return help(ctx);
  const [id = ""] = expectPositionals(command, positionals, ["id"]);
  const outcome = await withStore(resolveDatabase(values.database, ctx), (store) => revokeToken(store, CLI_ACTOR, id));
  if (!outcome.ok) throw new CliError(`no active token has id ${JSON.stringify(id)} (see: roster tokens list --tenant <slug>)`);
  ctx.out(values.json === true ? JSON.stringify({ id, revoked: true }) : `Revoked token ${id}.`);
  return 0;
}

/** `active`, `revoked <time>`, `expired <time>`, or why an unrevoked token with an owner no longer works. */
function tokenStatus(token: ListedToken, now: Date): string {
  if (token.revoked !== null) return `revoked ${token.revoked}`;
  if (isExpired(token, now)) return `expired ${token.expiresAt ?? ""}`;
  if (token.ownerState === undefined || token.ownerState === "active") return "active";
  return `not working: owner ${token.ownerState}`;
}

/** The owner's id and state, or "-" for a token without one. */
function ownerColumn(token: ListedToken): string {
  return token.principalId === undefined ? "-" : `${token.principalId} (${token.ownerState ?? "unknown"})`;
}

function tokenJson(token: ListedToken) {
  const principal = token.principalId === undefined ? {} : { principal: token.principalId, principalState: token.ownerState };
  const expires = token.expiresAt === undefined ? {} : { expires: token.expiresAt };
  return { id: token.id, name: token.name, created: token.created, lastUsed: token.lastUsed, revoked: token.revoked, ...principal, ...expires };
}

/** `--secret -`: the whole of stdin, without its final line break (as `echo` or a password manager leaves it). */
async function readSecretFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

function help(ctx: CliContext): number {
  ctx.out(USAGE);
  return 0;
}
