import type { BenchReport, Cell } from "./harness.js";
import { CONTENDERS, type ContenderSpec } from "./contenders.js";

function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? Number.NaN) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function format(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "–";
  if (unit === "req/s") return value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(1);
  if (unit === "ms") return value >= 100 ? Math.round(value).toString() : value.toFixed(1);
  return value.toFixed(2);
}

export function cellMedian(cell: Cell | undefined): number {
  return cell === undefined || cell.status !== "measured" ? Number.NaN : median(cell.values);
}

/** Ratio to the ceiling in the same run: for rates, Roster ÷ ceiling; for times, ceiling ÷ Roster (so higher is better either way). */
export function ratioToCeiling(report: BenchReport, cell: Cell): number {
  const ceiling = cellMedian(report.cells.find((c) => c.contender === "ceiling" && c.workload === cell.workload));
  const value = cellMedian(cell);
  const unit = report.workloads.find((w) => w.id === cell.workload)?.unit;
  if (!Number.isFinite(ceiling) || !Number.isFinite(value) || value === 0) return Number.NaN;
  return unit === "req/s" ? value / ceiling : ceiling / value;
}

function describeCell(report: BenchReport, cell: Cell | undefined, unit: string): string {
  if (cell === undefined) return "not run";
  switch (cell.status) {
    case "measured": {
      const finite = cell.values.filter((v) => Number.isFinite(v));
      const range = finite.length > 1 ? ` (${format(Math.min(...finite), unit)}–${format(Math.max(...finite), unit)})` : "";
      const p99 = cell.p99s.length > 0 ? `, p99 ${format(median(cell.p99s), "ms")} ms` : "";
      const ratio = cell.contender === "ceiling" ? "" : ratioToCeiling(report, cell);
      const shownRatio = typeof ratio === "number" && Number.isFinite(ratio) ? ` · **${Math.round(ratio * 100)} %**` : "";
      const rss = cell.peakRssBytes === undefined ? "" : `, peak RSS ${Math.round(cell.peakRssBytes / 2 ** 20)} MB`;
      const small = cell.tenant === "small" && cell.workload !== "lookup-10k" && cell.workload !== "groups-list" && !cell.workload.startsWith("member-10-") ? " (10 k tenant)" : "";
      return `${format(median(cell.values), unit)}${range}${p99}${rss}${shownRatio}${small}`;
    }
    case "cannot":
      return `cannot: ${cell.note ?? ""}`;
    case "not-seeded":
      return `not run: ${cell.note ?? "not seeded"}`;
    case "error":
      return `ERROR: ${cell.note ?? ""}`;
    case "not-run":
      return `not run${cell.note === undefined ? "" : `: ${cell.note}`}`;
  }
}

/** The markdown table: one row per workload, one column per contender; ratios to the ceiling in bold. */
export function markdownTable(report: BenchReport): string {
  const header = `| workload | unit | ${report.contenders.map((c) => c.label).join(" | ")} |`;
  const rule = `|---|---|${report.contenders.map(() => "---").join("|")}|`;
  const rows = report.workloads.map((workload) => {
    const cells = report.contenders.map((contender) =>
      describeCell(report, report.cells.find((c) => c.contender === contender.id && c.workload === workload.id), workload.unit).replaceAll("|", "\\|"),
    );
    return `| ${workload.label} | ${workload.unit} | ${cells.join(" | ")} |`;
  });
  return [header, rule, ...rows].join("\n");
}

interface TargetCheck {
  readonly target: string;
  readonly holds: boolean | undefined;
  readonly detail: string;
}

function percent(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value * 100)} %` : "–";
}

/** The issue's targets, checked against this report's numbers (Roster on SQLite unless said otherwise). */
export function targetChecks(report: BenchReport, roster = "roster-sqlite"): TargetCheck[] {
  const cell = (workload: string, contender = roster) => report.cells.find((c) => c.contender === contender && c.workload === workload);
  const ratio = (workload: string) => {
    const found = cell(workload);
    return found === undefined ? Number.NaN : ratioToCeiling(report, found);
  };
  const checks: TargetCheck[] = [];
  for (const [workload, name] of [["create", "create"], ["lookup-1m", "userName eq lookup at 1 M"], ["get", "get-by-id at 1 M"]] as const) {
    const r = ratio(workload);
    checks.push({ target: `${name} ≥ 60 % of the ceiling`, holds: Number.isFinite(r) ? r >= 0.6 : undefined, detail: percent(r) });
  }
  for (const workload of ["lookup-1m", "get"]) {
    const p99 = median(cell(workload)?.p99s ?? []);
    checks.push({ target: `${workload} p99 < 10 ms at 10 connections`, holds: Number.isFinite(p99) ? p99 < 10 : undefined, detail: `${format(p99, "ms")} ms` });
  }
  for (const action of ["add", "remove"]) {
    const small = cellMedian(cell(`member-10-${action}`));
    const big = cellMedian(cell(`member-100k-${action}`));
    const cost = small / big;
    checks.push({ target: `${action} one member: group of 100 k costs ≤ 1.3 × group of 10`, holds: Number.isFinite(cost) ? cost <= 1.3 : undefined, detail: `${Number.isFinite(cost) ? cost.toFixed(2) : "–"} ×` });
  }
  const groupGet = cell("group-get");
  const ms = cellMedian(groupGet);
  const rss = groupGet?.peakRssBytes ?? Number.NaN;
  checks.push({
    target: "GET of a 100 k-member group < 1 s and < 150 MB peak RSS",
    holds: Number.isFinite(ms) && Number.isFinite(rss) ? ms < 1000 && rss < 150 * 2 ** 20 : undefined,
    detail: `${format(ms, "ms")} ms, ${Number.isFinite(rss) ? Math.round(rss / 2 ** 20) : "–"} MB`,
  });
  const imported = cellMedian(cell("import"));
  checks.push({ target: "Okta import of 100 k users at count=100 < 30 s", holds: Number.isFinite(imported) ? imported < 30 : undefined, detail: `${format(imported, "s")} s for ${report.sizes.importUsers.toLocaleString("en-US")} users` });
  const peers = CONTENDERS.filter((spec) => spec.peer && report.contenders.some((c) => c.id === spec.id));
  const peerCheck = (target: string, among: readonly ContenderSpec[]): TargetCheck => {
    const behind: string[] = [];
    let compared = 0;
    for (const workload of report.workloads) {
      const mine = cellMedian(cell(workload.id));
      for (const peer of among) {
        const theirs = cellMedian(cell(workload.id, peer.id));
        if (!Number.isFinite(mine) || !Number.isFinite(theirs)) continue;
        compared++;
        const ahead = workload.unit === "req/s" ? mine > theirs : mine < theirs;
        if (!ahead) behind.push(`${workload.id} vs ${peer.id}`);
      }
    }
    return { target, holds: compared === 0 ? undefined : behind.length === 0, detail: behind.length === 0 ? `${compared} comparisons` : `behind on ${behind.join(", ")}` };
  };
  checks.push(peerCheck("Roster ahead of every peer on every workload the peer performs", peers));
  // The same, among peers whose answered writes are on disk as Roster's are: an in-memory
  // store is not a configuration a directory can run in production (docs/benchmarks.md).
  checks.push(peerCheck("… among peers that keep their data on disk", peers.filter((peer) => peer.durable)));
  return checks;
}

export function markdownTargets(report: BenchReport): string {
  const lines = ["| target (Roster on SQLite) | holds | measured |", "|---|---|---|"];
  for (const check of targetChecks(report)) lines.push(`| ${check.target} | ${check.holds === undefined ? "not measured" : check.holds ? "yes" : "**no**"} | ${check.detail} |`);
  return lines.join("\n");
}

export function markdownMachine(report: BenchReport): string {
  const m = report.machine;
  return [
    `- machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB RAM, ${m.os}`,
    `- Node ${m.node}${m.postgres === undefined ? "" : `, PostgreSQL ${m.postgres}`}`,
    `- seed: ${Object.entries(report.sizes).map(([k, v]) => `${k} ${Number(v).toLocaleString("en-US")}`).join(", ")}`,
    `- ${report.runs} run(s) per contender per workload, ${report.durationSec} s each (rates), alternating contenders run by run; median (min–max); 10 connections unless stated`,
    `- run ${report.startedAt} → ${report.finishedAt}`,
  ].join("\n");
}
