import { ScimError } from "../scim/errors.js";
import type { ScimDocument, StoreSession } from "../store/store.js";
import { type DeclaredAttribute, namespaceUrn, type TenantProfile } from "./profiles.js";

/** The attribute's path as the IdP writes it: `role`, or `urn:…:User:user_type`. */
export function declaredPath(attribute: DeclaredAttribute): string {
  const urn = namespaceUrn(attribute.namespace);
  return urn === undefined ? attribute.name : `${urn}:${attribute.name}`;
}

function ownValue(record: unknown, name: string): unknown {
  if (typeof record !== "object" || record === null || Array.isArray(record)) return undefined;
  const lower = name.toLowerCase();
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === lower);
  return key === undefined ? undefined : (record as Record<string, unknown>)[key];
}

/** The value of a declared attribute in a (validated) User document; undefined when unassigned. */
export function declaredValue(document: ScimDocument, attribute: DeclaredAttribute): unknown {
  const urn = namespaceUrn(attribute.namespace);
  return ownValue(urn === undefined ? document : ownValue(document, urn), attribute.name);
}

/** The names one string value stands for: itself, or its comma-separated items; blank names nothing. */
export function declaredNames(attribute: DeclaredAttribute, value: unknown): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.flatMap((item) => {
    if (typeof item !== "string") return [];
    const parts = attribute.commaSeparated ? item.split(",") : [item];
    return parts.map((part) => part.trim()).filter((part) => part.length > 0);
  });
}

function invalid(attribute: DeclaredAttribute, detail: string): ScimError {
  return new ScimError("invalidValue", `attribute "${declaredPath(attribute)}": ${detail}`);
}

/**
 * Checks what a profile adds to type checking: allowed values (each item of a comma-separated
 * value on its own) and references to the application's lists (blank means "no restriction").
 * Runs inside the write's transaction so a list changed concurrently is seen consistently.
 * Throws ScimError("invalidValue") naming the attribute and the offending value.
 */
export async function assertProfileRules(
  profile: TenantProfile | undefined,
  session: StoreSession,
  tenantId: string,
  document: ScimDocument,
): Promise<void> {
  for (const attribute of profile?.attributes ?? []) {
    if (attribute.type !== "string") continue;
    const names = declaredNames(attribute, declaredValue(document, attribute));
    if (names.length === 0) continue;
    const allowed = attribute.allowedValues;
    if (allowed !== undefined) {
      const wrong = names.find((name) => !allowed.includes(name));
      if (wrong !== undefined) {
        const how = attribute.commaSeparated ? " (several are separated by commas)" : "";
        throw invalid(attribute, `${JSON.stringify(wrong)} is not an allowed value; expected one of ${allowed.join(", ")}${how}`);
      }
    }
    if (attribute.references !== undefined) {
      const list = attribute.references;
      const entries = await session.findList(tenantId, list);
      const wrong = names.find((name) => !(entries ?? []).includes(name));
      if (wrong !== undefined) {
        const known = entries === undefined ? `the application has not declared its ${list} yet` : `known: ${entries.slice(0, 20).join(", ") || "none"}`;
        throw invalid(attribute, `${JSON.stringify(wrong)} names no entry of the application's ${list} (${known}); names match exactly, and a blank value means full access`);
      }
    }
  }
}
