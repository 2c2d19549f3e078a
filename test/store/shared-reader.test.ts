import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import { resource } from "./fixtures.js";

// On a SQLite file every Store.read shares the read connection (SharedReader in
// direct-sqlite.ts) instead of taking it one read at a time; a snapshot on that connection
// (a transaction) runs alone. These tests pin what that must keep: reads overlap, a read
// never runs inside someone's snapshot (it would miss what was committed after the
// snapshot began), a snapshot sees no read's work midway, and a failed read frees the way.

const directory = mkdtempSync(join(tmpdir(), "roster-shared-reader-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));
let n = 0;

const TENANT = "t1";
const CREATED = "2026-01-01T00:00:00.000Z";

async function storeWithUser(): Promise<Store> {
  const store = await openStore(join(directory, `db-${++n}`, "roster.db"), { migrate: true });
  await store.transaction(async (session) => {
    await session.createTenant({ id: TENANT, slug: "acme", created: CREATED });
    await session.insertResource(resource(TENANT, "User", "u1", { userName: "first" }));
  });
  return store;
}

function gate(): { opened: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Settles pending promise jobs and one turn of the event loop. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("Store.read on a SQLite file (shared read connection)", () => {
  it("runs reads side by side: a read waiting midway does not hold the next one back", async () => {
    const store = await storeWithUser();
    try {
      const held = gate();
      const order: string[] = [];
      const slow = store.read(async (session) => {
        order.push("slow: first statement");
        await session.findResource(TENANT, "User", "u1");
        await held.opened;
        order.push("slow: after waiting");
        return (await session.findResource(TENANT, "User", "u1"))?.document["userName"];
      });
      const fast = await store.read(async (session) => {
        order.push("fast");
        return (await session.findResource(TENANT, "User", "u1"))?.document["userName"];
      });
      expect(fast).toBe("first");
      held.open();
      expect(await slow).toBe("first");
      expect(order).toEqual(["slow: first statement", "fast", "slow: after waiting"]);
    } finally {
      await store.close();
    }
  });

  it("holds a read back while a snapshot is open on the connection, then reads what was committed meanwhile", async () => {
    const store = await storeWithUser();
    try {
      await store.read((session) => session.findResource(TENANT, "User", "u1"));
      const held = gate();
      let snapshotSaw: unknown;
      const snapshot = store.snapshot(async (session) => {
        const before = await session.findResource(TENANT, "User", "u2");
        await held.opened;
        snapshotSaw = before ?? (await session.findResource(TENANT, "User", "u2"));
      });
      await turn();
      await store.transaction((session) => session.insertResource(resource(TENANT, "User", "u2", { userName: "second" })));
      let readDone = false;
      const read = store.read((session) => session.findResource(TENANT, "User", "u2")).finally(() => (readDone = true));
      await turn();
      await turn();
      // Inside the snapshot's transaction it would find nothing; it waits instead.
      expect(readDone).toBe(false);
      held.open();
      await snapshot;
      // The snapshot began before the insert: it keeps its view to the end.
      expect(snapshotSaw).toBeUndefined();
      expect((await read)?.document["userName"]).toBe("second");
    } finally {
      await store.close();
    }
  });

  it("starts a snapshot only after the reads under way have finished", async () => {
    const store = await storeWithUser();
    try {
      await store.read((session) => session.findResource(TENANT, "User", "u1"));
      const held = gate();
      const order: string[] = [];
      const read = store.read(async (session) => {
        await session.findResource(TENANT, "User", "u1");
        await held.opened;
        order.push("read ends");
      });
      await turn();
      const snapshot = store.snapshot(async (session) => {
        order.push("snapshot begins");
        await session.findResource(TENANT, "User", "u1");
      });
      await turn();
      expect(order).toEqual([]);
      held.open();
      await Promise.all([read, snapshot]);
      expect(order).toEqual(["read ends", "snapshot begins"]);
    } finally {
      await store.close();
    }
  });

  it("frees the connection when a read fails, synchronously or not", async () => {
    const store = await storeWithUser();
    try {
      await expect(store.read(async () => Promise.reject(new Error("read failed")))).rejects.toThrow("read failed");
      await expect(
        store.read(() => {
          throw new Error("thrown at once");
        }),
      ).rejects.toThrow("thrown at once");
      // A snapshot would wait for ever behind a read that was never counted out.
      const found = await store.snapshot((session) => session.findResource(TENANT, "User", "u1"));
      expect(found?.document["userName"]).toBe("first");
      expect((await store.read((session) => session.findResource(TENANT, "User", "u1")))?.id).toBe("u1");
    } finally {
      await store.close();
    }
  });
});
