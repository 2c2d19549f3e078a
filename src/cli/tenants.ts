import { readFile } from "node:fs/promises";
import { CLI_ACTOR } from "../directory/audit.js";
import { createTenantWithSettings, deleteTenantBySlug, toTenantView } from "../directory/tenant-admin.js";
import { declareRolesWith, loadProfile, ProfileError, setTenantProfile, updateTenantProfile } from "../directory/tenant-profiles.js";
import { checkTenantSlug, getTenantBySlug, listTenants } from "../directory/tenants.js";
import { listTokens } from "../directory/tokens.js";
import type { Tenant } from "../store/store.js";
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
  resolveBaseUrl,
  resolveDatabase,
  scimBaseUrl,
  subcommandError,
  withStore,
  type CliContext,
  type Command,
} from "./context.js";

const USAGE = `Usage:
  roster tenants create <slug> [--profile FILE.yaml] [--json] [--database URL|PATH] [--public-url URL]
  roster tenants update <slug> --profile FILE.yaml [--database URL|PATH]
  roster tenants list [--json] [--database URL|PATH] [--public-url URL]
  roster tenants show <slug> [--json] [--database URL|PATH] [--public-url URL]
  roster tenants delete <slug> --confirm <slug> [--database URL|PATH]

A tenant is one directory with its own SCIM base URL, /scim/v2/<slug>.
A slug is 1-63 characters of a-z, 0-9 and "-", starting and ending with a letter or digit.

A profile (docs/profiles.md, examples/profiles/) declares what the tenant adds to plain
SCIM; it is validated before anything is stored and applied from the next request on.
A roles.fromGroups mapping must name a role the application declared (PUT .../roles),
so a new tenant gets its mappings with update; an update records role.granted and
role.revoked events for the users whose roles it changes.

show prints a tenant's name, SCIM base URL, SCIM sync switch, profile version, creation
time and how many active tokens and users it has. delete removes the tenant and everything
it owns (users, groups, tokens, API keys, lists, events, webhooks, request log) in one
transaction; its tokens and keys stop working at once. It asks for the slug again in
--confirm. Every change is recorded in the audit log (GET /api/v1/audit) as made by "cli".

Options:
  --profile           YAML tenant profile to store with the tenant (update replaces it)
  --confirm           delete: the tenant's slug again
  --json              print JSON instead of text
  --database          database URL or SQLite path (env ROSTER_DATABASE_URL, default ./data/roster.db)
  --public-url        URL the IdP uses to reach Roster (env ROSTER_PUBLIC_URL)
  -h, --help          show this help`;

const OPTIONS = { ...DATABASE_OPTION, ...HELP_OPTION, ...JSON_OPTION, "public-url": { type: "string" }, profile: { type: "string" } } as const;
const SHOW_OPTIONS = { ...DATABASE_OPTION, ...HELP_OPTION, ...JSON_OPTION, "public-url": { type: "string" } } as const;
const DELETE_OPTIONS = { ...DATABASE_OPTION, ...HELP_OPTION, confirm: { type: "string" } } as const;

export const tenantsCommand: Command = {
  name: "tenants",
  summary: "create, update (profile), list, show and delete tenants",
  usage: USAGE,
  async run(args, ctx) {
    const [sub, ...rest] = args;
    if (sub === "--help" || sub === "-h") return help(ctx);
    if (sub === "create") return reportProfileErrors(() => create(rest, ctx), ctx);
    if (sub === "update") return reportProfileErrors(() => update(rest, ctx), ctx);
    if (sub === "list") return list(rest, ctx);
    if (sub === "show") return show(rest, ctx);
    if (sub === "delete") return remove(rest, ctx);
    throw subcommandError("tenants", args, ["create", "update", "list", "show", "delete"], "create, update, list, show or delete");
  },
};

async function create(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster tenants create";
  const { values, positionals } = parseCommandArgs(command, args, OPTIONS);
  if (values.help === true) return help(ctx);
  const [slug = ""] = expectPositionals(command, positionals, ["slug"]);
  // A malformed slug is a bad command line (exit 2), found before the database is opened.
  const slugProblem = checkTenantSlug(slug);
  if (slugProblem !== undefined) throw new UsageError(`${label(command)}: ${slugProblem}`);
  const baseUrl = resolveBaseUrl(values["public-url"], ctx);
  const database = resolveDatabase(values.database, ctx);
  const profile = values.profile === undefined ? undefined : await readProfile(values.profile);
  // A new tenant has declared no role yet: a mapping to a role is refused before anything is created.
  if (profile !== undefined) loadProfile(profile.source, profile.file, { declaredRoles: [], declareWith: `${declareRolesWith(slug)}, then roster tenants update` });
  const tenant = await withStore(
    database,
    (store) => createTenantWithSettings(store, { slug, ...(profile === undefined ? {} : { profile: { ...profile, positions: true } }) }, CLI_ACTOR),
    { create: true },
  );
  if (values.json === true) {
    ctx.out(JSON.stringify(tenantJson(tenant, baseUrl)));
  } else {
    ctx.out(`Created tenant "${tenant.slug}". SCIM base URL: ${scimBaseUrl(baseUrl, tenant.slug)}`);
    ctx.out(`Get a token: npx roster tokens create --tenant ${tenant.slug}`);
  }
  return 0;
}

async function update(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster tenants update";
  const { values, positionals } = parseCommandArgs(command, args, OPTIONS);
  if (values.help === true) return help(ctx);
  const [slug = ""] = expectPositionals(command, positionals, ["slug"]);
  if (values.profile === undefined) throw new UsageError(`${label(command)}: missing --profile FILE.yaml, the only thing update changes (see: ${command} --help)`);
  const database = resolveDatabase(values.database, ctx);
  const profile = await readProfile(values.profile);
  loadProfile(profile.source, profile.file);
  const { profile: loaded } = await withStore(database, (store) => updateTenantProfile(store, slug, profile.source, { file: profile.file, actor: CLI_ACTOR }));
  if (values.json === true) ctx.out(JSON.stringify({ slug, attributes: loaded.attributes.map((attribute) => attribute.name) }));
  else ctx.out(`Updated the profile of tenant "${slug}" from ${profile.file}; it applies from the next request.`);
  return 0;
}

async function readProfile(file: string): Promise<{ readonly source: string; readonly file: string }> {
  try {
    return { source: await readFile(file, "utf8"), file };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read profile ${JSON.stringify(file)}: ${code === "ENOENT" ? "no such file" : String(code ?? error)}`);
  }
}

/** Prints every problem of a refused profile, one per line, so that all of them can be fixed at once. */
async function reportProfileErrors(run: () => Promise<number>, ctx: CliContext): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof ProfileError)) throw error;
    for (const line of error.lines) ctx.err(`roster: ${line}`);
    return 1;
  }
}

async function list(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster tenants list";
  const { values, positionals } = parseCommandArgs(command, args, OPTIONS);
  if (values.help === true) return help(ctx);
  expectPositionals(command, positionals, []);
  const baseUrl = resolveBaseUrl(values["public-url"], ctx);
  const tenants = await withStore(resolveDatabase(values.database, ctx), listTenants);
  if (values.json === true) {
    ctx.out(JSON.stringify(tenants.map((tenant) => tenantJson(tenant, baseUrl))));
  } else if (tenants.length === 0) {
    ctx.out("No tenants yet. Create one: npx roster tenants create <slug>");
  } else {
    const rows = tenants.map((t) => [t.slug, t.created, scimBaseUrl(baseUrl, t.slug)]);
    for (const line of formatTable([["SLUG", "CREATED", "SCIM BASE URL"], ...rows])) ctx.out(line);
  }
  return 0;
}

async function show(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster tenants show";
  const { values, positionals } = parseCommandArgs(command, args, SHOW_OPTIONS);
  if (values.help === true) return help(ctx);
  const [slug = ""] = expectPositionals(command, positionals, ["slug"]);
  const baseUrl = resolveBaseUrl(values["public-url"], ctx);
  const { tenant, tokens, users } = await withStore(resolveDatabase(values.database, ctx), async (store) => {
    const found = await getTenantBySlug(store, slug);
    const active = (await listTokens(store, found)).filter((token) => token.revoked === null && (token.ownerState === undefined || token.ownerState === "active"));
    const page = await store.read((session) => session.queryResources(found.id, "User", { count: 0 }));
    return { tenant: found, tokens: active.length, users: page.totalResults };
  });
  const view = toTenantView(tenant, baseUrl);
  if (values.json === true) {
    ctx.out(JSON.stringify({ ...view, activeTokens: tokens, users }));
    return 0;
  }
  const rows = [
    ["Tenant", view.name === null ? view.slug : `${view.slug} (${view.name})`],
    ["SCIM base URL", view.scimBaseUrl],
    ["SCIM sync", view.scimEnabled ? "on" : "off (every SCIM request answers 403)"],
    ["Profile version", String(view.profileVersion)],
    ["Created", view.createdAt],
    ["Active tokens", String(tokens)],
    ["Users", String(users)],
  ];
  for (const line of formatTable(rows.map(([key, value]) => [`${key}:`, value ?? ""]))) ctx.out(line);
  return 0;
}

async function remove(args: readonly string[], ctx: CliContext): Promise<number> {
  const command = "roster tenants delete";
  const { values, positionals } = parseCommandArgs(command, args, DELETE_OPTIONS);
  if (values.help === true) return help(ctx);
  const [slug = ""] = expectPositionals(command, positionals, ["slug"]);
  // Refused before the database is opened: a deletion needs the slug typed twice.
  if (values.confirm === undefined) {
    throw new UsageError(`${label(command)}: missing --confirm ${slug}; deleting a tenant removes everything it owns, so type its slug again`);
  }
  if (values.confirm !== slug) throw new UsageError(`${label(command)}: --confirm ${JSON.stringify(values.confirm)} is not ${JSON.stringify(slug)}; type the tenant's slug again to delete it`);
  await withStore(resolveDatabase(values.database, ctx), (store) => deleteTenantBySlug(store, slug, CLI_ACTOR));
  ctx.out(`Deleted tenant "${slug}" and everything it owned; its SCIM tokens and API keys no longer work.`);
  return 0;
}

function tenantJson(tenant: Tenant, baseUrl: string) {
  return { id: tenant.id, slug: tenant.slug, created: tenant.created, scimBaseUrl: scimBaseUrl(baseUrl, tenant.slug) };
}

function help(ctx: CliContext): number {
  ctx.out(USAGE);
  return 0;
}
