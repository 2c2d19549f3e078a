import { ScimError } from "../scim/errors.js";
import type { ScimDocument, StoreSession } from "../store/store.js";
import { type DeclaredAttribute, type IdentityRules, namespaceUrn, type TenantProfile } from "./profiles.js";
import { isTimeZone } from "./time-zones.js";

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

const EMAIL = /^[^\s@]+@([^\s@]+\.[^\s@]+)$/;

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

/** The document with `identity.defaults` filled in where the attribute is missing or blank. */
export function applyDefaults(profile: TenantProfile, document: ScimDocument): ScimDocument {
  let next: Record<string, unknown> | undefined;
  for (const [name, value] of Object.entries(profile.identity.defaults)) {
    const declared = profile.attributes.find((attribute) => attribute.name === name);
    const urn = declared === undefined ? undefined : namespaceUrn(declared.namespace);
    if (urn === undefined) {
      if (!isBlank(ownValue(next ?? document, name))) continue;
      next = { ...(next ?? document), [name]: value };
    } else {
      const current = next ?? document;
      const extension = ownValue(current, urn);
      if (!isBlank(ownValue(extension, name))) continue;
      const base = typeof extension === "object" && extension !== null ? (extension as Record<string, unknown>) : {};
      const schemas = Array.isArray(current["schemas"]) ? (current["schemas"] as unknown[]) : [];
      next = { ...current, [urn]: { ...base, [name]: value }, ...(schemas.includes(urn) ? {} : { schemas: [...schemas, urn] }) };
    }
  }
  return next ?? document;
}

/** Throws ScimError("invalidValue") when the document breaks an identity rule. */
export function assertIdentityRules(identity: IdentityRules, document: ScimDocument): void {
  const userName = document["userName"];
  if (identity.userNameIsEmail && typeof userName === "string" && !EMAIL.test(userName)) {
    throw new ScimError("invalidValue", `attribute "userName": ${JSON.stringify(userName)} is not an email address; this tenant uses email addresses as user names (e.g. dana@example.com)`);
  }
  const domains = identity.emailDomains;
  if (domains !== undefined) {
    const emails = Array.isArray(document["emails"]) ? (document["emails"] as unknown[]) : [];
    const addresses = [
      ...emails.map((email, index) => [`emails[${index}].value`, ownValue(email, "value")] as const),
      ...(typeof userName === "string" && userName.includes("@") ? [["userName", userName] as const] : []),
    ];
    for (const [where, address] of addresses) {
      if (typeof address !== "string") continue;
      const domain = EMAIL.exec(address)?.[1]?.toLowerCase();
      if (domain === undefined || !domains.includes(domain)) {
        throw new ScimError("invalidValue", `attribute "${where}": ${JSON.stringify(address)} is not in an allowed email domain of this tenant (${domains.join(", ")})`);
      }
    }
  }
  const timezone = document["timezone"];
  if (identity.timezones === "iana" && typeof timezone === "string" && !isTimeZone(timezone)) {
    throw new ScimError("invalidValue", `attribute "timezone": ${JSON.stringify(timezone)} is not an IANA time zone; expected a name such as Etc/UTC, Europe/Paris or America/New_York`);
  }
}

/**
 * Applies a profile to a User document about to be written: fills defaults, checks identity
 * rules, then the declared attributes' rules; returns the document to store.
 */
export async function applyProfileRules(
  profile: TenantProfile | undefined,
  session: StoreSession,
  tenantId: string,
  document: ScimDocument,
): Promise<ScimDocument> {
  if (profile === undefined) return document;
  const completed = applyDefaults(profile, document);
  assertIdentityRules(profile.identity, completed);
  await assertProfileRules(profile, session, tenantId, completed);
  return completed;
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
