import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { foldCase } from "../../src/scim/filter/values.js";
import { checkAttributeValue } from "../../src/scim/resource/check-value.js";
import { ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from "../../src/scim/schema/core-schemas.js";
import {
  BINARY_MAX_LENGTH,
  countCharacters,
  IDENTIFIER_MAX_LENGTH,
  isLongerThan,
  maxLengthOf,
  maxValuesOf,
  REFERENCE_MAX_LENGTH,
  TEXT_MAX_LENGTH,
} from "../../src/scim/schema/limits.js";
import type { AttributeDefinition } from "../../src/scim/schema/types.js";

/** PostgreSQL's largest btree index row on 8 kB pages (BTMaxItemSize): the limit the 500 hit. */
const POSTGRES_INDEX_ROW_LIMIT = 2_704;

function attribute(schema: { readonly attributes: readonly AttributeDefinition[] }, path: string): AttributeDefinition {
  const [name, sub] = path.split(".");
  const top = schema.attributes.find((candidate) => candidate.name === name);
  const found = sub === undefined ? top : top?.subAttributes?.find((candidate) => candidate.name === sub);
  if (found === undefined) throw new Error(`no attribute ${path}`);
  return found;
}

describe("countCharacters", () => {
  it.each([
    ["", 0],
    ["abc", 3],
    ["é", 1],
    ["\u{1F600}", 1],
    ["a\u{1F600}b\u{1F680}", 4],
    ["\u0130", 1],
  ])("counts %j as %i code points", (text, count) => {
    expect(countCharacters(text)).toBe(count);
  });

  it("agrees with iterating the string by code point", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 50 }), (text) => {
        expect(countCharacters(text)).toBe([...text].length);
        expect(isLongerThan(text, 10)).toBe([...text].length > 10);
      }),
      { numRuns: 500, seed: 20 },
    );
  });
});

describe("the limits of the built-in schemas", () => {
  it("gives every indexed attribute and every id of another resource the identifier limit", () => {
    for (const [schema, path] of [
      [USER_SCHEMA, "userName"],
      [USER_SCHEMA, "displayName"],
      [USER_SCHEMA, "emails.value"],
      [GROUP_SCHEMA, "displayName"],
      [GROUP_SCHEMA, "members.value"],
      [ENTERPRISE_USER_SCHEMA, "manager.value"],
    ] as const) {
      expect(maxLengthOf(attribute(schema, path)), path).toBe(IDENTIFIER_MAX_LENGTH);
    }
    expect(maxLengthOf(attribute(USER_SCHEMA, "title"))).toBe(TEXT_MAX_LENGTH);
    expect(maxLengthOf(attribute(USER_SCHEMA, "profileUrl"))).toBe(REFERENCE_MAX_LENGTH);
    expect(maxLengthOf(attribute(USER_SCHEMA, "x509Certificates.value"))).toBe(BINARY_MAX_LENGTH);
    expect(maxLengthOf(attribute(USER_SCHEMA, "active"))).toBeUndefined();
    expect(maxValuesOf(attribute(USER_SCHEMA, "emails"))).toBe(100);
    expect(maxValuesOf(attribute(USER_SCHEMA, "roles"))).toBe(1_000);
    expect(maxValuesOf(attribute(USER_SCHEMA, "userName"))).toBeUndefined();
  });

  it("keeps an identifier's folded UTF-8 within PostgreSQL's index row limit: no code point folds to more than 4 bytes", () => {
    let widest = 0;
    for (let codePoint = 0; codePoint <= 0x10ffff; codePoint++) {
      if (codePoint >= 0xd800 && codePoint <= 0xdfff) continue;
      widest = Math.max(widest, Buffer.byteLength(foldCase(String.fromCodePoint(codePoint)), "utf8"));
    }
    expect(widest).toBe(4);
    // The index row also holds the tenant id (a UUID), the kind and `managed`: well under 100 bytes with headers.
    expect(IDENTIFIER_MAX_LENGTH * widest + 100).toBeLessThan(POSTGRES_INDEX_ROW_LIMIT);
  });
});

describe("checkAttributeValue and maximum lengths", () => {
  const options = { lenientBooleans: false };

  it("accepts a value of exactly the maximum in characters, whatever their width, and refuses one more naming the length", () => {
    const userName = attribute(USER_SCHEMA, "userName");
    expect(checkAttributeValue(userName, "\u{1F600}".repeat(512), "userName", options).ok).toBe(true);
    expect(checkAttributeValue(userName, "\u{1F600}".repeat(513), "userName", options)).toEqual({
      ok: false,
      issue: { code: "invalidValue", detail: 'attribute "userName": expected at most 512 characters, got 513' },
    });
  });

  it("checks the length of a binary value before its base64 pattern", () => {
    const certificates = attribute(USER_SCHEMA, "x509Certificates");
    const result = checkAttributeValue(certificates, [{ value: "A".repeat(BINARY_MAX_LENGTH + 4) }], "x509Certificates", options);
    expect(result).toEqual({
      ok: false,
      issue: { code: "invalidValue", detail: `attribute "x509Certificates[0].value": expected at most ${BINARY_MAX_LENGTH} characters, got ${BINARY_MAX_LENGTH + 4}` },
    });
  });

  it("refuses more values than a multi-valued attribute allows before checking any of them", () => {
    const emails = attribute(USER_SCHEMA, "emails");
    const values = Array.from({ length: 101 }, () => ({ value: 3 }));
    expect(checkAttributeValue(emails, values, "emails", options)).toEqual({
      ok: false,
      issue: { code: "invalidValue", detail: 'attribute "emails": expected at most 100 values, got 101' },
    });
  });
});
