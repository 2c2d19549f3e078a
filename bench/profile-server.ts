import { writeFileSync } from "node:fs";
import { createToken } from "../src/directory/tokens.js";
import { findTenantBySlug } from "../src/directory/tenants.js";
import { startServer } from "../src/http/server.js";
import { openStore } from "../src/store/open-store.js";

// Roster on a seeded bench database, for profiling by hand:
//   node --cpu-prof --import tsx bench/profile-server.ts .bench-cache/roster-….db 4555 tokens.json
// writes a token per tenant to tokens.json, serves until SIGINT (which writes the profile).

const [database, port = "4555", tokensFile = ".bench-cache/profile-tokens.json"] = process.argv.slice(2);
if (database === undefined) throw new Error("usage: profile-server.ts <database> [port] [tokens.json]");
const setup = await openStore(database, { migrate: true });
const tokens: Record<string, string> = {};
for (const slug of ["small", "large", "import"]) {
  const tenant = await findTenantBySlug(setup, slug);
  if (tenant !== undefined) tokens[slug] = (await createToken(setup, tenant, "cli", "profile")).token;
}
await setup.close();
const store = await openStore(database);
const running = await startServer({ store, host: "127.0.0.1", port: Number(port), log: process.env["ROSTER_PROFILE_LOG"] === "1" });
writeFileSync(tokensFile, JSON.stringify(tokens));
process.on("SIGINT", () => process.exit(0));
process.stderr.write(`profiling Roster at ${running.url}\n`);
