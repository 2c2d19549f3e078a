import { call, drive, type LoadRequest } from "./load.js";
import type { TenantEndpoint } from "./servers/protocol.js";
import { MEMBER_GROUP_INDEX, type SeedSizes, type TenantKey, groupId, oktaUser, userId, userName, usersOf } from "./sizes.js";

const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/** Where a workload runs on one contender: its tenant endpoint and the seeded ids there. */
export interface Target {
  readonly contender: string;
  readonly tenant: TenantKey;
  readonly endpoint: TenantEndpoint;
  readonly sizes: SeedSizes;
  /** Bench state kept per contender across runs (member pools, added ids). */
  readonly state: Map<string, unknown>;
  /** Workloads the contender is known not to support (contenders.ts); membership is not read back where GET /Groups/{id} cannot. */
  readonly limitations: Readonly<Record<string, string>>;
}

export interface RunSettings {
  readonly durationSec: number;
  readonly run: number;
}

export interface Measurement {
  readonly value: number;
  readonly p99Ms?: number;
  /** Why the answers were wrong; undefined when every answer was as expected. */
  readonly error?: string;
}

export interface Workload {
  readonly id: string;
  readonly label: string;
  readonly unit: "req/s" | "ms" | "s";
  /** Tenants to run on, in order of preference; the first the contender has seeded is used. */
  readonly tenants: readonly TenantKey[];
  /** Measured on the first run only (a sequential walk through the whole tenant). */
  readonly once?: boolean;
  /** Runs in a process started for it alone (peak RSS is then the workload's). */
  readonly fresh?: boolean;
  /** One request checked before measuring: undefined when right, else what was wrong. */
  verify(target: Target): Promise<string | undefined>;
  measure(target: Target, settings: RunSettings): Promise<Measurement>;
}

export function seededUsers(target: Target): number {
  return target.endpoint.userIds?.length ?? usersOf(target.sizes, target.tenant);
}

export function userAt(target: Target, index: number): string {
  return target.endpoint.userIds?.[index] ?? userId(target.tenant, index);
}

function groupAt(target: Target, index: number): string {
  return target.endpoint.groupIds?.[index] ?? groupId(target.tenant, index);
}

function randomIndex(target: Target): number {
  return Math.floor(Math.random() * seededUsers(target));
}

function unexpected(result: { unexpected: Readonly<Record<string, number>> }): string | undefined {
  const entries = Object.entries(result.unexpected);
  return entries.length === 0 ? undefined : `unexpected answers: ${entries.map(([code, n]) => `${n} × ${code}`).join(", ")}`;
}

async function rate(target: Target, settings: RunSettings, next: () => LoadRequest, expect: readonly number[], connections = 10, amount?: number): Promise<Measurement> {
  const result = await drive(target.endpoint, next, { connections, durationSec: settings.durationSec, expect, ...(amount === undefined ? {} : { amount }) });
  const error = unexpected(result);
  return { value: result.rate, p99Ms: result.p99Ms, ...(error === undefined ? {} : { error }) };
}

function lookup(target: Target, index: number): LoadRequest {
  return { method: "GET", path: `/Users?filter=${encodeURIComponent(`userName eq "${userName(target.tenant, index)}"`)}` };
}

function profileUpdate(target: Target, index: number, run: number): LoadRequest {
  const body = { ...oktaUser(userName(target.tenant, index), index), title: `Title ${run}-${Math.random().toString(36).slice(2, 8)}` };
  return { method: "PUT", path: `/Users/${userAt(target, index)}`, body: { ...body, id: userAt(target, index) } };
}

function deactivate(target: Target, index: number): LoadRequest {
  return { method: "PATCH", path: `/Users/${userAt(target, index)}`, body: { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] } };
}

let createSerial = 0;
function create(target: Target): LoadRequest {
  const serial = ++createSerial;
  const name = `bench-${process.pid}-${Date.now().toString(36)}-${serial}@example.com`;
  return { method: "POST", path: "/Users", body: oktaUser(name, serial) };
}

function addMember(target: Target, group: string, member: string): LoadRequest {
  return { method: "PATCH", path: `/Groups/${group}`, body: { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: member }] }] } };
}

function removeMember(target: Target, group: string, member: string): LoadRequest {
  return { method: "PATCH", path: `/Groups/${group}`, body: { schemas: [PATCH_OP], Operations: [{ op: "remove", path: `members[value eq "${member}"]` }] } };
}

function body(answer: { body: unknown }): Record<string, unknown> {
  return typeof answer.body === "object" && answer.body !== null ? (answer.body as Record<string, unknown>) : {};
}

function describe(answer: { status: number; body: unknown }): string {
  return `${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`;
}

async function verifyLookup(target: Target): Promise<string | undefined> {
  const answer = await call(target.endpoint, lookup(target, 3));
  const resources = body(answer)["Resources"];
  if (answer.status !== 200 || !Array.isArray(resources) || resources.length !== 1) return `lookup: expected one user, got ${describe(answer)}`;
  const found = resources[0] as Record<string, unknown>;
  return found["userName"] === userName(target.tenant, 3) && found["id"] === userAt(target, 3) ? undefined : `lookup: wrong user ${describe(answer)}`;
}

async function verifyStatus(target: Target, request: LoadRequest, expect: readonly number[]): Promise<string | undefined> {
  const answer = await call(target.endpoint, request);
  return expect.includes(answer.status) ? undefined : `${request.method} ${request.path}: ${describe(answer)}`;
}

/** Members of the tenant's member group as a GET answers them; undefined when the answer is not a group. */
async function membersOf(target: Target): Promise<{ count: number; status: number; text: string } | undefined> {
  const answer = await call(target.endpoint, { method: "GET", path: `/Groups/${groupAt(target, MEMBER_GROUP_INDEX)}` });
  const members = body(answer)["members"];
  if (answer.status !== 200) return undefined;
  return { count: Array.isArray(members) ? members.length : 0, status: answer.status, text: describe(answer) };
}

function memberGroupSize(target: Target): number {
  return target.tenant === "large" ? target.sizes.bigGroupMembers : target.sizes.smallGroupMembers;
}

/** Adds distinct users (never members yet) one per request; the remove workload takes them out again. */
function membershipWorkloads(id: string, label: string, tenant: TenantKey): Workload[] {
  const poolKey = `${id}:next`;
  const addedKey = `${id}:added`;
  return [
    {
      id: `${id}-add`,
      label: `add one member to a group of ${label} (PATCH)`,
      unit: "req/s",
      tenants: [tenant],
      async verify(target) {
        if (target.limitations["group-get"] === undefined) {
          const before = await membersOf(target);
          if (before === undefined || before.count !== memberGroupSize(target)) return `GET /Groups/{id}: expected ${memberGroupSize(target)} members, got ${before?.text ?? "no group"}`;
        }
        return undefined;
      },
      async measure(target, settings) {
        const first = (target.state.get(poolKey) as number | undefined) ?? memberGroupSize(target);
        const available = seededUsers(target) - first;
        const amount = Math.min(available, Math.max(50, Math.round(settings.durationSec * 250)));
        if (amount <= 0) return { value: Number.NaN, error: "no users left to add" };
        let next = first;
        const added: string[] = [];
        const group = groupAt(target, MEMBER_GROUP_INDEX);
        const measured = await rate(target, settings, () => {
          const member = userAt(target, next++);
          added.push(member);
          return addMember(target, group, member);
        }, [200, 204], 10, amount);
        target.state.set(poolKey, next);
        const queue = (target.state.get(addedKey) as string[][] | undefined) ?? [];
        queue.push(added);
        target.state.set(addedKey, queue);
        return measured;
      },
    },
    {
      id: `${id}-remove`,
      label: `remove one member from a group of ${label} (PATCH)`,
      unit: "req/s",
      tenants: [tenant],
      async verify() {
        return undefined;
      },
      async measure(target, settings) {
        const queue = (target.state.get(addedKey) as string[][] | undefined) ?? [];
        const members = queue.shift() ?? [];
        if (members.length === 0) return { value: Number.NaN, error: "nothing was added to remove" };
        const group = groupAt(target, MEMBER_GROUP_INDEX);
        let next = 0;
        const measured = await rate(target, settings, () => removeMember(target, group, members[next++ % members.length] ?? ""), [200, 204], 10, members.length);
        if (queue.length === 0) target.state.set(poolKey, memberGroupSize(target));
        const after = target.limitations["group-get"] === undefined ? await membersOf(target) : undefined;
        if (queue.length === 0 && after !== undefined && after.count !== memberGroupSize(target)) {
          return { ...measured, error: `after removing, the group has ${after.count} members instead of ${memberGroupSize(target)}` };
        }
        return measured;
      },
    },
  ];
}

async function pageThrough(target: Target, resource: "Users" | "Groups", count: number, extra: string): Promise<Measurement> {
  const total = resource === "Users" ? seededUsers(target) : target.endpoint.groupIds?.length ?? target.sizes.smallUsers;
  const started = performance.now();
  let seen = 0;
  for (let startIndex = 1; startIndex <= total; startIndex += count) {
    const answer = await call(target.endpoint, { method: "GET", path: `/${resource}?startIndex=${startIndex}&count=${count}${extra}` });
    const page = body(answer);
    const resources = page["Resources"];
    if (answer.status !== 200 || !Array.isArray(resources)) return { value: Number.NaN, error: `page at ${startIndex}: ${describe(answer)}` };
    if (resources.length > count) return { value: Number.NaN, error: `page at ${startIndex}: ${resources.length} resources for count=${count}` };
    if (extra.includes("excludedAttributes=members") && resources.some((r: Record<string, unknown>) => "members" in r && Array.isArray(r["members"]) && r["members"].length > 0)) {
      return { value: Number.NaN, error: "excludedAttributes=members still returned members" };
    }
    seen += resources.length;
    if (resources.length === 0) break;
  }
  const seconds = (performance.now() - started) / 1000;
  if (seen < total) return { value: seconds, error: `paged through ${seen} of ${total}` };
  return { value: seconds };
}

/** The tenant's management API as a load target (Roster only); undefined for a contender without one. */
function managementApi(target: Target): Target["endpoint"] | undefined {
  return target.endpoint.managementApi;
}

/** Reading the request log as a settings page does: the newest 100 entries of the `large` tenant (`query` filters them). */
function requestLogWorkload(id: string, label: string, query: string, check: (entry: Record<string, unknown>) => boolean): Workload {
  const request: LoadRequest = { method: "GET", path: `/requests?limit=100${query}` };
  return {
    id,
    label,
    unit: "req/s",
    tenants: ["large"],
    async verify(target) {
      const api = managementApi(target);
      if (api === undefined) return "no management API (request log) to read";
      const answer = await call(api, request);
      const data = body(answer)["data"];
      // The unfiltered page is full; a filtered one holds what the (tiny) seed has, at least one.
      if (answer.status !== 200 || !Array.isArray(data) || !(query === "" ? data.length === 100 : data.length > 0 && data.length <= 100)) return `expected ${query === "" ? "100" : "1 to 100"} entries, got ${describe(answer)}`;
      return data.every((entry: Record<string, unknown>) => check(entry)) ? undefined : `an entry does not match ${query}: ${describe(answer)}`;
    },
    async measure(target, settings) {
      const api = managementApi(target);
      if (api === undefined) return { value: Number.NaN, error: "no management API" };
      return rate({ ...target, endpoint: api }, settings, () => request, [200]);
    },
  };
}

export function workloads(): Workload[] {
  return [
    {
      id: "create",
      label: "create user (POST /Users, unique userName)",
      unit: "req/s",
      tenants: ["large", "small"],
      verify: (target) => verifyStatus(target, create(target), [201]),
      measure: (target, settings) => rate(target, settings, () => create(target), [201]),
    },
    {
      id: "lookup-10k",
      label: 'Okta lookup `filter=userName eq "…"`, 10 k users',
      unit: "req/s",
      tenants: ["small"],
      verify: verifyLookup,
      measure: (target, settings) => rate(target, settings, () => lookup(target, randomIndex(target)), [200]),
    },
    {
      id: "lookup-1m",
      label: 'Okta lookup `filter=userName eq "…"`, 1 M users',
      unit: "req/s",
      tenants: ["large"],
      verify: verifyLookup,
      measure: (target, settings) => rate(target, settings, () => lookup(target, randomIndex(target)), [200]),
    },
    {
      id: "get",
      label: "GET /Users/{id}, 1 M users",
      unit: "req/s",
      tenants: ["large"],
      verify: (target) => verifyStatus(target, { method: "GET", path: `/Users/${userAt(target, 5)}` }, [200]),
      measure: (target, settings) => rate(target, settings, () => ({ method: "GET", path: `/Users/${userAt(target, randomIndex(target))}` }), [200]),
    },
    {
      id: "put",
      label: "PUT /Users/{id} (Okta profile update), 1 M users",
      unit: "req/s",
      tenants: ["large", "small"],
      verify: (target) => verifyStatus(target, profileUpdate(target, 7, 0), [200]),
      measure: (target, settings) => rate(target, settings, () => profileUpdate(target, randomIndex(target), settings.run), [200]),
    },
    {
      id: "deactivate",
      label: "PATCH deactivate (Okta), 1 M users",
      unit: "req/s",
      tenants: ["large", "small"],
      verify: (target) => verifyStatus(target, deactivate(target, 8), [200, 204]),
      measure: (target, settings) => rate(target, settings, () => deactivate(target, randomIndex(target)), [200, 204]),
    },
    ...membershipWorkloads("member-10", "10", "small"),
    ...membershipWorkloads("member-100k", "100 k", "large"),
    {
      id: "group-get",
      label: "GET /Groups/{id}, 100 k members",
      unit: "ms",
      tenants: ["large"],
      fresh: true,
      async verify(target) {
        const answer = await membersOf(target);
        return answer !== undefined && answer.count === memberGroupSize(target) ? undefined : `expected ${memberGroupSize(target)} members, got ${answer?.text ?? "no group"}`;
      },
      async measure(target) {
        const started = performance.now();
        const answer = await call(target.endpoint, { method: "GET", path: `/Groups/${groupAt(target, MEMBER_GROUP_INDEX)}` });
        const ms = performance.now() - started;
        const members = body(answer)["members"];
        const count = Array.isArray(members) ? members.length : 0;
        return count === memberGroupSize(target) ? { value: ms } : { value: ms, error: `answered ${count} members of ${memberGroupSize(target)}` };
      },
    },
    {
      id: "groups-list",
      label: "list 10 k groups, excludedAttributes=members (count=1000 pages)",
      unit: "s",
      tenants: ["small"],
      once: true,
      async verify(target) {
        const answer = await call(target.endpoint, { method: "GET", path: "/Groups?excludedAttributes=members&startIndex=1&count=2" });
        const resources = body(answer)["Resources"];
        return answer.status === 200 && Array.isArray(resources) && resources.length === 2 ? undefined : `count=2 answered ${Array.isArray(resources) ? resources.length : "no"} resources`;
      },
      measure: (target) => pageThrough(target, "Groups", 1000, "&excludedAttributes=members"),
    },
    {
      id: "import",
      label: "Okta import: page through 100 k users, count=100",
      unit: "s",
      tenants: ["import"],
      once: true,
      async verify(target) {
        const answer = await call(target.endpoint, { method: "GET", path: "/Users?startIndex=1&count=100" });
        const page = body(answer);
        return answer.status === 200 && page["totalResults"] === seededUsers(target) ? undefined : `first page: ${describe(answer)}`;
      },
      measure: (target) => pageThrough(target, "Users", 100, ""),
    },
    requestLogWorkload("requests-list", "request log: newest 100 entries of one tenant, 1 M entries among 100 tenants (management API)", "", () => true),
    requestLogWorkload("requests-4xx", "request log: newest 100 4xx entries of that tenant (status=4xx)", "&status=4xx", (entry) => Number(entry["status"]) >= 400 && Number(entry["status"]) < 500),
    {
      id: "mixed",
      label: "mixed Okta day (70 % lookup, 15 % update, 10 % create, 5 % membership), 50 connections",
      unit: "req/s",
      tenants: ["large", "small"],
      verify: verifyLookup,
      async measure(target, settings) {
        const group = groupAt(target, MEMBER_GROUP_INDEX);
        const pool = memberGroupSize(target);
        const next = (): LoadRequest => {
          const dice = Math.random();
          const index = randomIndex(target);
          if (dice < 0.7) return lookup(target, index);
          if (dice < 0.85) return profileUpdate(target, index, settings.run);
          if (dice < 0.95) return create(target);
          // Re-adding a member the group already has: the seeded group stays as it was.
          return addMember(target, group, userAt(target, Math.floor(Math.random() * pool)));
        };
        return rate(target, settings, next, [200, 201, 204], 50);
      },
    },
  ];
}
