import { describe, expect, it } from "vitest";
import { matchesVersion, parseETagList } from "../../../src/scim/resource/etag.js";
import { serializeListResponse } from "../../../src/scim/resource/list.js";
import { formatVersion, serializeResource } from "../../../src/scim/resource/serialize.js";

const CORE = "urn:ietf:params:scim:schemas:core:2.0:User";
const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

describe("serializeResource", () => {
  const input = {
    id: "u1",
    resourceType: "User",
    document: { schemas: [CORE], userName: "bjensen", active: true },
    created: "2024-01-01T00:00:00.000Z",
    lastModified: "2024-01-02T00:00:00.000Z",
    version: 3,
    location: "https://roster.example/scim/v2/acme/Users/u1",
  };

  it("writes schemas, id, the attributes and meta with a weak ETag version, in that order", () => {
    const wire = serializeResource(input);
    expect(wire).toEqual({
      schemas: [CORE],
      id: "u1",
      userName: "bjensen",
      active: true,
      meta: {
        resourceType: "User",
        created: "2024-01-01T00:00:00.000Z",
        lastModified: "2024-01-02T00:00:00.000Z",
        location: "https://roster.example/scim/v2/acme/Users/u1",
        version: 'W/"3"',
      },
    });
    expect(Object.keys(wire)).toEqual(["schemas", "id", "userName", "active", "meta"]);
  });

  it("adds the extra attributes the caller supplies before meta", () => {
    const wire = serializeResource({ ...input, extra: { groups: [{ value: "g1", display: "Admins" }] } });
    expect(Object.keys(wire)).toEqual(["schemas", "id", "userName", "active", "groups", "meta"]);
    expect(wire["groups"]).toEqual([{ value: "g1", display: "Admins" }]);
  });

  it("never lets the document or extra override id and meta", () => {
    const wire = serializeResource({ ...input, document: { ...input.document, id: "evil", meta: {} }, extra: { id: "evil2" } });
    expect(wire["id"]).toBe("u1");
    expect(wire["meta"]).toMatchObject({ version: 'W/"3"' });
  });

  it("keeps an own __proto__ key of a parsed document as an own key, never as the result's prototype", () => {
    const document = JSON.parse(`{"schemas":["${CORE}"],"__proto__":{"polluted":true},"userName":"bjensen"}`) as Record<string, unknown>;
    const wire = serializeResource({ ...input, document });
    expect(Object.getPrototypeOf(wire)).toBe(Object.prototype);
    expect((wire as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(wire)).toEqual(["schemas", "id", "__proto__", "userName", "meta"]);
    expect(JSON.stringify(wire)).toContain('"__proto__":{"polluted":true}');
  });

  it("copies the document: changing the wire form leaves the stored document as it was", () => {
    const document = { schemas: [CORE], userName: "bjensen" };
    const wire = serializeResource({ ...input, document });
    (wire["schemas"] as string[]).push("x");
    wire["userName"] = "changed";
    expect(document).toEqual({ schemas: [CORE], userName: "bjensen" });
  });
});

describe("formatVersion", () => {
  it.each([
    [0, 'W/"0"'],
    [17, 'W/"17"'],
  ])("formats %d as %s", (version, expected) => {
    expect(formatVersion(version)).toBe(expected);
  });
});

describe("parseETagList", () => {
  it.each([
    ["*", { kind: "any" }],
    [' * ', { kind: "any" }],
    ['W/"3"', { kind: "tags", tags: [{ weak: true, opaque: "3" }] }],
    ['"3"', { kind: "tags", tags: [{ weak: false, opaque: "3" }] }],
    ['W/"1", "2" ,W/"x-y"', { kind: "tags", tags: [{ weak: true, opaque: "1" }, { weak: false, opaque: "2" }, { weak: true, opaque: "x-y" }] }],
    ['""', { kind: "tags", tags: [{ weak: false, opaque: "" }] }],
  ])("parses %j", (header, expected) => {
    expect(parseETagList(header)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["3", 'If-Match: expected "*" or a comma-separated list of entity tags such as W/"3", got "3" at column 1'],
    ['W/"1", 2', 'If-Match: expected "*" or a comma-separated list of entity tags such as W/"3", got "2" at column 7'],
    ['w/"1"', 'If-Match: expected "*" or a comma-separated list of entity tags such as W/"3", got "w/\\"1\\"" at column 1'],
    ['"1",', 'If-Match: expected an entity tag after the last ","'],
    ["", 'If-Match: expected "*" or at least one entity tag'],
    ['"a b"', 'If-Match: expected "*" or a comma-separated list of entity tags such as W/"3", got "\\"a b\\"" at column 1'],
    ['"1" "2"', 'If-Match: expected "*" or a comma-separated list of entity tags such as W/"3", got "\\"1\\" \\"2\\"" at column 1'],
  ])("rejects %j with invalidSyntax", (header, detail) => {
    expect(parseETagList(header)).toEqual({ ok: false, issue: { code: "invalidSyntax", detail } });
  });

  it("names the header it parses", () => {
    const result = parseETagList("nope", "If-None-Match");
    expect(!result.ok && result.issue.detail.startsWith("If-None-Match:")).toBe(true);
  });
});

describe("matchesVersion", () => {
  const parse = (header: string) => {
    const result = parseETagList(header);
    if (!result.ok) throw new Error(result.issue.detail);
    return result.value;
  };

  it.each([
    ["*", 5, true],
    ['W/"5"', 5, true],
    ['"5"', 5, true],
    ['W/"4", W/"5"', 5, true],
    ['W/"4"', 5, false],
    ['W/"05"', 5, false],
  ])("%s matches version %d: %s", (header, version, expected) => {
    expect(matchesVersion(parse(header), version)).toBe(expected);
  });
});

describe("serializeListResponse", () => {
  const resources = [{ id: "a" }, { id: "b" }];

  it("writes an index-paged RFC 7644 §3.4.2 list response", () => {
    expect(serializeListResponse({ resources, totalResults: 10, startIndex: 3 })).toEqual({
      schemas: [LIST],
      totalResults: 10,
      itemsPerPage: 2,
      startIndex: 3,
      Resources: resources,
    });
  });

  it("writes RFC 9865 cursors and no startIndex for a cursor-paged response", () => {
    expect(serializeListResponse({ resources, totalResults: 10, nextCursor: "c2", previousCursor: "c0" })).toEqual({
      schemas: [LIST],
      totalResults: 10,
      itemsPerPage: 2,
      nextCursor: "c2",
      previousCursor: "c0",
      Resources: resources,
    });
  });

  it("always includes Resources, empty when nothing matched, and honours itemsPerPage", () => {
    expect(serializeListResponse({ resources: [], totalResults: 7, startIndex: 1, itemsPerPage: 0 })).toEqual({
      schemas: [LIST],
      totalResults: 7,
      itemsPerPage: 0,
      startIndex: 1,
      Resources: [],
    });
  });
});
