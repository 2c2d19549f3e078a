// A separate process for request-log-thread.test.ts: writes two request-log entries to the
// database at argv[2] through a sink it never awaits nor closes, then ends its script.
import { openStore } from "../../src/store/open-store.js";

const at = new Date().toISOString();
const store = await openStore(process.argv[2] ?? "");
const entry = (requestId: string) => ({ tenantId: "t1", requestId, at, method: "GET", path: "/scim/v2/acme/Users", status: 200, durationMs: 1, scimType: null, errorDetail: null, userAgent: null, requestBody: null });
void store.openRequestLogSink().write([entry("child1"), entry("child2")], [], { authenticated: 10, unauthenticated: 10 });
