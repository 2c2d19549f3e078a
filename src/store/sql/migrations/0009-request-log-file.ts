import { type Kysely, type Migration, sql } from "kysely";
import type { SqlDialect } from "../dialect.js";
import { MOVE_REQUEST_LOG_SQL } from "../request-log-file.js";

// SQLite: the request log moves to its own file, attached as `log` by openStore (ADR 0014);
// the entries kept so far go with it. PostgreSQL keeps it where it is.
export function requestLogFileMigration(dialect: SqlDialect): Migration {
  return {
    async up(db: Kysely<any>): Promise<void> {
      if (dialect.name !== "sqlite") return;
      await sql.raw(MOVE_REQUEST_LOG_SQL).execute(db);
      await sql`drop table main.request_log`.execute(db);
    },
  };
}
