import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { COMPARE_OPERATORS, type AttributePath, type Filter, type FilterValue } from "../../../src/scim/filter/ast.js";
import { evaluateFilter } from "../../../src/scim/filter/evaluate.js";
import { formatScimFilter, parseScimFilter } from "../../../src/scim/filter/parse.js";
import { resolveFilter } from "../../../src/scim/filter/resolve.js";
import { parseAttributePath, parsePatchPath } from "../../../src/scim/path.js";
import { SCIM_ENTERPRISE_USER_SCHEMA, SCIM_USER_SCHEMA } from "../../../src/scim/schema/core-schemas.js";
import { findLoneSurrogate } from "../../../src/scim/unicode.js";
import { ACME_EXTENSION, USER_WITH_ACME } from "./schemas.js";

const KNOWN_NAMES = ["userName", "name", "emails", "value", "type", "primary", "active", "meta", "lastModified", "title", "manager", "level", "tags", "id", "password"];
const KEYWORDS = ["not", "and", "or", "pr", "eq", "true", "null", "$ref"];

const name = fc.oneof(fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,8}$/), fc.constantFrom(...KNOWN_NAMES, ...KEYWORDS));
const schemaUri = fc.constantFrom(SCIM_USER_SCHEMA, SCIM_ENTERPRISE_USER_SCHEMA, ACME_EXTENSION, "urn:x:y");

const path: fc.Arbitrary<AttributePath> = fc
  .record({ schema: fc.option(schemaUri, { nil: undefined }), attribute: name, subAttribute: fc.option(name, { nil: undefined }) })
  .map(({ schema, attribute, subAttribute }) => ({
    ...(schema === undefined ? {} : { schema }),
    attribute,
    ...(subAttribute === undefined ? {} : { subAttribute }),
  }));

const loneSurrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) });
// Any string but one holding U+0000, which the tokenizer refuses (the test below).
const value: fc.Arbitrary<FilterValue> = fc.oneof(
  fc.string({ unit: "binary" }).filter((text) => !text.includes("\u0000")),
  loneSurrogates,
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);

function filterArbitrary(allowValuePath: boolean): fc.Arbitrary<Filter> {
  const { filter } = fc.letrec<{ filter: Filter; leaf: Filter }>((tie) => ({
    leaf: fc.oneof(
      fc.record({ kind: fc.constant("compare" as const), path, op: fc.constantFrom(...COMPARE_OPERATORS), value }),
      fc.record({ kind: fc.constant("present" as const), path }),
    ),
    filter: fc.oneof(
      { depthSize: "small", maxDepth: 6 },
      tie("leaf"),
      fc.record({ kind: fc.constantFrom("and" as const, "or" as const), left: tie("filter"), right: tie("filter") }),
      fc.record({ kind: fc.constant("not" as const), filter: tie("filter") }),
      ...(allowValuePath ? [fc.record({ kind: fc.constant("valuePath" as const), path, filter: filterArbitrary(false) })] : []),
    ),
  }));
  return filter;
}

const generatedFilter = filterArbitrary(true);

const FILTER_TOKENS = ["(", ")", "[", "]", "not", "and", "or", "eq", "pr", "gt", '"x"', '"', "\\", "-1.5e3", "007", "true", "userName", "emails", ".value", "urn:ietf:params:scim:schemas:core:2.0:User:", ":", "", " "];
const filterish = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.array(fc.constantFrom(...FILTER_TOKENS), { maxLength: 30 }).map((tokens) => tokens.join(" ")),
  fc.array(fc.constantFrom(...FILTER_TOKENS), { maxLength: 30 }).map((tokens) => tokens.join("")),
);

const ENTERPRISE = SCIM_ENTERPRISE_USER_SCHEMA;
const attr = (text: string): AttributePath => {
  const parsed = parseAttributePath(text);
  if (!parsed.ok) throw new Error(parsed.issue.detail);
  return parsed.value;
};
const isoDate = fc.date({ min: new Date("1990-01-01T00:00:00Z"), max: new Date("2040-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString());
const ORDER_OPS = ["eq", "ne", "gt", "ge", "lt", "le"] as const;
const compareOn = (paths: readonly string[], ops: readonly (typeof COMPARE_OPERATORS)[number][], values: fc.Arbitrary<FilterValue>): fc.Arbitrary<Filter> =>
  fc.record({ kind: fc.constant("compare" as const), path: fc.constantFrom(...paths).map(attr), op: fc.constantFrom(...ops), value: values });
const nullable = (values: fc.Arbitrary<FilterValue>) => fc.oneof({ weight: 5, arbitrary: values }, { weight: 1, arbitrary: fc.constant(null) });
const smallString = fc.oneof(fc.constantFrom("", "a", "B", "work", "home", "x@example.com", "Tour"), fc.string({ maxLength: 4 }));

function typedLeaves(prefix: "" | "emails"): fc.Arbitrary<Filter>[] {
  const strings = prefix === "" ? ["userName", "title", "name.givenName", "emails.value", "emails.type", "emails", "externalId", `${ENTERPRISE}:department`, `${ENTERPRISE}:manager.value`, `${ACME_EXTENSION}:tags`, `${ACME_EXTENSION}:nickCode`] : ["value", "type", "display"];
  const booleans = prefix === "" ? ["active", "emails.primary"] : ["primary"];
  const present = prefix === "" ? [...strings, ...booleans, "name", "meta", `${ENTERPRISE}:manager`, `${ACME_EXTENSION}:level`] : [...strings, ...booleans];
  const leaves = [
    compareOn(strings, COMPARE_OPERATORS, smallString),
    compareOn(strings, ["eq", "ne"], nullable(smallString)),
    compareOn(booleans, ["eq", "ne"], nullable(fc.boolean())),
    fc.record({ kind: fc.constant("present" as const), path: fc.constantFrom(...present).map(attr) }),
  ];
  if (prefix === "") {
    leaves.push(
      compareOn([`${ACME_EXTENSION}:level`], ORDER_OPS, fc.integer({ min: -3, max: 3 })),
      compareOn([`${ACME_EXTENSION}:score`], ORDER_OPS, fc.double({ min: -3, max: 3, noNaN: true })),
      compareOn(["meta.lastModified", "meta.created"], ORDER_OPS, isoDate),
      compareOn(["meta.lastModified", "meta.created"], ["eq", "ne"], nullable(isoDate)),
    );
  }
  return leaves;
}

function logic(leaf: fc.Arbitrary<Filter>, extra: fc.Arbitrary<Filter>[]): fc.Arbitrary<Filter> {
  return fc.letrec<{ f: Filter }>((tie) => ({
    f: fc.oneof(
      { depthSize: "small", maxDepth: 4 },
      leaf,
      ...extra,
      fc.record({ kind: fc.constantFrom("and" as const, "or" as const), left: tie("f"), right: tie("f") }),
      fc.record({ kind: fc.constant("not" as const), filter: tie("f") }),
    ),
  })).f;
}

const resolvableFilter = logic(fc.oneof(...typedLeaves("")), [
  fc.record({ kind: fc.constant("valuePath" as const), path: fc.constant(attr("emails")), filter: logic(fc.oneof(...typedLeaves("emails")), []) }),
]);

const loose = fc.oneof(smallString, isoDate, fc.boolean(), fc.integer({ min: -3, max: 3 }), fc.constant(null));
const email = fc.record({ value: loose, type: loose, primary: loose, display: loose }, { requiredKeys: [] });
const userDocument: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    userName: loose,
    title: loose,
    externalId: loose,
    active: loose,
    name: fc.oneof(fc.record({ givenName: loose }, { requiredKeys: [] }), loose),
    emails: fc.oneof(fc.array(fc.oneof(email, loose), { maxLength: 3 }), email),
    meta: fc.record({ lastModified: loose, created: loose }, { requiredKeys: [] }),
    [ENTERPRISE]: fc.record({ department: loose, manager: fc.oneof(fc.record({ value: loose }, { requiredKeys: [] }), loose) }, { requiredKeys: [] }),
    [ACME_EXTENSION]: fc.record(
      { level: loose, score: fc.oneof(loose, fc.double({ min: -3, max: 3, noNaN: true })), tags: fc.array(loose, { maxLength: 3 }), nickCode: loose },
      { requiredKeys: [] },
    ),
  },
  { requiredKeys: [] },
);

describe("filter grammar properties", () => {
  it("returns a Result and never throws for arbitrary input", () => {
    fc.assert(
      fc.property(filterish, (text) => {
        for (const result of [parseScimFilter(text), parsePatchPath(text), parseAttributePath(text)]) {
          expect(typeof result.ok).toBe("boolean");
          if (!result.ok) expect(["invalidFilter", "invalidPath"]).toContain(result.issue.code);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("parses a printed generated filter back to the same AST, and refuses one whose string holds a lone surrogate with invalidValue", () => {
    fc.assert(
      fc.property(generatedFilter, (filter) => {
        const parsed = parseScimFilter(formatScimFilter(filter));
        if (findLoneSurrogate(filter) === undefined) expect(parsed).toEqual({ ok: true, value: filter });
        else expect(parsed).toMatchObject({ ok: false, issue: { code: "invalidValue", detail: expect.stringMatching(/not valid Unicode/) } });
      }),
      { numRuns: 1000 },
    );
  });

  it("refuses a printed comparison whose string holds U+0000, naming the NUL character", () => {
    fc.assert(
      fc.property(path, fc.constantFrom(...COMPARE_OPERATORS), fc.string(), fc.string(), (attribute, op, before, after) => {
        const text = formatScimFilter({ kind: "compare", path: attribute, op, value: `${before}\u0000${after}` });
        const result = parseScimFilter(text);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.issue).toMatchObject({ code: "invalidFilter", detail: expect.stringMatching(/NUL character \(U\+0000\)/) });
      }),
      { numRuns: 300 },
    );
  });

  it("parses a printed value path as a PATCH path with the same filter, and refuses a lone surrogate in it with invalidValue", () => {
    fc.assert(
      fc.property(path, filterArbitrary(false), fc.option(name, { nil: undefined }), (attribute, filter, subAttribute) => {
        const outer: AttributePath = attribute.schema === undefined ? { attribute: attribute.attribute } : { schema: attribute.schema, attribute: attribute.attribute };
        const text = `${formatScimFilter({ kind: "valuePath", path: outer, filter })}${subAttribute === undefined ? "" : `.${subAttribute}`}`;
        const parsed = parsePatchPath(text);
        if (findLoneSurrogate(filter) === undefined) expect(parsed).toEqual({ ok: true, value: { attribute: outer, filter, ...(subAttribute === undefined ? {} : { subAttribute }) } });
        else expect(parsed).toMatchObject({ ok: false, issue: { code: "invalidValue" } });
      }),
      { numRuns: 300 },
    );
  });

  it("resolves and evaluates schema-aware filters on semi-structured documents, and ne is not(eq)", () => {
    fc.assert(
      fc.property(resolvableFilter, userDocument, (filter, resource) => {
        const resolved = resolveFilter(filter, USER_WITH_ACME);
        if (!resolved.ok) throw new Error(`${formatScimFilter(filter)}: ${resolved.issue.detail}`);
        const result = evaluateFilter(resolved.value, resource);
        expect(typeof result).toBe("boolean");
        if (filter.kind === "compare" && (filter.op === "eq" || filter.op === "ne")) {
          const opposite = resolveFilter({ ...filter, op: filter.op === "eq" ? "ne" : "eq" }, USER_WITH_ACME);
          expect(opposite.ok && evaluateFilter(opposite.value, resource)).toBe(!result);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("resolves arbitrary generated filters to a Result and evaluates without throwing", () => {
    fc.assert(
      fc.property(generatedFilter, userDocument, (filter, resource) => {
        const resolved = resolveFilter(filter, USER_WITH_ACME);
        if (!resolved.ok) expect(resolved.issue.code).toBe("invalidFilter");
        else expect(typeof evaluateFilter(resolved.value, resource)).toBe("boolean");
      }),
      { numRuns: 500 },
    );
  });
});
