// A separate process for postgres.test.ts: migrates the database at argv[2], makes sure tenant
// "t1" exists, then inserts a user named argv[4] with id argv[3]; prints "won" or the error's name.
import { openStore } from "../../src/store/open-store.js";

const [url, id, userName] = process.argv.slice(2);
const store = await openStore(url ?? "", { migrate: true });
try {
  // A failed statement aborts a PostgreSQL transaction, so the tenant race gets its own.
  await store
    .transaction((session) => session.createTenant({ id: "t1", slug: "acme", created: new Date().toISOString() }))
    .catch(() => undefined);
  await store.transaction(async (session) => {
    const at = new Date().toISOString();
    await session.insertResource({ tenantId: "t1", id: id ?? "", kind: "User", document: { userName }, created: at, lastModified: at, version: 1 });
  });
  process.stdout.write("won");
} catch (error) {
  process.stdout.write(error instanceof Error ? error.name : "unknown");
} finally {
  await store.close();
}
