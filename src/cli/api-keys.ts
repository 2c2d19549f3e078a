import { createApiKey, listApiKeys, revokeApiKey } from "../directory/api-keys.js";
import { getTenantBySlug } from "../directory/tenants.js";
import type { ApiKeyRecord } from "../store/store.js";
import {
  CliError,
  DATABASE_OPTION,
  HELP_OPTION,
  JSON_OPTION,
  UsageError,
  expectPositionals,
  formatTable,
  parseCommandArgs,
  resolveDatabase,
  subcommandError,
  withStore,
  type CliContext,
  type Command,
} from "./context.js";

const USAGE = `Usage:
  roster api-keys create [--tenant <slug>] [--name TEXT] [--json]
  roster api-keys list [--json]
  roster api-keys revoke <id> [--json]

Management API keys (/api/v1, docs/management-api.md). A key is printed once, when created;
Roster keeps only its SHA-256 hash. A key with --tenant works on that tenant only; a key
without one is an administrator key and works on every tenant.
With --json, "api-keys create" prints {"id", "key"}.

Options:
  --tenant            tenant slug (omit for an administrator key)
  --name              a label for the key, e.g. "fleet-backend" (default "unnamed")
  --json              print JSON instead of text
  --database          database URL or SQLite path (env ROSTER_DATABASE_URL, default ./data/roster.db)
  -h, --help          show this help`;

const CREATE_OPTIONS = { ...DATABASE_OPTION, ...HELP_OPTION, ...JSON_OPTION, tenant: { type: "string" }, name: { type: "string" } } as const;
const OTHER_OPTIONS = { ...DATABASE_OPTION, ...HELP_OPTION, ...JSON_OPTION } as const;

export const apiKeysCommand: Command = {
  name: "api-keys",
  summary: "create, list and revoke management API keys",
  usage: USAGE,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === "--help" || sub === "-h") return help(ctx);
    if (sub === "create") return create(rest, ctx);
    if (sub === "list") return list(rest, ctx);
    if (sub === "revoke") return revoke(rest, ctx);
    throw subcommandError("api-keys", args, ["create", "list", "revoke"], "create, list or revoke");
  },
};

async function create(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster api-keys create";
  const { values, positionals } = parseCommandArgs(command, args, CREATE_OPTIONS);
  if (values.help === true) return help(ctx);
  expectPositionals(command, positionals, []);
  const name = values.name ?? "unnamed";
  if (name.length > 200 || /[\u0000-\u001f]/.test(name)) {
    throw new UsageError("api-keys create: --name must be at most 200 characters without control characters");
  }
  const slug = values.tenant;
  if (slug === "") throw new UsageError("api-keys create: --tenant is empty; omit it for an administrator key");
  // An administrator key may be the first thing stored; a tenant's key needs a database that has the tenant.
  const issued = await withStore(
    resolveDatabase(values.database, ctx),
    async (store) => createApiKey(store, slug === undefined ? undefined : await getTenantBySlug(store, slug), name),
    { create: slug === undefined },
  );
  if (values.json === true) {
    ctx.out(JSON.stringify({ id: issued.record.id, key: issued.key }));
    return 0;
  }
  const scope = slug === undefined ? "an administrator key (every tenant)" : `for tenant "${slug}"`;
  ctx.out(`Created API key ${issued.record.id} ("${name}"), ${scope}. It is shown only this once:`);
  ctx.out("");
  ctx.out(`  ${issued.key}`);
  ctx.out("");
  ctx.out(`Send it as "Authorization: Bearer <key>" to /api/v1/tenants/<slug>/… (docs/management-api.md).`);
  return 0;
}

async function list(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster api-keys list";
  const { values, positionals } = parseCommandArgs(command, args, OTHER_OPTIONS);
  if (values.help === true) return help(ctx);
  expectPositionals(command, positionals, []);
  const { keys, slugs } = await withStore(resolveDatabase(values.database, ctx), async (store) => {
    const tenants = await store.transaction((session) => session.listTenants());
    return { keys: await listApiKeys(store), slugs: new Map(tenants.map((tenant) => [tenant.id, tenant.slug])) };
  });
  const tenantOf = (key: ApiKeyRecord) => (key.tenantId === null ? null : (slugs.get(key.tenantId) ?? key.tenantId));
  if (values.json === true) {
    ctx.out(JSON.stringify(keys.map((key) => ({ id: key.id, name: key.name, tenant: tenantOf(key), created: key.created, revoked: key.revoked }))));
  } else if (keys.length === 0) {
    ctx.out("There are no API keys. Create one: npx roster api-keys create --tenant <slug>");
  } else {
    const rows = keys.map((key) => [key.id, key.name, tenantOf(key) ?? "(administrator)", key.created, key.revoked === null ? "active" : `revoked ${key.revoked}`]);
    for (const line of formatTable([["ID", "NAME", "TENANT", "CREATED", "STATUS"], ...rows])) ctx.out(line);
  }
  return 0;
}

async function revoke(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster api-keys revoke";
  const { values, positionals } = parseCommandArgs(command, args, OTHER_OPTIONS);
  if (values.help === true) return help(ctx);
  const [id = ""] = expectPositionals(command, positionals, ["id"]);
  const revoked = await withStore(resolveDatabase(values.database, ctx), (store) => revokeApiKey(store, id));
  if (!revoked) throw new CliError(`no active API key has id ${JSON.stringify(id)} (see: roster api-keys list)`);
  ctx.out(values.json === true ? JSON.stringify({ id, revoked: true }) : `Revoked API key ${id}.`);
  return 0;
}

function help(ctx: CliContext): number {
  ctx.out(USAGE);
  return 0;
}
