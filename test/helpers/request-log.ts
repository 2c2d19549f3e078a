import type { RequestLogEntry, Store } from "../../src/store/store.js";

/** Writes request-log entries through a sink of the store's, as the server does, and closes it. */
export async function appendLog(store: Store, ...entries: RequestLogEntry[]): Promise<void> {
  const sink = store.openRequestLogSink();
  try {
    await sink.write(entries, [], { authenticated: Number.MAX_SAFE_INTEGER, unauthenticated: Number.MAX_SAFE_INTEGER });
  } finally {
    await sink.close();
  }
}
