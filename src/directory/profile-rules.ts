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

function invalid(attribute: DeclaredAttribute, detail: string): string {
  return `attribute "${declaredPath(attribute)}": ${detail}`;
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

/**
 * What a write is judged against (docs/profiles.md, "Requests are judged on what they change").
 * On an update, `stored` is the stored document: a value the request leaves as stored is never
 * refused, even when the profile (or a list it references) no longer allows it, so that the
 * identity provider can always deactivate, reactivate and delete. Such a value is reported in
 * `notes` (the request log) instead. Without `stored` (a create) every value is judged.
 */
export interface RuleBaseline {
  readonly stored?: ScimDocument;
  readonly notes?: string[];
}

/** Reports, in the request log's notes, a value left as stored that the tenant's profile no longer allows (`detail` says why). */
export function noteKeptAsStored(notes: string[] | undefined, details: readonly string[] | undefined): void {
  for (const detail of details ?? []) notes?.push(`kept a stored value this tenant's profile no longer allows (the request does not change it): ${detail}`);
}

/** Refuses a value the request changes; reports one it leaves as stored. */
function judge(changed: boolean, detail: string, baseline: RuleBaseline | undefined): void {
  if (changed) throw new ScimError("invalidValue", detail);
  noteKeptAsStored(baseline?.notes, [detail]);
}

/** The email addresses a document holds (its emails' values, and a userName that is one), lower-cased. */
function storedAddresses(document: ScimDocument | undefined): Set<string> {
  const addresses = new Set<string>();
  if (document === undefined) return addresses;
  const emails = Array.isArray(document["emails"]) ? (document["emails"] as unknown[]) : [];
  for (const email of emails) {
    const value = ownValue(email, "value");
    if (typeof value === "string") addresses.add(value.toLowerCase());
  }
  const userName = document["userName"];
  if (typeof userName === "string") addresses.add(userName.toLowerCase());
  return addresses;
}

/**
 * Throws ScimError("invalidValue") when the document breaks an identity rule with a value it
 * changes (every value, without a stored document); reports the ones left as stored.
 */
export function assertIdentityRules(identity: IdentityRules, document: ScimDocument, baseline?: RuleBaseline): void {
  const stored = baseline?.stored;
  const userName = document["userName"];
  if (identity.userNameIsEmail && typeof userName === "string" && !EMAIL.test(userName)) {
    judge(
      stored === undefined || stored["userName"] !== userName,
      `attribute "userName": ${JSON.stringify(userName)} is not an email address; this tenant uses email addresses as user names (e.g. dana@example.com)`,
      baseline,
    );
  }
  const domains = identity.emailDomains;
  if (domains !== undefined) {
    const emails = Array.isArray(document["emails"]) ? (document["emails"] as unknown[]) : [];
    const addresses = [
      ...emails.map((email, index) => [`emails[${index}].value`, ownValue(email, "value")] as const),
      ...(typeof userName === "string" && userName.includes("@") ? [["userName", userName] as const] : []),
    ];
    const kept = storedAddresses(stored);
    for (const [where, address] of addresses) {
      if (typeof address !== "string") continue;
      const domain = EMAIL.exec(address)?.[1]?.toLowerCase();
      if (domain === undefined || !domains.includes(domain)) {
        judge(
          !kept.has(address.toLowerCase()),
          `attribute "${where}": ${JSON.stringify(address)} is not in an allowed email domain of this tenant (${domains.join(", ")})`,
          baseline,
        );
      }
    }
  }
  const timezone = document["timezone"];
  if (identity.timezones === "iana" && typeof timezone === "string" && !isTimeZone(timezone)) {
    judge(
      stored === undefined || stored["timezone"] !== timezone,
      `attribute "timezone": ${JSON.stringify(timezone)} is not an IANA time zone; expected a name such as Etc/UTC, Europe/Paris or America/New_York`,
      baseline,
    );
  }
}

/**
 * Applies a profile to a User document about to be written: fills defaults, checks identity
 * rules, then the declared attributes' rules; returns the document to store. On an update
 * (`baseline.stored`), only what the request changes is judged: a value equal to the stored
 * one (with the defaults the profile fills in) is kept and reported in `baseline.notes`.
 */
export async function applyProfileRules(
  profile: TenantProfile | undefined,
  session: Pick<StoreSession, "findList">,
  tenantId: string,
  document: ScimDocument,
  baseline?: RuleBaseline,
): Promise<ScimDocument> {
  if (profile === undefined) return document;
  const completed = applyDefaults(profile, document);
  // A default the profile fills in is Roster's change, not the request's: compare with the stored document completed the same way.
  const judged: RuleBaseline | undefined =
    baseline?.stored === undefined ? baseline : { ...baseline, stored: applyDefaults(profile, baseline.stored) };
  assertIdentityRules(profile.identity, completed, judged);
  await assertProfileRules(profile, session, tenantId, completed, judged);
  return completed;
}

/**
 * Checks what a profile adds to type checking: allowed values (each item of a comma-separated
 * value on its own) and references to the application's lists (blank means "no restriction").
 * Runs inside the write's transaction so a list changed concurrently is seen consistently.
 * Throws ScimError("invalidValue") naming the attribute and the offending value, for a value
 * the request changes: a name the attribute already held in `baseline.stored` is reported instead.
 */
export async function assertProfileRules(
  profile: TenantProfile | undefined,
  session: Pick<StoreSession, "findList">,
  tenantId: string,
  document: ScimDocument,
  baseline?: RuleBaseline,
): Promise<void> {
  for (const attribute of profile?.attributes ?? []) {
    if (attribute.type !== "string") continue;
    const names = declaredNames(attribute, declaredValue(document, attribute));
    if (names.length === 0) continue;
    const stored = baseline?.stored;
    const kept = new Set(stored === undefined ? [] : declaredNames(attribute, declaredValue(stored, attribute)));
    const allowed = attribute.allowedValues;
    if (allowed !== undefined) {
      for (const wrong of names.filter((name) => !allowed.includes(name))) {
        const how = attribute.commaSeparated ? " (several are separated by commas)" : "";
        judge(!kept.has(wrong), invalid(attribute, `${JSON.stringify(wrong)} is not an allowed value; expected one of ${allowed.join(", ")}${how}`), baseline);
      }
    }
    if (attribute.references !== undefined) {
      const list = attribute.references;
      const entries = await session.findList(tenantId, list);
      for (const wrong of names.filter((name) => !(entries ?? []).includes(name))) {
        const known = entries === undefined ? `the application has not declared its ${list} yet` : `known: ${entries.slice(0, 20).join(", ") || "none"}`;
        judge(
          !kept.has(wrong),
          invalid(attribute, `${JSON.stringify(wrong)} names no entry of the application's ${list} (${known}); names match exactly, and a blank value means full access`),
          baseline,
        );
      }
    }
  }
}
