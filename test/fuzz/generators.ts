import fc from "fast-check";
import { API_ROUTES } from "../../src/http/api-routes.js";

// Generated hostile input for every SCIM and management API endpoint, shared by the suite's
// bounded run (test/fuzz/hostile-input.test.ts) and the release run (`npm run fuzz`).
// A generated request is a plan: plain data that names tenants, credentials and ids by
// role and index, so that fast-check can print and shrink it; `materialize` (harness.ts)
// turns it into bytes against the fixture of the running server.

const USER = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/** Whose credentials a request carries. `own` is the tenant's own SCIM token (SCIM) or its API key (management API). */
export type Credential =
  | "own"
  | "otherTenant"
  | "scimToken"
  | "tenantKey"
  | "adminKey"
  | "none"
  | "garbage"
  | "bearerBearer"
  | { readonly raw: string };

/** An id in a path: one the fixture created (by kind and index, of this tenant or another), or a hostile one. */
export type IdRef =
  | { readonly known: "user" | "group" | "webhook"; readonly index: number; readonly otherTenant: boolean }
  | { readonly raw: string }
  | { readonly encoded: string };

export type BodyPlan =
  | { readonly json: unknown }
  | { readonly text: string }
  | { readonly bytes: readonly number[] }
  | { readonly deep: { readonly depth: number; readonly shape: "array" | "object" | "patchValue" | "bulkData" | "filterParens" } };

export interface RequestPlan {
  readonly api: "scim" | "management" | "raw";
  /** Index of the fixture tenant the URL names, or a hostile slug. */
  readonly tenant: number | { readonly slug: string };
  readonly method: string;
  /** The path below the tenant's base (`/Users/{id}`), or the whole path for `raw`. */
  readonly path: string;
  readonly id: IdRef;
  /** A second id (`{userId}` of a member, or an id referenced in a body as `{ref}`). */
  readonly id2: IdRef;
  /** Query parameters, each encoded with encodeURIComponent unless `rawQuery` is set. */
  readonly query: readonly (readonly [string, string])[];
  readonly rawQuery: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly credential: Credential;
  readonly body: BodyPlan | undefined;
}

// ---------------------------------------------------------------------------------------
// Strings

/**
 * encodeURIComponent, except that a lone surrogate is written as the three bytes a
 * careless encoder (WTF-8) would send (`%ED%A0%80`) instead of throwing: that is input too.
 */
export function percentEncode(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((byte) => `%${byte.toString(16).toUpperCase()}`).join("");
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}


/** Strings that broke parsers, databases and log writers somewhere, and some that should not. */
const ODD_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "a\udc00b",
  "\udbff\udfff",
  "\ud83d\ude00",
  "\u202egnp.exe",
  "e\u0301\u0301\u0301",
  "\ufeff",
  "\uffff",
  "\u2028\u2029",
  "\r\n",
  "%",
  "%00",
  "%zz",
  "%ed%a0%80",
  "'; drop table resources; --",
  "' or '1'='1",
  '"',
  "\\",
  "\\u0000",
  "null",
  "true",
  "0",
  "-0",
  "1e309",
  "NaN",
  "__proto__",
  "constructor",
  "${jndi:ldap://127.0.0.1/x}",
  "<script>alert(1)</script>",
  "../../etc/passwd",
  "*",
  "%s%s%s%n",
  "\u0130stanbul",
  "ǅ",
  "ß",
  "İ",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
  "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǫ̗",
] as const;

/**
 * Long values for length limits, index rows and memory: pseudo-random characters from one
 * alphabet (a repeated character compresses, and PostgreSQL's index limit is on the compressed row).
 */
const ALPHABETS = ["abcdefghijklmnopqrstuvwxyz0123456789", "éàüßøæœçñ", "😀🎉🚀𝔘𝔫", "a\u0000b\u0301\u202e", "ab\ud800"] as const;
const longString = fc
  .record({
    alphabet: fc.constantFrom(...ALPHABETS),
    seed: fc.integer({ min: 1, max: 2 ** 30 }),
    length: fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 90, max: 300 }) }, { weight: 4, arbitrary: fc.integer({ min: 2_000, max: 12_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 300_000 }) }),
  })
  .map(({ alphabet, seed, length }) => {
    const units = [...alphabet];
    let state = seed;
    let out = "";
    while (out.length < length) {
      state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
      out += units[state % units.length];
    }
    return out;
  });

/** Odd strings short enough for a URL or a filter (a long query is Node's 431, before Roster sees it). */
export const shortHostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...ODD_STRINGS) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom("\ud800", "\udfff", "a", "\u0000", "\u0301", "\u202e"), maxLength: 12 }) },
);

/** Odd strings, long ones included (length limits, index rows, memory). */
export const hostileString: fc.Arbitrary<string> = fc.oneof({ weight: 4, arbitrary: shortHostileString }, { weight: 1, arbitrary: longString });

/** A plausible name: what the valid requests use, so that state builds up. */
const plainName = fc.stringMatching(/^[a-z][a-z0-9]{2,10}$/);
const emailLike = fc.tuple(plainName, fc.integer({ min: 0, max: 99_999 })).map(([name, n]) => `${name}.${n}@example.com`);

// ---------------------------------------------------------------------------------------
// JSON values

const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, 1e308, -1e308, 2 ** 53 + 1, Number.MIN_VALUE));

/** Any JSON value, leaves hostile; modestly deep (deep ones come from `deep`). */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 4, depthIdentifier: "json" },
    hostileString,
    number,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.oneof(hostileString, fc.constantFrom("value", "type", "primary", "$ref", "display", "schemas", "id", "meta")), tie("value"), { maxKeys: 5 }),
  ),
})).value;

/** A value in a valid slot, hostile or wrongly typed half of the time. */
function maybeHostile<T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 3, arbitrary: valid }, { weight: 2, arbitrary: hostileJson }, { weight: 1, arbitrary: hostileString });
}

// ---------------------------------------------------------------------------------------
// Filters and attribute paths

const ATTRIBUTES = [
  "userName",
  "displayName",
  "externalId",
  "id",
  "active",
  "title",
  "nickName",
  "name.givenName",
  "name.familyName",
  "emails",
  "emails.value",
  "emails.type",
  "emails.primary",
  "phoneNumbers.value",
  "members",
  "members.value",
  "groups",
  "meta.created",
  "meta.lastModified",
  "meta.resourceType",
  `${USER}:userName`,
  `${ENTERPRISE}:employeeNumber`,
  `${ENTERPRISE}:manager.value`,
  "urn:unknown:schema:attr",
  "nosuch",
  "name.nosuch",
  "emails.value.deeper",
  "a.b.c.d",
  "",
  "1abc",
  "user-name",
] as const;

export const attributePath: fc.Arbitrary<string> = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ATTRIBUTES) }, { weight: 1, arbitrary: shortHostileString });

const OPERATORS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "EQ", "Sw", "eqq", "==", "like", "in", ""] as const;

const comparisonValue: fc.Arbitrary<string> = fc.oneof(
  shortHostileString.map((s) => JSON.stringify(s)),
  fc.constantFrom("true", "false", "null", "1", "-1.5e10", '"2024-01-01T00:00:00Z"', '"unterminated', "'single'", "bare", '"\\"', '"\\ud800"', '"\\u0000"'),
  number.map((n) => String(n)),
);

const comparison: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(attributePath, fc.constantFrom(...OPERATORS), comparisonValue).map(([a, op, v]) => `${a} ${op} ${v}`) },
  { weight: 1, arbitrary: attributePath.map((a) => `${a} pr`) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom("emails", "members", "phoneNumbers", "addresses", "nosuch"), attributePath, fc.constantFrom(...OPERATORS), comparisonValue).map(([m, a, op, v]) => `${m}[${a.split(".").pop() ?? a} ${op} ${v}]`) },
);

/** A filter of the SCIM grammar, valid or nearly so, with hostile leaves. */
export const filter: fc.Arbitrary<string> = fc.letrec<{ f: string }>((tie) => ({
  f: fc.oneof(
    { maxDepth: 4, depthIdentifier: "filter" },
    comparison,
    fc.tuple(tie("f"), fc.constantFrom("and", "or", "AND", "Or", "xor"), tie("f")).map(([a, op, b]) => `${a} ${op} ${b}`),
    tie("f").map((f) => `not (${f})`),
    tie("f").map((f) => `(${f})`),
  ),
})).f;

/** Terms a filter may hold many of: valid, on indexed and unindexed attributes, with substring operators. */
const costlyTerm = fc.oneof(
  comparison,
  fc.constantFrom("id pr", "title pr", 'userName eq "x@example.com"', 'title ew "a"', 'nickName co "b"', 'emails[value ew "@x" or type co "w"]', 'emails.value sw "a"', 'displayName co "g"', "name.givenName pr"),
);

/** Filters built to cost: many terms, deep parentheses, long value paths, unbalanced input. */
export const expensiveFilter: fc.Arbitrary<string> = fc.oneof(
  fc.record({ terms: fc.oneof(fc.integer({ min: 50, max: 400 }), fc.integer({ min: 900, max: 1_200 })), op: fc.constantFrom("and", "or"), term: costlyTerm }).map(({ terms, op, term }) => Array.from({ length: terms }, () => term).join(` ${op} `)),
  fc.record({ depth: fc.integer({ min: 20, max: 3_000 }), term: costlyTerm }).map(({ depth, term }) => `${"(".repeat(depth)}${term}${")".repeat(depth)}`),
  fc.record({ depth: fc.integer({ min: 20, max: 3_000 }), term: comparison }).map(({ depth, term }) => `${"not (".repeat(depth)}${term}${")".repeat(depth)}`),
  fc.record({ terms: fc.integer({ min: 20, max: 400 }) }).map(({ terms }) => Array.from({ length: terms }, (_, i) => `emails[value ew "${i}@x" or type co "w"]`).join(" and ")),
  fc.integer({ min: 1, max: 5_000 }).map((n) => "(".repeat(n)),
  fc.integer({ min: 1, max: 5_000 }).map((n) => `userName eq "x"${")".repeat(n)}`),
);

// ---------------------------------------------------------------------------------------
// Bodies

const userDocument = fc.record(
  {
    schemas: fc.oneof({ weight: 5, arbitrary: fc.constant([USER]) }, { weight: 1, arbitrary: fc.constant([USER, ENTERPRISE]) }, { weight: 1, arbitrary: hostileJson }),
    userName: fc.oneof({ weight: 4, arbitrary: emailLike }, { weight: 2, arbitrary: hostileString }, { weight: 1, arbitrary: longString }, { weight: 1, arbitrary: hostileJson }),
    name: maybeHostile(fc.record({ givenName: plainName, familyName: plainName })),
    displayName: maybeHostile(plainName),
    nickName: hostileString,
    title: maybeHostile(plainName),
    externalId: maybeHostile(plainName),
    active: maybeHostile(fc.boolean()),
    emails: maybeHostile(fc.array(fc.record({ value: emailLike, type: fc.constantFrom("work", "home", "other"), primary: fc.boolean() }), { maxLength: 3 })),
    phoneNumbers: maybeHostile(fc.array(fc.record({ value: fc.constantFrom("+1 555 0100", "tel:+15550100"), type: fc.constant("work") }), { maxLength: 2 })),
    [ENTERPRISE]: maybeHostile(fc.record({ employeeNumber: plainName, manager: fc.record({ value: plainName }) })),
    password: maybeHostile(plainName),
    groups: hostileJson,
    meta: hostileJson,
    id: hostileString,
  },
  { requiredKeys: ["schemas", "userName"] },
);

/** A user Okta would send: how the fuzzer builds up users for the other requests to work on. */
const validUser = fc.record({ userName: emailLike, given: plainName, family: plainName, active: fc.boolean() }).map(({ userName, given, family, active }) => ({
  schemas: [USER],
  userName,
  name: { givenName: given, familyName: family },
  emails: [{ value: userName, type: "work", primary: true }],
  active,
}));

const memberList = fc.array(fc.oneof(fc.constant({ value: "{ref}" }), fc.record({ value: hostileString }), hostileJson), { maxLength: 4 });

const groupDocument = fc.record(
  {
    schemas: fc.oneof({ weight: 5, arbitrary: fc.constant([GROUP]) }, { weight: 1, arbitrary: hostileJson }),
    displayName: fc.oneof({ weight: 3, arbitrary: plainName }, { weight: 1, arbitrary: longString }, { weight: 2, arbitrary: hostileJson }),
    externalId: maybeHostile(plainName),
    members: fc.oneof({ weight: 3, arbitrary: memberList }, { weight: 1, arbitrary: hostileJson }),
  },
  { requiredKeys: ["schemas", "displayName"] },
);

const patchOperation = fc.record(
  {
    op: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("add", "replace", "remove", "Add", "Replace", "Remove") }, { weight: 1, arbitrary: hostileJson }),
    path: fc.oneof(
      { weight: 3, arbitrary: attributePath },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom("emails", "members", "phoneNumbers"), filter).map(([a, f]) => `${a}[${f}]`) },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom("emails", "members"), filter, attributePath).map(([a, f, s]) => `${a}[${f}].${s}`) },
      { weight: 1, arbitrary: fc.constantFrom('members[value eq "{ref}"]', "members", "active", "name.givenName", "password") },
      { weight: 1, arbitrary: hostileJson },
    ),
    value: fc.oneof(
      { weight: 2, arbitrary: hostileJson },
      { weight: 1, arbitrary: fc.constant([{ value: "{ref}" }]) },
      { weight: 1, arbitrary: fc.record({ active: fc.boolean(), displayName: plainName }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: fc.constantFrom("False", "True", false, true) },
    ),
  },
  { requiredKeys: ["op"] },
);

const patchBody = fc.record(
  {
    schemas: fc.oneof({ weight: 5, arbitrary: fc.constant([PATCH_OP]) }, { weight: 1, arbitrary: hostileJson }),
    Operations: fc.oneof({ weight: 5, arbitrary: fc.array(patchOperation, { minLength: 1, maxLength: 6 }) }, { weight: 1, arbitrary: hostileJson }),
  },
  { requiredKeys: [] },
);

const bulkOperation = fc.record(
  {
    method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("POST", "PUT", "PATCH", "DELETE") }, { weight: 1, arbitrary: hostileJson }),
    bulkId: fc.oneof({ weight: 3, arbitrary: fc.constantFrom("u1", "u2", "g1", "") }, { weight: 1, arbitrary: hostileJson }),
    path: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom("/Users", "/Groups", "/Users/{ref}", "/Groups/{ref}", "/Users/bulkId:u1", "/Groups/bulkId:g1") },
      { weight: 1, arbitrary: fc.constantFrom("/Users/%", "/Users/%zz", "/Users/%ed%a0%80", "/Users/%00", "/Users/a/b", "Users", "/Me", "/Bulk", "") },
      { weight: 1, arbitrary: hostileJson },
    ),
    version: fc.oneof(fc.constantFrom('W/"1"', '"x"'), hostileJson),
    data: fc.oneof(userDocument, groupDocument, patchBody, fc.constant({ schemas: [GROUP], displayName: "g", members: [{ value: "bulkId:u1" }, { value: "bulkId:u2" }] }), hostileJson),
  },
  { requiredKeys: ["method", "path"] },
);

const bulkBody = fc.oneof(
  fc.record(
    {
      schemas: fc.oneof({ weight: 5, arbitrary: fc.constant([BULK_REQUEST]) }, { weight: 1, arbitrary: hostileJson }),
      failOnErrors: maybeHostile(fc.integer({ min: 0, max: 3 })),
      Operations: fc.oneof({ weight: 5, arbitrary: fc.array(bulkOperation, { maxLength: 8 }) }, { weight: 1, arbitrary: hostileJson }),
    },
    { requiredKeys: ["schemas"] },
  ),
  // A chain of bulkId references: each group names the one before it.
  fc.integer({ min: 2, max: 120 }).map((length) => ({
    schemas: [BULK_REQUEST],
    Operations: Array.from({ length }, (_, i) => ({
      method: "POST",
      path: "/Groups",
      bulkId: `c${i}`,
      data: { schemas: [GROUP], displayName: `chain-${i}`, members: i === 0 ? [] : [{ value: `bulkId:c${i - 1}` }] },
    })),
  })),
);

const searchBody = fc.record(
  {
    schemas: fc.oneof({ weight: 5, arbitrary: fc.constant([SEARCH_REQUEST]) }, { weight: 1, arbitrary: hostileJson }),
    filter: fc.oneof({ weight: 4, arbitrary: filter }, { weight: 2, arbitrary: expensiveFilter }, { weight: 1, arbitrary: hostileJson }),
    startIndex: maybeHostile(fc.integer({ min: -5, max: 1_000 })),
    count: maybeHostile(fc.integer({ min: -5, max: 2_000 })),
    sortBy: maybeHostile(attributePath),
    sortOrder: maybeHostile(fc.constantFrom("ascending", "descending")),
    attributes: maybeHostile(fc.array(attributePath, { maxLength: 3 })),
    excludedAttributes: maybeHostile(fc.array(attributePath, { maxLength: 3 })),
  },
  { requiredKeys: [] },
);

/** Text that is not JSON, or JSON that is not what any endpoint takes. */
const malformedText = fc.oneof(
  fc.constantFrom("", "{", "}", "[", "{]", '{"a":}', "{'a':1}", '{"a":1,}', "nul", "NaN", '"\\ud800"', '{"userName":"\\ud800"}', '{"a":"\\u0000"}', '{"__proto__":{"x":1}}', '{"a":1}{"b":2}', "\u0000", "1e99999"),
  hostileString,
  fc.tuple(fc.constantFrom('{"schemas":["' + USER + '"],"userName":"', '{"schemas":["' + PATCH_OP + '"],"Operations":[{"op":"add","path":"'), hostileString).map(([a, b]) => a + b),
);

const deepBody = fc.record({
  depth: fc.oneof(fc.integer({ min: 10, max: 200 }), fc.integer({ min: 1_000, max: 12_000 })),
  shape: fc.constantFrom("array", "object", "patchValue", "bulkData", "filterParens"),
});

function bodyFor(document: fc.Arbitrary<unknown>): fc.Arbitrary<BodyPlan | undefined> {
  return fc.oneof(
    { weight: 12, arbitrary: document.map((json) => ({ json })) },
    { weight: 2, arbitrary: hostileJson.map((json) => ({ json })) },
    { weight: 2, arbitrary: malformedText.map((text) => ({ text })) },
    { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 32 }).map((bytes) => ({ bytes })) },
    { weight: 3, arbitrary: deepBody.map((deep) => ({ deep })) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

// ---------------------------------------------------------------------------------------
// Paths, ids, headers, credentials

const idRef: fc.Arbitrary<IdRef> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ known: fc.constantFrom("user" as const, "group" as const, "webhook" as const), index: fc.nat({ max: 1_000 }), otherTenant: fc.constant(false) }) },
  { weight: 2, arbitrary: shortHostileString.map((encoded) => ({ encoded })) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constantFrom("%", "%zz", "%e0%80", "%ed%a0%80", "%ff", "%00", "a%2fb", "%2e%2e", "..", ".", "a;b", "a?b=c", "x".repeat(100), "x".repeat(101), "x".repeat(5_000), "%C0%AE", "%uD800"),
        fc.stringMatching(/^[A-Za-z0-9%._~:@!$&'()*+,;=-]{0,40}$/),
      )
      .map((raw) => ({ raw })),
  },
);

/** Other-tenant ids come from the known list of another tenant: isolation is exercised with ids that exist. */
const idRefWithTenant: fc.Arbitrary<IdRef> = fc.oneof(
  idRef,
  fc.record({ known: fc.constantFrom("user" as const, "group" as const), index: fc.nat({ max: 1_000 }), otherTenant: fc.constant(true) }),
);

const CONTENT_TYPES = [
  "application/scim+json",
  "application/json",
  "application/scim+json; charset=utf-8",
  "application/json; charset=latin1",
  "application/json;;;",
  "application/JSON",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/xml",
  "",
  "*/*",
  "application/scim+json; charset=utf-16",
] as const;

const headerValue = fc.oneof(
  fc.constantFrom("", "*", 'W/"1"', '"1"', 'W/"', "W/", '"', '*, W/"1"', "é", "\u00ff\u00fe", "x".repeat(200)),
  fc.stringMatching(/^[\x20-\x7e]{0,60}$/),
);

/** Headers past Node's limit (16 KiB) are answered by Node's parser itself, before Fastify: rare, but sent. */
const hugeHeaderValue = fc.integer({ min: 4_000, max: 20_000 }).map((n) => "h".repeat(n));

const contentType = fc.oneof({ weight: 6, arbitrary: fc.constant("application/scim+json") }, { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: headerValue });

const oddHeaders = fc.record(
  {
    "if-match": headerValue,
    "if-none-match": headerValue,
    host: fc.oneof(fc.constantFrom("evil.example", "127.0.0.1:1", "[::1]", "a".repeat(300), "", "exa mple", "x:y:z", "localhost:99999"), headerValue),
    accept: fc.oneof(fc.constantFrom("application/scim+json", "text/html", "*/*", "application/xml"), headerValue),
    "x-request-id": headerValue,
    "accept-encoding": fc.constantFrom("gzip", "br", "identity", "deflate, gzip;q=0"),
    "user-agent": headerValue,
    "x-forwarded-for": headerValue,
    "x-forwarded-host": headerValue,
    "x-http-method-override": fc.constantFrom("DELETE", "PATCH", "PUT"),
  },
  { requiredKeys: [] },
);

const headers: fc.Arbitrary<Record<string, string>> = fc.oneof(
  { weight: 12, arbitrary: contentType.map((type) => ({ "content-type": type })) },
  { weight: 6, arbitrary: fc.tuple(contentType, oddHeaders).map(([type, odd]) => ({ "content-type": type, ...odd })) },
  { weight: 1, arbitrary: fc.tuple(contentType, hugeHeaderValue).map(([type, huge]) => ({ "content-type": type, "x-padding": huge })) },
);

const credential: fc.Arbitrary<Credential> = fc.oneof(
  { weight: 20, arbitrary: fc.constant("own" as const) },
  { weight: 1, arbitrary: fc.constantFrom("otherTenant" as const, "scimToken" as const, "tenantKey" as const, "adminKey" as const, "none" as const, "garbage" as const, "bearerBearer" as const) },
  { weight: 1, arbitrary: fc.oneof(headerValue, fc.constantFrom("Bearer", "Bearer ", "Basic YTpi", "bearer roster_", "Bearer rosterkey_x", "Bearer a b")).map((raw) => ({ raw })) },
);

const tenantRef: fc.Arbitrary<RequestPlan["tenant"]> = fc.oneof(
  { weight: 30, arbitrary: fc.constantFrom(0, 0, 0, 1) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom("nosuch", "ACME", "a".repeat(64), "a".repeat(101), "%", "%00", "-", "a_b", "..", "%2e%2e"), shortHostileString.map(percentEncode)).map((slug) => ({ slug })) },
);

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
const ODD_METHODS = ["HEAD", "OPTIONS", "TRACE", "PROPFIND", "LOCK", "SEARCH", "QUERY", "MKCOL", "get", "Post"] as const;
const method = fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...METHODS) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_METHODS) });

const listQuery = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: filter.map((f) => ["filter", f] as const) },
    { weight: 1, arbitrary: expensiveFilter.map((f) => ["filter", f] as const) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom("startIndex", "count"), fc.oneof(fc.integer({ min: -3, max: 5_000 }).map(String), shortHostileString)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom("sortBy", "attributes", "excludedAttributes"), fc.oneof(attributePath, fc.array(attributePath, { maxLength: 40 }).map((a) => a.join(",")))) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom("sortOrder", "cursor", "access_token", "filter", "count"), shortHostileString) },
    { weight: 1, arbitrary: fc.tuple(shortHostileString, shortHostileString) },
  ),
  { maxLength: 4 },
);

const rawQuery = fc.oneof(
  { weight: 12, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom("filter=%", "filter=%zz", "filter=%ed%a0%80", "filter=%00", "count=1&count=2", "a=%", "&&&", "=", "filter", "filter=userName%20eq%20%22%F0%9F%98%80%22", "attributes=" + "a,".repeat(3_000)) },
);

// ---------------------------------------------------------------------------------------
// SCIM requests

interface Endpoint {
  /** How often it is chosen: the endpoints that write and search most. */
  readonly weight: number;
  readonly path: string;
  readonly methods: readonly (typeof METHODS)[number][];
  readonly body: fc.Arbitrary<BodyPlan | undefined>;
}

const none = fc.constant(undefined);
const SCIM_ENDPOINTS: readonly Endpoint[] = [
  { weight: 4, path: "/Users", methods: ["GET", "POST"], body: bodyFor(userDocument) },
  { weight: 4, path: "/Users/{id}", methods: ["GET", "PUT", "PATCH", "DELETE"], body: fc.oneof(bodyFor(patchBody), bodyFor(userDocument)) },
  { weight: 2, path: "/Users/.search", methods: ["POST"], body: bodyFor(searchBody) },
  { weight: 3, path: "/Groups", methods: ["GET", "POST"], body: bodyFor(groupDocument) },
  { weight: 3, path: "/Groups/{id}", methods: ["GET", "PUT", "PATCH", "DELETE"], body: fc.oneof(bodyFor(patchBody), bodyFor(groupDocument)) },
  { weight: 1, path: "/Groups/.search", methods: ["POST"], body: bodyFor(searchBody) },
  { weight: 2, path: "/.search", methods: ["POST"], body: bodyFor(searchBody) },
  { weight: 3, path: "/Bulk", methods: ["POST"], body: bodyFor(bulkBody) },
  { weight: 1, path: "/Me", methods: ["GET", "POST", "PUT", "PATCH", "DELETE"], body: bodyFor(userDocument) },
  { weight: 1, path: "/Schemas", methods: ["GET"], body: none },
  { weight: 1, path: "/Schemas/{id}", methods: ["GET"], body: none },
  { weight: 1, path: "/ResourceTypes", methods: ["GET"], body: none },
  { weight: 1, path: "/ResourceTypes/{id}", methods: ["GET"], body: none },
  { weight: 1, path: "/ServiceProviderConfig", methods: ["GET"], body: none },
];

const SCHEMA_IDS = [USER, GROUP, ENTERPRISE, "User", "Group", "urn:ietf:params:scim:schemas:core:2.0:user", "EnterpriseUser"] as const;

const scimRequest: fc.Arbitrary<RequestPlan> = fc
  .oneof(...SCIM_ENDPOINTS.map((endpoint) => ({ weight: endpoint.weight, arbitrary: fc.constant(endpoint) })))
  .chain((endpoint) => {
    const discovery = endpoint.path.startsWith("/Schemas/") || endpoint.path.startsWith("/ResourceTypes/");
    return fc.record({
      api: fc.constant("scim" as const),
      tenant: tenantRef,
      method: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...endpoint.methods) }, { weight: 1, arbitrary: method }),
      path: fc.constant(endpoint.path),
      id: discovery ? fc.oneof(fc.constantFrom(...SCHEMA_IDS).map((encoded) => ({ encoded })), idRef) : idRefWithTenant,
      id2: idRefWithTenant,
      query: listQuery,
      rawQuery,
      headers,
      credential,
      body: endpoint.body,
    });
  });

/** Requests that succeed on a fresh directory: users, groups with members, PATCHes of every kind, so later requests meet state. */
const validScimRequest: fc.Arbitrary<RequestPlan> = fc.oneof(
  validUser.map((json) => scimPlan("POST", "/Users", { json })),
  fc.record({ name: plainName, members: fc.nat({ max: 3 }) }).map(({ name, members }) =>
    scimPlan("POST", "/Groups", { json: { schemas: [GROUP], displayName: name, members: Array.from({ length: members }, () => ({ value: "{ref}" })) } }),
  ),
  fc.record({ op: patchOperation }).map(({ op }) => scimPlan("PATCH", "/Users/{id}", { json: { schemas: [PATCH_OP], Operations: [op] } }, { known: "user", index: 0, otherTenant: false })),
  fc.nat({ max: 50 }).map((index) =>
    scimPlan("PATCH", "/Groups/{id}", { json: { schemas: [PATCH_OP], Operations: [{ op: "add", path: "members", value: [{ value: "{ref}" }] }] } }, { known: "group", index, otherTenant: false }),
  ),
  fc.tuple(validUser, fc.nat({ max: 50 })).map(([json, index]) => scimPlan("PUT", "/Users/{id}", { json }, { known: "user", index, otherTenant: false })),
  fc.tuple(filter, fc.constantFrom("/Users", "/Groups")).map(([f, path]) => ({ ...scimPlan("GET", path, undefined), query: [["filter", f]] as const })),
);

function scimPlan(method: string, path: string, body: BodyPlan | undefined, id: IdRef = { known: "user", index: 0, otherTenant: false }): RequestPlan {
  return {
    api: "scim",
    tenant: 0,
    method,
    path,
    id,
    id2: { known: "user", index: 1, otherTenant: false },
    query: [],
    rawQuery: undefined,
    headers: { "content-type": "application/scim+json" },
    credential: "own",
    body,
  };
}

// ---------------------------------------------------------------------------------------
// Management API requests: every route of API_ROUTES, with its own fields and query parameters

function fieldValue(field: string): fc.Arbitrary<unknown> {
  switch (field) {
    case "userName":
    case "email":
      return maybeHostile(emailLike);
    case "emails":
      return maybeHostile(fc.array(fc.oneof(emailLike, fc.record({ value: emailLike, primary: fc.boolean() })), { maxLength: 3 }));
    case "active":
    case "enabled":
    case "managed":
      return maybeHostile(fc.boolean());
    case "userId":
      return fc.oneof(fc.constant("{ref}"), hostileJson);
    case "url":
      return maybeHostile(fc.constantFrom("https://hooks.example.com/roster", "https://169.254.169.254/latest", "https://10.0.0.1:8443/x", "https://[fd00::1]/x", "http://127.0.0.1/x", "https://metadata.google.internal/", "ftp://x", "not a url"));
    case "events":
      return maybeHostile(fc.array(fc.constantFrom("user.created", "user.*", "*", "group.members.added", "nosuch.event"), { maxLength: 3 }));
    case "since":
    case "after":
      return maybeHostile(fc.constantFrom("2024-01-01T00:00:00Z", "0", "-1", "yesterday", "9999-12-31T23:59:59Z"));
    case "timezone":
      return maybeHostile(fc.constantFrom("Europe/Paris", "UTC", "Mars/Olympus", "+01:00"));
    default:
      return maybeHostile(plainName);
  }
}

const namesBody = fc.oneof(
  fc.array(fc.oneof(plainName, hostileString), { maxLength: 6 }),
  fc.array(fc.oneof(plainName, hostileJson), { maxLength: 6 }),
  fc.integer({ min: 500, max: 20_000 }).map((n) => Array.from({ length: n }, (_, i) => `role-${i}`)),
);

const managementRequest: fc.Arbitrary<RequestPlan> = fc.nat({ max: API_ROUTES.length }).chain((index) => {
  const route = API_ROUTES[index];
  const path = route === undefined ? "/openapi.json" : route.url.replace("/tenants/:tenant", "").replace(/:id|:name/, "{id}").replace(":userId", "{id2}");
  const fields = route === undefined || !Array.isArray(route.body) ? [] : (route.body as readonly string[]);
  const document: fc.Arbitrary<unknown> =
    route?.body === "names" ? namesBody : fc.record(Object.fromEntries(fields.map((field) => [field, fieldValue(field)])), { requiredKeys: [] });
  const queryNames = route === undefined ? [] : [...route.query];
  const query = fc.array(
    fc.oneof(
      { weight: 4, arbitrary: fc.tuple(queryNames.length === 0 ? shortHostileString : fc.constantFrom(...queryNames), fc.oneof(shortHostileString, fc.constantFrom("true", "false", "10", "0", "-1", "100000", "x"))) },
      { weight: 1, arbitrary: fc.tuple(shortHostileString, shortHostileString) },
    ),
    { maxLength: 3 },
  );
  return fc.record({
    api: fc.constant("management" as const),
    tenant: tenantRef,
    method: fc.oneof({ weight: 8, arbitrary: fc.constant(route?.method ?? "GET") }, { weight: 1, arbitrary: method }),
    path: fc.constant(route === undefined ? "{root}/openapi.json" : path),
    id: fc.oneof(
      { weight: 3, arbitrary: route?.url.includes(":name") === true ? fc.oneof(plainName, shortHostileString).map((encoded) => ({ encoded })) : idRefWithTenant },
      { weight: 1, arbitrary: idRef },
    ),
    id2: idRefWithTenant,
    query: fc.oneof({ weight: 3, arbitrary: query }, { weight: 1, arbitrary: fc.constant([]) }),
    rawQuery,
    headers: headers.map((h) => ({ ...h, "content-type": h["content-type"] === "application/scim+json" ? "application/json" : (h["content-type"] ?? "application/json") })),
    credential,
    body:
      route?.body === "none"
        ? fc.oneof({ weight: 4, arbitrary: none }, { weight: 1, arbitrary: bodyFor(hostileJson) })
        : // A list of names is where deep arrays go first.
          fc.oneof({ weight: 3, arbitrary: bodyFor(document) }, { weight: route?.body === "names" ? 1 : 0, arbitrary: deepBody.map((deep) => ({ deep })) }),
  });
});

/** Valid management API requests: users and groups created through the application's own API. */
const validManagementRequest: fc.Arbitrary<RequestPlan> = fc.oneof(
  fc.record({ userName: emailLike, givenName: plainName }).map((json) => managementPlan("POST", "/users", { json })),
  fc.record({ displayName: plainName }).map((json) => managementPlan("POST", "/groups", { json })),
  fc.nat({ max: 50 }).map((index) => ({ ...managementPlan("POST", "/groups/{id}/members", { json: { userId: "{ref}" } }), id: { known: "group" as const, index, otherTenant: false } })),
  fc.array(plainName, { maxLength: 5 }).map((names) => managementPlan("PUT", "/roles", { json: names })),
);

function managementPlan(method: string, path: string, body: BodyPlan | undefined): RequestPlan {
  return { ...scimPlan(method, path, body), api: "management", headers: { "content-type": "application/json" } };
}

// ---------------------------------------------------------------------------------------
// Requests outside both APIs: the root, odd prefixes, bad percent-encoding before routing

const rawRequest: fc.Arbitrary<RequestPlan> = fc
  .record({
    method,
    path: fc.oneof(
      fc.constantFrom(
        "/",
        "/healthz",
        "/scim",
        "/scim/v2",
        "/scim/v2/",
        "/scim/v2/{slug}",
        "/scim/v2/{slug}/",
        "/scim/v2/{slug}//Users",
        "/scim/v2/{slug}/Users/",
        "/scim/v2/{slug}/users",
        "/scim/v2/{slug}/Users/%",
        "/scim/v2/{slug}/Users/%zz",
        "/scim/v2/%/Users",
        "/scim/v2/{slug}/Groups/%ed%a0%80",
        "/scim/v2/{slug}/%00",
        "/api",
        "/api/v1",
        "/api/v1/",
        "/api/v1/tenants",
        "/api/v1/tenants/{slug}",
        "/api/v1/tenants/%/users",
        "/api/v1/tenants/{slug}/users/%",
        "/api/v1/tenants/{slug}/users/%zz",
        "/api/v1/tenants/{slug}/lists/%ff",
        "/api/v1/tenants/{slug}/nosuch",
        "/api/v1/openapi.json",
        "/%",
        "//",
        "/..%2f..%2f",
        "/scim/v2/{slug}/Users/" + "a".repeat(101),
        "/api/v1/tenants/{slug}/users/" + "a".repeat(101),
        "/api/v1/tenants/" + "a".repeat(101) + "/users",
      ),
      fc.stringMatching(/^\/[A-Za-z0-9%._~:@!$&'()*+,;=\/-]{0,60}$/),
    ),
    query: fc.constant([]),
    rawQuery,
    headers,
    credential,
    body: bodyFor(hostileJson),
  })
  .map((r) => ({ ...r, api: "raw" as const, tenant: 0, id: { raw: "" }, id2: { raw: "" } }));

// ---------------------------------------------------------------------------------------
// Requests aimed at classes of failure found before (issue 20): each is generated (depth,
// length, terms and content vary), only its shape is chosen, so that a regression is met
// within the suite's few thousand requests rather than once in a hundred thousand.

const deepArray = fc.integer({ min: 500, max: 12_000 }).map((depth) => ({ deep: { depth, shape: "array" as const } }));
const longAttribute = fc.constantFrom("userName", "displayName", "externalId", "title", "nickName");

const targetedRequest: fc.Arbitrary<RequestPlan> = fc.oneof(
  // A long value of an indexed attribute (PostgreSQL's index row limit) or any other.
  fc.tuple(validUser, longAttribute, longString).map(([user, attribute, value]) => scimPlan("POST", "/Users", { json: { ...user, [attribute]: value } })),
  fc.tuple(longString, fc.constantFrom("work", "home")).map(([value, type]) =>
    scimPlan("POST", "/Users", { json: { schemas: [USER], userName: `long-email-${value.length}@example.com`, emails: [{ value, type }] } }),
  ),
  fc.tuple(longString, fc.nat({ max: 50 })).map(([value, index]) =>
    scimPlan("PATCH", "/Users/{id}", { json: { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "displayName", value }] } }, { known: "user", index, otherTenant: false }),
  ),
  fc.record({ displayName: longString }).map((json) => managementPlan("POST", "/users", { json: { userName: `long-${json.displayName.length}@example.com`, ...json } })),
  // Deep arrays where names or values are expected.
  deepArray.map((body) => managementPlan("PUT", "/roles", body)),
  fc.tuple(deepArray, plainName).map(([body, name]) => ({ ...managementPlan("PUT", "/lists/{id}", body), id: { encoded: name } })),
  fc.integer({ min: 500, max: 12_000 }).map((depth) => scimPlan("POST", "/Bulk", { deep: { depth, shape: "bulkData" } })),
  fc.integer({ min: 500, max: 12_000 }).map((depth) => scimPlan("PATCH", "/Users/{id}", { deep: { depth, shape: "patchValue" } })),
  // Filters of many short terms, within the 10,000-character limit.
  fc.tuple(fc.integer({ min: 900, max: 1_100 }), fc.constantFrom("or", "and"), fc.constantFrom("id pr", "title pr", "a pr")).map(([terms, op, term]) =>
    scimPlan("POST", "/Users/.search", { json: { schemas: [SEARCH_REQUEST], filter: Array.from({ length: terms }, () => term).join(` ${op} `) } }),
  ),
  fc.tuple(fc.integer({ min: 100, max: 200 }), fc.constantFrom("ew", "co", "sw")).map(([terms, op]) =>
    scimPlan("POST", "/Users/.search", { json: { schemas: [SEARCH_REQUEST], filter: Array.from({ length: terms }, (_, i) => `emails[value ${op} "${i}"]`).join(" and ") } }),
  ),
);

/** One generated request: mostly hostile, a quarter valid so that state builds up. */
export const requestPlan: fc.Arbitrary<RequestPlan> = fc.oneof(
  { weight: 9, arbitrary: scimRequest },
  { weight: 3, arbitrary: validScimRequest },
  { weight: 5, arbitrary: managementRequest },
  { weight: 1, arbitrary: validManagementRequest },
  { weight: 1, arbitrary: rawRequest },
  { weight: 2, arbitrary: targetedRequest },
);
