import { defineConfig } from "vitest/config";
import { postgresAvailable } from "./test/helpers/postgres.js";

// The HTTP, management API, events, IdP and concurrency suites run twice: on SQLite ("sqlite" project, with every
// other test) and on PostgreSQL ("postgres" project) when PostgreSQL answers. With CI set
// and no PostgreSQL, postgresAvailable() throws: CI never silently skips PostgreSQL.
// The PostgreSQL store suite and the multi-process tests belong to the postgres project only.
// One database only: `npx vitest run --project sqlite test/http`.
const ON_BOTH = ["test/http/**/*.test.ts", "test/fuzz/**/*.test.ts", "test/api/**/*.test.ts", "test/events/**/*.test.ts", "test/webhooks/**/*.test.ts", "test/guides/**/*.test.ts", "test/idp/**/*.test.ts", "test/concurrency/**/*.test.ts"];
const POSTGRES_ONLY = ["test/store/postgres.test.ts", "test/http/statement-timeout.test.ts", "test/concurrency/multi-process*.test.ts", "test/concurrency/default-tenant.test.ts"];

export default defineConfig(async () => ({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // Two test files at a time. Vitest's default is one fewer than the CPUs, one on the 2-core
    // machines CI runs on, where most files wait on a database, a child process or a socket:
    // the suite took 860 s with one and 453 s with two (2026-12-07).
    maxWorkers: 2,
    minWorkers: 1,
    projects: [
      { extends: true, test: { name: "sqlite", include: ["test/**/*.test.ts", "src/**/*.test.ts"], exclude: POSTGRES_ONLY } },
      ...((await postgresAvailable())
        ? [{ extends: true, test: { name: "postgres", include: [...ON_BOTH, ...POSTGRES_ONLY], env: { ROSTER_TEST_DATABASE: "postgres" } } }]
        : []),
    ],
  },
}));
