import type { ServerStart } from "./protocol.js";
import { send } from "./protocol.js";

// Entry point of every contender process: `node --import tsx bench/servers/main.ts '<ServerStart JSON>'`.

async function main(): Promise<void> {
  const start = JSON.parse(process.argv[2] ?? "{}") as ServerStart;
  switch (start.kind) {
    case "ceiling":
      return (await import("./ceiling.js")).startCeiling(start);
    case "roster":
      throw new Error("Roster runs from dist/ (servers/roster-dist.mjs), not through this entry point");
    case "scimmy":
      return (await import("./scimmy.js")).startScimmy(start);
    case "jackson":
      return (await import("./jackson.js")).startJackson(start);
  }
}

main().catch((error: unknown) => {
  send({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
