// A separate process for sqlite.test.ts: migrates the database at argv[2], then inserts a
// user named argv[4] with id argv[3] in tenant "t1"; prints "won" or the error's name.
import { openStore } from "../../src/store/open-store.js";

const [file, id, userName] = process.argv.slice(2);
const store = await openStore(file ?? "", { migrate: true });
try {
  await store.transaction(async (session) => {
    if ((await session.findTenantBySlug("acme")) === undefined) {
      await session.createTenant({ id: "t1", slug: "acme", created: new Date().toISOString() }).catch(() => undefined);
    }
    const at = new Date().toISOString();
    await session.insertResource({ tenantId: "t1", id: id ?? "", kind: "User", document: { userName }, created: at, lastModified: at, version: 1 });
  });
  process.stdout.write("won");
} catch (error) {
  process.stdout.write(error instanceof Error ? error.name : "unknown");
} finally {
  await store.close();
}
