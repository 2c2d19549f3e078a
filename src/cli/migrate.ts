import {
  DATABASE_OPTION,
  describeDatabase,
  HELP_OPTION,
  expectPositionals,
  parseCommandArgs,
  resolveDatabase,
  withStore,
  type Command,
} from "./context.js";

const USAGE = `Usage:
  roster migrate [--database URL|PATH]

Brings the database schema up to date and exits. "roster serve" does this on start too;
run it on its own before rolling out several Roster processes against PostgreSQL.

Options:
  --database          database URL or SQLite path (env ROSTER_DATABASE_URL, default ./data/roster.db)
  -h, --help          show this help`;

export const migrateCommand: Command = {
  name: "migrate",
  summary: "bring the database schema up to date",
  usage: USAGE,
  async run(args, ctx) {
    const command = "roster migrate";
    const { values, positionals } = parseCommandArgs(command, args, { ...DATABASE_OPTION, ...HELP_OPTION });
    if (values.help === true) {
      ctx.out(USAGE);
      return 0;
    }
    expectPositionals(command, positionals, []);
    const database = resolveDatabase(values.database, ctx);
    await withStore(database, async () => undefined, { create: true });
    ctx.out(`Database ${describeDatabase(database)} is up to date.`);
    return 0;
  },
};
