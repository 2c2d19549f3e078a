import { randomBytes } from "node:crypto";
import pg from "pg";

/** The server tests create their databases on; override with ROSTER_TEST_POSTGRES_URL. */
export const POSTGRES_ADMIN_URL = process.env["ROSTER_TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function admin<T>(fn: (client: pg.Client) => Promise<T>, url = POSTGRES_ADMIN_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Whether the PostgreSQL tests run: true when the server answers. When it does not and `CI`
 * is set, throws, so CI fails instead of silently skipping (issue 3).
 */
export async function postgresAvailable(url = POSTGRES_ADMIN_URL, ci = process.env["CI"]): Promise<boolean> {
  try {
    await admin((client) => client.query("select 1"), url);
    return true;
  } catch (error) {
    if (ci !== undefined && ci !== "" && ci !== "false" && ci !== "0") {
      throw new Error(`PostgreSQL is unreachable at ${url} and CI is set: the PostgreSQL suites must run in CI (${String(error)})`);
    }
    return false;
  }
}

export interface TestDatabase {
  readonly name: string;
  /** Connection URL of the database itself. */
  readonly url: string;
  /** A URL whose connections use `schema` (created on demand) as their search_path: a fresh, empty store per test. */
  schemaUrl(schema: string): Promise<string>;
  /** Runs SQL as the admin user against this database. */
  query(text: string, values?: readonly unknown[]): Promise<pg.QueryResult>;
  /** ALLOW_CONNECTIONS on or off: off refuses every new connection, superusers' too. */
  acceptConnections(accept: boolean): Promise<void>;
  /** Terminates every connection to this database except the admin's own. */
  terminateConnections(): Promise<number>;
  drop(): Promise<void>;
}

function urlFor(database: string, schema?: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  if (schema !== undefined) url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}

/** Creates a uniquely named database (`roster_test_<label>_<random>`); `drop()` removes it even with clients still connected. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `roster_test_${label.replace(/[^a-z0-9]/gi, "_").toLowerCase()}_${process.pid}_${randomBytes(4).toString("hex")}`;
  await admin((client) => client.query(`create database "${name}"`));
  const inDatabase = <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: urlFor(name), connectionTimeoutMillis: 3000 });
    client.on("error", () => undefined);
    return client
      .connect()
      .then(() => fn(client))
      .finally(() => client.end().catch(() => undefined));
  };
  return {
    name,
    url: urlFor(name),
    async schemaUrl(schema) {
      await inDatabase((client) => client.query(`create schema if not exists "${schema}"`));
      return urlFor(name, schema);
    },
    query: (text, values = []) => inDatabase((client) => client.query(text, [...values])),
    async acceptConnections(accept) {
      await admin((client) => client.query(`alter database "${name}" allow_connections ${accept ? "true" : "false"}`));
    },
    async terminateConnections() {
      const result = await admin((client) =>
        client.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()", [name]),
      );
      return result.rowCount ?? 0;
    },
    async drop() {
      await admin((client) => client.query(`drop database if exists "${name}" with (force)`));
    },
  };
}
