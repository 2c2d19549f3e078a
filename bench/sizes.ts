/** How many rows each seeded tenant holds. `small` serves the 10 k workloads, `large` the 1 M ones. */
export interface SeedSizes {
  /** Users of the `small` tenant (Okta lookup "at 10 k"); also its number of groups. */
  readonly smallUsers: number;
  /** Members of the small group (a group of the `small` tenant). */
  readonly smallGroupMembers: number;
  /** Users of the `large` tenant (lookup and get-by-id "at 1 M"). */
  readonly largeUsers: number;
  /** Members of the big group of the `large` tenant. */
  readonly bigGroupMembers: number;
  /** Users of the `import` tenant, paged through by the Okta import workload. */
  readonly importUsers: number;
  /** Request-log entries in all, half of them the `large` tenant's, the rest spread over `requestLogTenants` other tenants. */
  readonly requestLogEntries: number;
  readonly requestLogTenants: number;
}

export const FULL_SIZES: SeedSizes = {
  smallUsers: 10_000,
  smallGroupMembers: 10,
  largeUsers: 1_000_000,
  bigGroupMembers: 100_000,
  importUsers: 100_000,
  requestLogEntries: 1_000_000,
  requestLogTenants: 100,
};

export const QUICK_SIZES: SeedSizes = {
  smallUsers: 2_000,
  smallGroupMembers: 10,
  largeUsers: 20_000,
  bigGroupMembers: 10_000,
  importUsers: 5_000,
  requestLogEntries: 100_000,
  requestLogTenants: 20,
};

export const TINY_SIZES: SeedSizes = {
  smallUsers: 60,
  smallGroupMembers: 10,
  largeUsers: 1_600,
  // Over one page of members (1 000), so the paged group writer is exercised.
  bigGroupMembers: 1_500,
  importUsers: 150,
  requestLogEntries: 400,
  requestLogTenants: 3,
};

export type TenantKey = "small" | "large" | "import";

export const TENANT_KEYS: readonly TenantKey[] = ["small", "large", "import"];

export function usersOf(sizes: SeedSizes, tenant: TenantKey): number {
  return tenant === "small" ? sizes.smallUsers : tenant === "large" ? sizes.largeUsers : sizes.importUsers;
}

/** A short stable key naming a seed, used in cache file and database names. */
export function sizesKey(sizes: SeedSizes): string {
  return [sizes.smallUsers, sizes.smallGroupMembers, sizes.largeUsers, sizes.bigGroupMembers, sizes.importUsers, sizes.requestLogEntries, sizes.requestLogTenants].join("_");
}

const TENANT_DIGIT: Readonly<Record<TenantKey, string>> = { small: "1", large: "2", import: "3" };

/** Deterministic UUID-shaped ids, so every contender and the load generator agree without a lookup. */
export function userId(tenant: TenantKey, index: number): string {
  return `${TENANT_DIGIT[tenant]}0000000-0000-4000-8000-${index.toString(16).padStart(12, "0")}`;
}

export function groupId(tenant: TenantKey, index: number): string {
  return `${TENANT_DIGIT[tenant]}0000000-0000-4000-9000-${index.toString(16).padStart(12, "0")}`;
}

export function userName(tenant: TenantKey, index: number): string {
  return `${tenant}.user${index}@example.com`;
}

/** The group of `smallGroupMembers` (small tenant) and of `bigGroupMembers` (large tenant) is group 0 of its tenant. */
export const MEMBER_GROUP_INDEX = 0;

/** A user as Okta creates it (POST /Users body). */
export function oktaUser(name: string, index: number): Record<string, unknown> {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
    userName: name,
    name: { givenName: `Given${index}`, familyName: `Family${index}` },
    emails: [{ primary: true, value: name, type: "work" }],
    displayName: `Given${index} Family${index}`,
    locale: "en-US",
    externalId: `00u${index.toString(36).padStart(8, "0")}`,
    active: true,
  };
}

export function groupBody(tenant: TenantKey, index: number): Record<string, unknown> {
  return { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: `${tenant} group ${index}` };
}
