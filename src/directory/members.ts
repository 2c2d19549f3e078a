import { ScimError } from "../scim/errors.js";
import { countCharacters, IDENTIFIER_MAX_LENGTH, isLongerThan } from "../scim/schema/limits.js";
import type { MemberRef, ResourceKind, StoreSession } from "../store/store.js";
import { type ScimVisibility, visibleManaged } from "./visibility.js";

/** A member as a client sends it: `{ value, type?, display? }`. */
export interface MemberInput {
  readonly value: string;
  readonly type?: string;
}

/** Reads a client's `members` value: an array of objects with a string `value`. */
export function parseMemberInputs(raw: unknown, where: string): MemberInput[] {
  if (raw === null || raw === undefined) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  return list.map((element, index) => {
    if (typeof element !== "object" || element === null || Array.isArray(element)) {
      throw new ScimError("invalidValue", `${where}[${index}]: expected an object with a "value", got ${JSON.stringify(element)}`);
    }
    const entries = Object.entries(element as Record<string, unknown>);
    const value = entries.find(([key]) => key.toLowerCase() === "value")?.[1];
    const type = entries.find(([key]) => key.toLowerCase() === "type")?.[1];
    if (typeof value !== "string" || value.length === 0) {
      throw new ScimError("invalidValue", `${where}[${index}].value: expected a non-empty string`);
    }
    // Refused before any SQL: PostgreSQL text cannot hold U+0000, so no id contains it.
    if (value.includes("\u0000")) {
      throw new ScimError("invalidValue", `${where}[${index}].value: no User or Group id contains the NUL character (U+0000)`);
    }
    // Refused before any SQL, and never echoed whole in "no User or Group with id … exists".
    if (isLongerThan(value, IDENTIFIER_MAX_LENGTH)) {
      throw new ScimError("invalidValue", `${where}[${index}].value: expected at most ${IDENTIFIER_MAX_LENGTH} characters, got ${countCharacters(value)}`);
    }
    if (type !== undefined && type !== null && typeof type !== "string") {
      throw new ScimError("invalidValue", `${where}[${index}].type: expected "User" or "Group"`);
    }
    return typeof type === "string" ? { value, type } : { value };
  });
}

/**
 * Checks that every member names a User or Group of the tenant that SCIM may see (an
 * unmanaged one is as absent as a missing one, docs/decisions/0009), and not the group
 * itself, and that a given `type` agrees with what the id names.
 */
export async function resolveMembers(
  session: StoreSession,
  tenantId: string,
  groupId: string,
  inputs: readonly MemberInput[],
  visibility?: ScimVisibility,
  isShadowed?: (userId: string) => Promise<boolean>,
): Promise<MemberRef[]> {
  if (inputs.length === 0) return [];
  const ids = [...new Set(inputs.map((input) => input.value))];
  const kinds = new Map(await session.findKinds(tenantId, ids, { managed: true }));
  if (visibleManaged(visibility, "User") === undefined) {
    for (const [id, kind] of await session.findKinds(tenantId, ids, { managed: false })) {
      // An unmanaged user a managed one of the same userName shadows is not visible (docs/decisions/0023).
      if (kind === "User" && !(await isShadowed?.(id))) kinds.set(id, kind);
    }
  }
  const seen = new Set<string>();
  const refs: MemberRef[] = [];
  for (const input of inputs) {
    if (input.value === groupId) {
      throw new ScimError("invalidValue", `members: a group cannot be a member of itself ("${input.value}")`);
    }
    const kind: ResourceKind | undefined = kinds.get(input.value);
    if (kind === undefined) {
      throw new ScimError("invalidValue", `members: no User or Group with id "${input.value}" exists`);
    }
    if (input.type !== undefined && input.type.toLowerCase() !== kind.toLowerCase()) {
      throw new ScimError("invalidValue", `members: "${input.value}" is a ${kind}, not a ${input.type}`);
    }
    if (seen.has(input.value)) continue;
    seen.add(input.value);
    refs.push({ id: input.value, kind });
  }
  return refs;
}
