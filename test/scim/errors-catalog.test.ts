import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SCIM_ERROR_CATALOG, ScimError, serializeScimError, type ScimErrorCode } from "../../src/scim/errors.js";

/**
 * Keeps SCIM_ERROR_CATALOG, docs/errors.md and the RFCs in agreement: a code, status or
 * scimType that differs anywhere fails here.
 */

// RFC 7644 §3.12, Table 9 (scimType → status), and the cursor errors of RFC 9865.
const RFC_SCIM_TYPES: Readonly<Record<string, { status: number; source: string; appliesTo: string }>> = {
  invalidFilter: { status: 400, source: "RFC 7644 §3.12", appliesTo: "GET, POST (search), PATCH (path filter)" },
  tooMany: { status: 400, source: "RFC 7644 §3.12", appliesTo: "GET, POST (search)" },
  uniqueness: { status: 409, source: "RFC 7644 §3.12", appliesTo: "POST (create), PUT, PATCH" },
  mutability: { status: 400, source: "RFC 7644 §3.12", appliesTo: "PUT, PATCH" },
  invalidSyntax: { status: 400, source: "RFC 7644 §3.12", appliesTo: "POST (search, create, bulk), PUT" },
  invalidPath: { status: 400, source: "RFC 7644 §3.12", appliesTo: "PATCH" },
  noTarget: { status: 400, source: "RFC 7644 §3.12", appliesTo: "PATCH" },
  invalidValue: { status: 400, source: "RFC 7644 §3.12", appliesTo: "GET, POST (create, query), PUT, PATCH" },
  invalidVers: { status: 400, source: "RFC 7644 §3.12", appliesTo: "GET, POST, PUT, PATCH, DELETE" },
  sensitive: { status: 403, source: "RFC 7644 §3.12", appliesTo: "GET" },
  invalidCursor: { status: 400, source: "RFC 9865", appliesTo: "GET, POST (search) with cursor paging" },
  expiredCursor: { status: 400, source: "RFC 9865", appliesTo: "GET, POST (search) with cursor paging" },
  invalidCount: { status: 400, source: "RFC 9865", appliesTo: "GET, POST (search) with cursor paging" },
};

// RFC 7644 §3.12, Table 8 lists these statuses; the others come from HTTP itself.
const STATUS_SOURCES: Readonly<Record<number, string>> = {
  307: "RFC 7644 §3.12",
  308: "RFC 7644 §3.12",
  400: "RFC 7644 §3.12",
  401: "RFC 7644 §3.12",
  403: "RFC 7644 §3.12",
  404: "RFC 7644 §3.12",
  405: "RFC 9110 §15.5.6",
  406: "RFC 9110 §15.5.7",
  408: "RFC 9110 §15.5.9",
  409: "RFC 7644 §3.12",
  412: "RFC 7644 §3.12",
  413: "RFC 7644 §3.12",
  415: "RFC 9110 §15.5.16",
  417: "RFC 9110 §15.5.18",
  429: "RFC 6585 §4",
  431: "RFC 6585 §5",
  500: "RFC 7644 §3.12",
  501: "RFC 7644 §3.12",
  503: "RFC 9110 §15.6.4",
};

type Row = Readonly<Record<string, string>>;

/** The rows of the first Markdown table under `heading`, keyed by header cell, with backticks removed. */
function readTable(markdown: string, heading: string): Row[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start === -1) throw new Error(`docs/errors.md: no heading "${heading}"`);
  const table: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("#")) break;
    if (line.trim().startsWith("|")) table.push(line.trim());
    else if (table.length > 0) break;
  }
  const cells = (line: string) => line.slice(1, -1).split("|").map((cell) => cell.trim().replace(/^`(.*)`$/, "$1"));
  const [header, separator, ...body] = table;
  if (header === undefined || separator === undefined) throw new Error(`docs/errors.md: no table under "${heading}"`);
  const names = cells(header);
  return body.map((line, index) => {
    const values = cells(line);
    if (values.length !== names.length) {
      throw new Error(`docs/errors.md "${heading}" row ${index + 1}: ${values.length} cells, expected ${names.length} (${line})`);
    }
    return Object.fromEntries(names.map((name, at) => [name, values[at] ?? ""]));
  });
}

const markdown = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
const catalogRows = readTable(markdown, "## Catalog");
const rfcRows = readTable(markdown, "## scimType and status (RFC 7644 §3.12, Table 9; RFC 9865)");
const catalog = Object.entries(SCIM_ERROR_CATALOG) as [ScimErrorCode, (typeof SCIM_ERROR_CATALOG)[ScimErrorCode]][];
const NONE = "—";

describe("docs/errors.md and SCIM_ERROR_CATALOG", () => {
  it("lists every catalog code exactly once, and no code the catalog lacks", () => {
    const documented = catalogRows.map((row) => row.code);
    const duplicates = documented.filter((code, index) => documented.indexOf(code) !== index);
    expect(duplicates, "codes documented twice").toEqual([]);
    const codes = catalog.map(([code]) => code);
    expect(codes.filter((code) => !documented.includes(code)), "catalog codes missing from docs/errors.md").toEqual([]);
    expect(documented.filter((code) => !(codes as string[]).includes(code ?? "")), "documented codes not in the catalog").toEqual([]);
  });

  it.each(catalog)("documents %s with the catalog's status and scimType", (code, entry) => {
    const row = catalogRows.find((candidate) => candidate.code === code);
    expect(row, `no row for ${code}`).toBeDefined();
    expect(row?.status).toBe(String(entry.status));
    expect(row?.scimType).toBe(entry.scimType ?? NONE);
  });

  it.each(catalogRows.map((row) => [row.code ?? "", row] as const))("gives %s a use and an example detail", (_code, row) => {
    expect(row["when Roster uses it"]?.length ?? 0).toBeGreaterThan(10);
    expect(row["example detail"]?.length ?? 0).toBeGreaterThan(5);
  });

  it.each(catalog)("cites where the status or scimType of %s is defined", (code, entry) => {
    const row = catalogRows.find((candidate) => candidate.code === code);
    const expected = entry.scimType === undefined ? STATUS_SOURCES[entry.status] : RFC_SCIM_TYPES[entry.scimType]?.source;
    expect(expected, `${code}: status ${entry.status} / scimType ${entry.scimType ?? NONE} has no known source`).toBeDefined();
    expect(row?.["defined by"]).toBe(expected);
  });
});

/** Every TypeScript source under src/ except the catalog itself, concatenated. */
function sourcesRaisingCodes(): string {
  const root = fileURLToPath(new URL("../../src", import.meta.url));
  const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((file) => file.endsWith(".ts") && !file.endsWith(".test.ts"));
  return files
    .filter((file) => join(root, file) !== join(root, "scim", "errors.ts"))
    .map((file) => readFileSync(join(root, file), "utf8"))
    .join("\n");
}

describe("docs/errors.md and the code that raises errors", () => {
  const sources = sourcesRaisingCodes();
  const NOT_EMITTED = "Not emitted today";

  it.each(catalogRows.map((row) => [row.code ?? "", row] as const))("says %s is not emitted exactly when no source names it", (code, row) => {
    const named = sources.includes(`"${code}"`);
    const claimedSilent = row["when Roster uses it"]?.startsWith(NOT_EMITTED) === true;
    expect(claimedSilent, claimedSilent ? `docs/errors.md says ${code} is not emitted, but src/ raises it` : `docs/errors.md describes ${code} as used, but nothing in src/ names it`).toBe(!named);
  });
});

describe("SCIM_ERROR_CATALOG and the RFCs", () => {
  it.each(catalog.filter(([, entry]) => entry.scimType !== undefined))(
    "gives %s the status its RFC assigns to the scimType",
    (code, entry) => {
      const rfc = RFC_SCIM_TYPES[entry.scimType ?? ""];
      expect(rfc, `${code}: scimType "${entry.scimType}" is not defined by RFC 7644 §3.12 or RFC 9865`).toBeDefined();
      expect(entry.status).toBe(rfc?.status);
    },
  );

  it("has a code for every scimType of RFC 7644 §3.12 and RFC 9865", () => {
    const scimTypes = new Set<string | undefined>(catalog.map(([, entry]) => entry.scimType));
    expect(Object.keys(RFC_SCIM_TYPES).filter((scimType) => !scimTypes.has(scimType))).toEqual([]);
  });

  it("uses only HTTP statuses of RFC 7644 §3.12 or of HTTP itself", () => {
    expect(catalog.filter(([, entry]) => STATUS_SOURCES[entry.status] === undefined).map(([code]) => code)).toEqual([]);
  });

  it("documents the RFC's scimType table as the RFC states it", () => {
    expect(Object.fromEntries(rfcRows.map((row) => [row.scimType, { status: Number(row.status), appliesTo: row["applies to"] }]))).toEqual(
      Object.fromEntries(Object.entries(RFC_SCIM_TYPES).map(([scimType, rfc]) => [scimType, { status: rfc.status, appliesTo: rfc.appliesTo }])),
    );
  });

  it.each(catalog)("serialises %s as the RFC 7644 §3.12 error body", (code, entry) => {
    const body = serializeScimError(new ScimError(code, "what went wrong"));
    expect(body).toEqual({
      schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"],
      status: String(entry.status),
      ...(entry.scimType === undefined ? {} : { scimType: entry.scimType }),
      detail: "what went wrong",
    });
  });
});
