import type { TestTenant } from "../helpers/roster.js";

export const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
export const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/** Creates a user and returns its id; fails loudly when the server does not answer 201. */
export async function createUser(tenant: TestTenant, userName: string): Promise<string> {
  const response = await tenant.scim("/Users", { body: { schemas: [USER_SCHEMA], userName, active: true } });
  if (response.status !== 201) throw new Error(`POST /Users ${userName}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id as string;
}

export async function createGroup(tenant: TestTenant, displayName: string): Promise<string> {
  const response = await tenant.scim("/Groups", { body: { schemas: [GROUP_SCHEMA], displayName } });
  if (response.status !== 201) throw new Error(`POST /Groups ${displayName}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.id as string;
}

/** Counts of each status, e.g. `{ 201: 1, 409: 49 }`. */
export function tally(statuses: readonly number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

/** `userName` of index `i` with every other letter's case flipped, so all variants collide case-insensitively. */
export function caseVariant(base: string, i: number): string {
  return [...base].map((char, at) => ((i >> at % 16) & 1 ? char.toUpperCase() : char.toLowerCase())).join("");
}
