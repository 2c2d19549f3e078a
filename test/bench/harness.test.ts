import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CONTENDERS } from "../../bench/contenders.js";
import { type BenchReport, runBench } from "../../bench/harness.js";
import { markdownTable } from "../../bench/report.js";
import { TINY_SIZES } from "../../bench/sizes.js";
import { POSTGRES_ADMIN_URL, createTestDatabase, postgresAvailable, type TestDatabase } from "../helpers/postgres.js";

// The bench harness, once, on tiny sizes: every contender starts and answers every workload
// it can perform correctly. Timings are never asserted here; they belong to `npm run bench`.

function serverUrl(adminUrl: string): string {
  const url = new URL(adminUrl);
  const user = url.username === "" ? "" : `${url.username}${url.password === "" ? "" : `:${url.password}`}@`;
  return `${url.protocol}//${user}${url.host}`;
}

describe("npm run bench harness", () => {
  const cacheDir = mkdtempSync(join(tmpdir(), "roster-bench-"));
  let database: TestDatabase | undefined;

  afterAll(async () => {
    rmSync(cacheDir, { recursive: true, force: true });
    await database?.drop();
  });

  it(
    "runs every workload on every contender, and each answers correctly or is a declared limitation",
    async () => {
      const postgres = await postgresAvailable();
      if (postgres) database = await createTestDatabase("bench");
      const report: BenchReport = await runBench({
        sizes: TINY_SIZES,
        runs: 1,
        durationSec: 0.2,
        contenders: CONTENDERS.filter((c) => postgres || !c.id.startsWith("roster-pg")).map((c) => c.id),
        postgresUrl: serverUrl(POSTGRES_ADMIN_URL),
        ...(database === undefined ? {} : { postgresDatabase: database.name }),
        cacheDir,
        progress: () => undefined,
      });
      const wrong = report.cells.filter((cell) => {
        const spec = CONTENDERS.find((c) => c.id === cell.contender);
        if (cell.status === "measured" || cell.status === "not-seeded") return false;
        return !(cell.status === "cannot" && spec?.limitations[cell.workload] !== undefined);
      });
      expect(wrong.map((cell) => `${cell.contender} ${cell.workload}: ${cell.status} ${cell.note ?? ""}`)).toEqual([]);
      for (const contender of report.contenders) {
        for (const workload of report.workloads) {
          expect(report.cells.some((cell) => cell.contender === contender.id && cell.workload === workload.id)).toBe(true);
        }
      }
      expect(markdownTable(report)).toContain("| workload | unit |");
    },
    300_000,
  );
});
