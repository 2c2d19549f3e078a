import type { SeedSizes, TenantKey } from "../sizes.js";

export type ContenderKind = "ceiling" | "roster" | "scimmy" | "jackson";

/** What the harness hands a contender's process (JSON in argv[2]). */
export interface ServerStart {
  readonly kind: ContenderKind;
  /** SQLite path or PostgreSQL URL (ceiling, roster). */
  readonly database: string;
  readonly sizes: SeedSizes;
  /** Roster: how many processes share the port (node:cluster). */
  readonly processes: number;
}

export interface TenantEndpoint {
  /** SCIM base URL, without a trailing slash. */
  readonly base: string;
  readonly token: string;
  /** Ids of seeded users and groups when the contender chose them itself (else sizes.ts ids). */
  readonly userIds?: readonly string[];
  readonly groupIds?: readonly string[];
  /** Roster only: the tenant's management API (`…/api/v1/tenants/<slug>`) and an API key of the tenant. */
  readonly managementApi?: { readonly base: string; readonly token: string };
}

export interface ServerReady {
  readonly url: string;
  readonly tenants: Partial<Record<TenantKey, TenantEndpoint>>;
}

export type ParentMessage = { readonly type: "rss" };
export type ChildMessage =
  | { readonly type: "ready"; readonly ready: ServerReady }
  | { readonly type: "rss"; readonly maxRssBytes: number }
  | { readonly type: "failed"; readonly message: string };

/** Tells the harness the server listens; answers its peak-RSS questions from then on. */
export function announce(ready: ServerReady): void {
  process.on("message", (message: ParentMessage) => {
    if (message.type === "rss") send({ type: "rss", maxRssBytes: process.resourceUsage().maxRSS * 1024 });
  });
  send({ type: "ready", ready });
}

export function send(message: ChildMessage): void {
  process.send?.(message);
}
