/**
 * The hint of a request-log entry: one sentence, in the words of the customer's IT admin who
 * set up the identity provider, on the likely cause of a failed SCIM request and what to do
 * about it (ADR 0032). Decided when the log is read, from what the log stores of the answer
 * (status, scimType, the error detail), so entries written before hints existed get theirs too.
 *
 * The table is keyed on the status, the scimType where it tells causes apart, and a stable part
 * of the detail Roster writes: the refusals of src/http/auth.ts (refusalMessage), the profile
 * rules (src/directory/profile-rules.ts, profile-sync.ts), the uniqueness refusals of
 * src/directory/resources.ts and the SCIM error catalogue's generic answers. A test feeds each
 * row its real detail (test/directory/request-hints.test.ts), and the API tests produce the
 * main ones end to end: a changed message that no longer matches fails there.
 */

export interface HintInput {
  readonly status: number;
  readonly scimType: string | null;
  readonly detail: string | null;
}

interface HintRule {
  readonly status: number;
  /** The entry's scimType must equal it; any when absent. */
  readonly scimType?: string;
  /** The detail starts with it (`prefix`) or holds it (`contains`); any detail when both are absent. */
  readonly prefix?: string;
  readonly contains?: string;
  readonly hint: string;
}

const WRONG_TOKEN =
  "The identity provider sent a token this tenant does not know (mistyped, cut short, or from another system): copy this tenant's SCIM token into the identity provider again, or create a new one.";

/** First match wins: specific rules before the generic answer of their status. */
export const HINT_RULES: readonly HintRule[] = [
  // 401: the token (src/http/auth.ts).
  {
    status: 401,
    prefix: "missing bearer token",
    hint: "The identity provider sent no token: enter this tenant's SCIM token in its provisioning settings (the \"API token\" or \"secret token\" field) and test the connection again.",
  },
  {
    status: 401,
    prefix: "this is a management API key",
    hint: "The identity provider was given a management API key (rosterkey_…) instead of a SCIM token: create a SCIM token for this tenant and enter that one in the identity provider.",
  },
  {
    status: 401,
    prefix: "the bearer token was revoked",
    hint: "The token entered in the identity provider was revoked: create a new SCIM token and replace the old one in the identity provider's provisioning settings.",
  },
  {
    status: 401,
    prefix: "the bearer token expired at",
    hint: "The token entered in the identity provider has expired: create a new SCIM token and replace the old one in the identity provider's provisioning settings.",
  },
  {
    status: 401,
    prefix: "the bearer token belongs to a user of the application who is deactivated",
    hint: "The token belongs to a user who is deactivated in the application: reactivate that user, or create a token without an owner and enter it in the identity provider.",
  },
  {
    status: 401,
    prefix: "the bearer token belonged to a user of the application who was deleted",
    hint: "The token belonged to a user who was deleted from the application, so it no longer works: create a new SCIM token and enter it in the identity provider.",
  },
  {
    status: 401,
    prefix: "the bearer token belongs to a user now managed by the identity provider",
    hint: "The token's owner is now a user managed by the identity provider, which cannot own a token: create a new SCIM token and enter it in the identity provider.",
  },
  {
    status: 401,
    prefix: "the bearer token is not valid for this SCIM base URL: it was issued for another tenant",
    hint: "The token belongs to another tenant: in the identity provider, enter this tenant's own token, or the SCIM base URL that was shown with the token entered.",
  },
  { status: 401, hint: WRONG_TOKEN },
  // 403: provisioning switched off.
  {
    status: 403,
    prefix: "SCIM provisioning is switched off for this tenant",
    hint: "SCIM sync is switched off for this tenant in the application: switch it back on in the application's SCIM settings; the identity provider's requests fail until then.",
  },
  {
    status: 403,
    prefix: "SCIM user sync is disabled for this tenant",
    hint: "SCIM user sync is turned off in this tenant's profile (sync.users: false): turn it back on in the profile; the identity provider's requests fail until then.",
  },
  // 400: values the tenant's profile refuses (src/directory/profile-rules.ts).
  {
    status: 400,
    contains: "names no entry of the application's",
    hint: "The identity provider sent a value the application has not declared (a role or another listed value, named in the detail): declare it in the application, or correct the value mapped in the identity provider.",
  },
  {
    status: 400,
    contains: "is not an allowed value; expected one of",
    hint: "The identity provider sent a value this attribute does not allow (the detail lists the allowed ones): correct the value or its mapping in the identity provider.",
  },
  {
    status: 400,
    contains: "is not in an allowed email domain of this tenant",
    hint: "The user's email address is outside the email domains this tenant allows: assign the application only to users of those domains, or add the domain to the tenant's profile.",
  },
  {
    status: 400,
    contains: "is not an email address; this tenant uses email addresses as user names",
    hint: "This tenant expects email addresses as user names: map the identity provider's username attribute to the user's email address.",
  },
  {
    status: 400,
    contains: "is not an IANA time zone",
    hint: "The time zone sent is not a standard (IANA) name such as Europe/Paris: correct the time zone mapping in the identity provider.",
  },
  // 400: attributes and paths the tenant does not have.
  {
    status: 400,
    contains: "unknown schema extension",
    hint: "The identity provider sent an extension schema this tenant does not declare: remove those attributes from its mappings, or declare them in the tenant's profile.",
  },
  {
    status: 400,
    contains: "unknown attribute",
    hint: "The identity provider sent an attribute this tenant does not declare (named in the detail): remove it from the identity provider's attribute mappings, or declare it in the tenant's profile.",
  },
  {
    status: 400,
    scimType: "invalidPath",
    hint: "The identity provider's update names an attribute path Roster cannot apply (named in the detail): check the attribute mappings of the provisioning app.",
  },
  {
    status: 400,
    scimType: "noTarget",
    hint: "The identity provider's update targets a value the user or group does not have: usually harmless once it resyncs; if it repeats, check the attribute mappings.",
  },
  {
    status: 400,
    scimType: "invalidFilter",
    hint: "The identity provider searched with a filter Roster cannot evaluate (the detail says where): match users on userName, externalId or email in its settings.",
  },
  {
    status: 400,
    scimType: "mutability",
    hint: "The identity provider tried to change an attribute that cannot be changed (the detail names it): remove it from the attribute mappings it updates.",
  },
  {
    status: 400,
    scimType: "invalidSyntax",
    hint: "The identity provider sent a request Roster could not read (the detail says what and where): check the attribute mappings; if they look right, report the request id to the application's support.",
  },
  // 409: uniqueness (src/directory/resources.ts).
  {
    status: 409,
    scimType: "uniqueness",
    hint: "A user with this userName already exists in the application: have the identity provider match existing users on userName (import or link them) instead of creating them, or rename or remove the existing user.",
  },
  // Other statuses: limits, availability.
  {
    status: 404,
    prefix: "no endpoint",
    hint: "The identity provider called a URL Roster does not serve: check that its SCIM base URL is exactly the one shown for this tenant (…/scim/v2/<tenant>).",
  },
  {
    status: 404,
    hint: "The identity provider refers to a user or group that no longer exists here (deleted in the application?): let it re-create or re-push it.",
  },
  {
    status: 412,
    hint: "The user or group changed since the identity provider last read it: it retries after reading it again; nothing to do unless this repeats.",
  },
  {
    status: 413,
    hint: "The request was larger than this server accepts: lower the batch size (users or members per request) in the identity provider, or ask the server's operator to raise the limit.",
  },
  {
    status: 415,
    hint: "The identity provider sent its request in a format other than JSON: check that the app is configured as a SCIM 2.0 connector.",
  },
  {
    status: 429,
    hint: "The identity provider sent more requests at once than this tenant may run: it retries after the time given in Retry-After; nothing to change unless it persists.",
  },
  {
    status: 503,
    hint: "The server or its database was briefly unavailable: the identity provider retries; if it persists, the server's operator should check its health.",
  },
  {
    status: 500,
    hint: "Roster failed on its side: the request is not the identity provider's fault; report its request id to the application's support.",
  },
];

function matches(rule: HintRule, input: HintInput): boolean {
  if (rule.status !== input.status) return false;
  if (rule.scimType !== undefined && rule.scimType !== input.scimType) return false;
  const detail = input.detail ?? "";
  if (rule.prefix !== undefined && !detail.startsWith(rule.prefix)) return false;
  if (rule.contains !== undefined && !detail.includes(rule.contains)) return false;
  return true;
}

/** The hint of an answered request: null for a success, and for a failure about which nothing useful can be said. */
export function hintFor(input: HintInput): string | null {
  if (input.status < 400) return null;
  return HINT_RULES.find((rule) => matches(rule, input))?.hint ?? null;
}
