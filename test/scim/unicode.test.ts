import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findLoneSurrogate, hasLoneSurrogate } from "../../src/scim/unicode.js";

// JSON.stringify (well-formed since ES2019) escapes exactly the lone surrogates as \udXXX:
// the reference the walk is checked against.
const ESCAPED_SURROGATE = /\\ud[89a-f][0-9a-f]{2}/;
const codeUnit = fc.oneof(
  fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  fc.constantFrom("a", "é", "\u{1F600}", "\u{10FFFF}", '"', "\\"),
);
const text = fc.string({ unit: codeUnit, maxLength: 6 });
const { value: json } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", maxDepth: 4 },
    text,
    fc.integer(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(text, tie("value"), { maxKeys: 4 }),
  ),
}));

describe("lone surrogate detection", () => {
  it("tells lone surrogates from surrogate pairs", () => {
    expect(hasLoneSurrogate("\ud800")).toBe(true);
    expect(hasLoneSurrogate("\udc00")).toBe(true);
    expect(hasLoneSurrogate("a\udbffb")).toBe(true);
    expect(hasLoneSurrogate("\udc00\ud800")).toBe(true);
    expect(hasLoneSurrogate("\ud83d\ude00\ud83d")).toBe(true);
    expect(hasLoneSurrogate("\ud83d\ude00")).toBe(false);
    expect(hasLoneSurrogate("plain é \u{10FFFF}")).toBe(false);
    expect(hasLoneSurrogate("")).toBe(false);
  });

  it("finds a lone surrogate in any string or key of a JSON value exactly when JSON.stringify has to escape one", () => {
    fc.assert(
      fc.property(json, (value) => {
        expect(findLoneSurrogate(value) !== undefined).toBe(ESCAPED_SURROGATE.test(JSON.stringify(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it("names the path to the value or key", () => {
    expect(findLoneSurrogate({ name: { givenName: "\ud800" } })).toEqual({ path: "name.givenName", inKey: false });
    expect(findLoneSurrogate({ emails: [{ value: "ok" }, { value: "\udfff" }] })).toEqual({ path: "emails[1].value", inKey: false });
    expect(findLoneSurrogate({ a: { "b\ud800": 1 } })).toEqual({ path: 'a."b\\ud800"', inKey: true });
    expect(findLoneSurrogate("\ud800")).toEqual({ path: "", inKey: false });
    expect(findLoneSurrogate({ a: ["\ud83d\ude00"] })).toBeUndefined();
  });

  it("walks a value nested 100,000 levels deep without overflowing the stack", () => {
    let deep: unknown = "\ud800";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const found = findLoneSurrogate(deep);
    expect(found?.path).toBe("[0]".repeat(100_000));
    let clean: unknown = "x";
    for (let i = 0; i < 100_000; i++) clean = { a: clean };
    expect(findLoneSurrogate(clean)).toBeUndefined();
  });
});
