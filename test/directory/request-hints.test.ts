import { describe, expect, it } from "vitest";
import { HINT_RULES, hintFor } from "../../src/directory/request-hints.js";

// Each row: an answer as the request log stores it (details as Roster writes them) and a
// phrase of the hint it must get. The API tests produce the main ones from real requests.
const CASES: [number, string | null, string | null, string][] = [
  [401, null, "missing bearer token: send Authorization: Bearer <token>", "sent no token"],
  [401, null, 'this is a management API key (rosterkey_…), not a SCIM token: the SCIM API takes a bearer token from "roster tokens create" (roster_…)', "management API key"],
  [401, null, "the bearer token was revoked; create a new one (roster tokens create) and enter it in the identity provider", "was revoked"],
  [401, null, "the bearer token expired at 2027-01-01T00:00:00.000Z; create a new one (POST /api/v1/tenants/<slug>/scim-tokens or roster tokens create) and enter it in the identity provider", "has expired"],
  [401, null, "the bearer token belongs to a user of the application who is deactivated; it works again when that user is reactivated, or create a token without that owner", "deactivated in the application"],
  [401, null, "the bearer token belonged to a user of the application who was deleted; it no longer works: create a new token (roster tokens create)", "deleted from the application"],
  [401, null, "the bearer token belongs to a user now managed by the identity provider; a token's owner must be one of the application's own users: create a new token", "managed by the identity provider"],
  [401, null, "the bearer token is not valid for this SCIM base URL: it was issued for another tenant; use the SCIM base URL printed with it", "belongs to another tenant"],
  [401, null, "the bearer token is not valid for this SCIM base URL (unknown, revoked, or issued for another tenant)", "a token this tenant does not know"],
  [403, null, "SCIM provisioning is switched off for this tenant; switch it on in the application", "switched off for this tenant in the application"],
  [403, null, "SCIM user sync is disabled for this tenant (its profile sets sync.users: false); no request is accepted until it is enabled", "sync.users: false"],
  [400, "invalidValue", 'attribute "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:role_name": "Pilot" names no entry of the application\'s roles (known: Mechanic); names match exactly, and a blank value means full access', "has not declared"],
  [400, "invalidValue", 'attribute "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:user_type": "boss" is not an allowed value; expected one of admin, regular', "does not allow"],
  [400, "invalidValue", 'attribute "emails[0].value": "dana@elsewhere.org" is not in an allowed email domain of this tenant (example.com)', "email domains"],
  [400, "invalidValue", 'attribute "userName": "dana" is not an email address; this tenant uses email addresses as user names (e.g. dana@example.com)', "email addresses as user names"],
  [400, "invalidValue", 'attribute "timezone": "Mars/Olympus" is not an IANA time zone; expected a name such as Etc/UTC, Europe/Paris or America/New_York', "time zone"],
  [400, "invalidSyntax", 'unknown attribute "favouriteColour"', "does not declare"],
  [400, "invalidSyntax", 'unknown schema extension "urn:example:custom"', "extension schema"],
  [400, "invalidPath", 'path: unknown attribute "nickName2" in urn:ietf:params:scim:schemas:core:2.0:User', "does not declare"],
  [400, "invalidPath", 'bulk path "/Things" must be /Users, /Groups, /Users/{id} or /Groups/{id}', "attribute path"],
  [400, "noTarget", "no value matches the filter", "targets a value"],
  [400, "invalidFilter", 'filter: unexpected "eqq" at column 10', "filter Roster cannot evaluate"],
  [400, "mutability", "id is readOnly", "cannot be changed"],
  [400, "invalidSyntax", "the request body is not valid JSON: Unexpected token", "could not read"],
  [409, "uniqueness", "userName is already taken by another user of this tenant (userName is unique, ignoring case)", "already exists in the application"],
  [404, null, "no endpoint GET /scim/v2/acme/Userz", "SCIM base URL"],
  [404, null, 'User "42" not found', "no longer exists"],
  [412, null, "the resource changed", "changed since"],
  [413, null, "request body exceeds the limit of this endpoint (1048576 bytes)", "batch size"],
  [415, null, "send the body as application/scim+json or application/json", "JSON"],
  [429, null, "this tenant has 4 reads running and 32 waiting", "Retry-After"],
  [503, null, "the directory database is unavailable; retry shortly", "briefly unavailable"],
  [500, null, "an internal error occurred; it has been logged with this request's id", "request id"],
];

describe("hintFor", () => {
  it.each(CASES)("gives a %i %s answer its cause's hint", (status, scimType, detail, phrase) => {
    expect(hintFor({ status, scimType, detail })).toContain(phrase);
  });

  it("gives no hint to a success, and none where nothing useful can be said", () => {
    for (const status of [200, 201, 204, 304]) expect(hintFor({ status, scimType: null, detail: null })).toBeNull();
    expect(hintFor({ status: 405, scimType: null, detail: "PUT is not supported on /Users; use GET, POST" })).toBeNull();
    expect(hintFor({ status: 400, scimType: "tooMany", detail: "too many results" })).toBeNull();
  });

  it("uses every rule of its table for one of the causes above", () => {
    const used = new Set(CASES.map(([status, scimType, detail]) => hintFor({ status, scimType, detail })));
    for (const rule of HINT_RULES) expect(used.has(rule.hint), rule.hint).toBe(true);
  });

  it("writes each hint as one sentence", () => {
    for (const rule of HINT_RULES) expect(rule.hint, rule.hint).toMatch(/^[A-Z][^\n]*\.$/);
  });
});
