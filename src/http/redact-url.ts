/** What a secret is replaced with in a logged URL or error detail. */
export const REDACTED = "[redacted]";

/**
 * Query parameters whose value is a credential, by name lower-cased without `-`, `_`, `.`:
 * OAuth's `access_token` and `code` (RFC 6749, RFC 6750 §2.3), API keys, signatures.
 */
const SECRET_PARAMETERS = new Set([
  "accesstoken",
  "apikey",
  "auth",
  "authorization",
  "clientsecret",
  "code",
  "credential",
  "credentials",
  "idtoken",
  "key",
  "pass",
  "passwd",
  "password",
  "pwd",
  "refreshtoken",
  "secret",
  "sig",
  "signature",
  "token",
]);
const SECRET_PARAMETER_ENDINGS = ["token", "secret", "password", "apikey", "signature", "credential"];

/** Attributes whose compared value a filter must not leak (the last segment of the path, lower-cased). */
const SECRET_ATTRIBUTES = new Set(["password", "secret", "token", "clientsecret", "client_secret"]);
const SECRET_ATTRIBUTE_WORDS = /password|secret|token/i;
const COMPARISON_OPERATORS = new Set(["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]);

/** A URL as logged, and a way to hide the same secrets in text derived from it (an error detail quoting a filter). */
export interface RedactedUrl {
  readonly url: string;
  /** `text` with every secret value found in the URL replaced by `[redacted]`. */
  hide(text: string): string;
}

/**
 * The URL with the values of secret query parameters (`access_token`, `password`, `api_key`…)
 * and the values a `filter` compares a secret attribute with (`password eq "…"`) replaced by
 * `[redacted]`; everything else stays as sent, percent-encoding included. Never throws: a
 * malformed escape is read as its characters.
 */
export function redactUrl(url: string): RedactedUrl {
  const queryAt = url.indexOf("?");
  if (queryAt === -1) return { url, hide: (text) => text };
  const secrets: string[] = [];
  const parts = url
    .slice(queryAt + 1)
    .split("&")
    .map((part) => {
      const equals = part.indexOf("=");
      if (equals === -1) return part;
      const name = decodeLeniently(part.slice(0, equals)).text.toLowerCase().replace(/[-_.\s]/g, "");
      const value = part.slice(equals + 1);
      if (value === "") return part;
      if (isSecretParameter(name)) {
        secrets.push(decodeLeniently(value).text);
        return `${part.slice(0, equals)}=${REDACTED}`;
      }
      if (name === "filter") return `${part.slice(0, equals)}=${redactEncodedFilter(value, secrets)}`;
      return part;
    });
  return { url: `${url.slice(0, queryAt)}?${parts.join("&")}`, hide: (text) => hideSecrets(text, secrets) };
}

/** A SCIM filter (decoded text) with the values compared with secret attributes replaced by `[redacted]`. */
export function redactFilter(filter: string): string {
  return replaceSpans(filter, secretValueSpans(filter), (index) => index);
}

/**
 * A request body with the filter of a search (`POST /.search`, RFC 7644 §3.4.3) redacted as
 * in a query string, and a way to hide its secrets in an error detail; any other body as it is.
 */
export function redactSearchFilter(body: unknown): { readonly body: unknown; hide(text: string): string } {
  const filter = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>)["filter"] : undefined;
  if (typeof filter !== "string") return { body, hide: (text) => text };
  const spans = secretValueSpans(filter);
  if (spans.length === 0) return { body, hide: (text) => text };
  const secrets = spans.map(([start, end]) => filter.slice(start, end));
  return { body: { ...(body as Record<string, unknown>), filter: redactFilter(filter) }, hide: (text) => hideSecrets(text, secrets) };
}

function isSecretParameter(name: string): boolean {
  return SECRET_PARAMETERS.has(name) || SECRET_PARAMETER_ENDINGS.some((ending) => name.endsWith(ending));
}

function redactEncodedFilter(raw: string, secrets: string[]): string {
  const decoded = decodeLeniently(raw);
  // Every secret attribute's name holds one of these words: a filter without any (an Okta
  // lookup, `userName eq "…"`) is not tokenized a second time on each request.
  if (!SECRET_ATTRIBUTE_WORDS.test(decoded.text)) return raw;
  const spans = secretValueSpans(decoded.text);
  for (const [start, end] of spans) secrets.push(decoded.text.slice(start, end));
  return replaceSpans(raw, spans, (index) => decoded.starts[index] ?? raw.length);
}

/** Replaces each span (in decoded offsets, mapped to `text`'s by `at`) with `[redacted]`. */
function replaceSpans(text: string, spans: readonly (readonly [number, number])[], at: (index: number) => number): string {
  let result = "";
  let from = 0;
  for (const [start, end] of spans) {
    result += text.slice(from, at(start)) + REDACTED;
    from = at(end);
  }
  return result + text.slice(from);
}

function hideSecrets(text: string, secrets: readonly string[]): string {
  let hidden = text;
  for (const secret of secrets) {
    if (secret === "") continue;
    hidden = hidden.split(JSON.stringify(secret)).join(JSON.stringify(REDACTED));
    // A short value would blank out unrelated words: it is hidden only where quoted.
    if (secret.length >= 4) hidden = hidden.split(secret).join(REDACTED);
  }
  return hidden;
}

type FilterToken = { readonly kind: "word" | "string" | "punctuation"; readonly text: string; readonly start: number; readonly end: number };

/**
 * The spans of a filter's text holding a value compared with a secret attribute: a string's
 * content between its quotes (to its end when unterminated), or a bare word. A scan of
 * tokens, not the parser: a filter too broken to parse is logged too.
 */
function secretValueSpans(filter: string): [number, number][] {
  const spans: [number, number][] = [];
  if (!SECRET_ATTRIBUTE_WORDS.test(filter)) return spans;
  let before: FilterToken | undefined;
  let last: FilterToken | undefined;
  for (const token of filterTokens(filter)) {
    if (
      token.kind !== "punctuation" &&
      last?.kind === "word" &&
      COMPARISON_OPERATORS.has(last.text.toLowerCase()) &&
      before?.kind === "word" &&
      SECRET_ATTRIBUTES.has((before.text.split(/[:.]/).pop() ?? "").toLowerCase())
    ) {
      const closed = token.kind === "string" && token.end - token.start >= 2 && filter[token.end - 1] === '"';
      const span: [number, number] = token.kind === "string" ? [token.start + 1, closed ? token.end - 1 : token.end] : [token.start, token.end];
      if (span[1] > span[0]) spans.push(span);
    }
    before = last;
    last = token;
  }
  return spans;
}

function* filterTokens(filter: string): Generator<FilterToken> {
  let index = 0;
  while (index < filter.length) {
    const char = filter[index]!;
    if (/\s/.test(char)) {
      index += 1;
    } else if ("()[]".includes(char)) {
      yield { kind: "punctuation", text: char, start: index, end: index + 1 };
      index += 1;
    } else if (char === '"') {
      let end = index + 1;
      while (end < filter.length && filter[end] !== '"') end += filter[end] === "\\" ? 2 : 1;
      end = Math.min(end + 1, filter.length);
      yield { kind: "string", text: filter.slice(index, end), start: index, end };
      index = end;
    } else {
      let end = index + 1;
      while (end < filter.length && !/[\s()[\]"]/.test(filter[end]!)) end += 1;
      yield { kind: "word", text: filter.slice(index, end), start: index, end };
      index = end;
    }
  }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Percent-decodes a query component as a query parser does (`+` is a space), keeping for each
 * decoded UTF-16 unit the offset in `raw` where its encoding starts (`starts[text.length]` is
 * `raw.length`). A `%` not followed by two hex digits stays as it is; bytes that are not UTF-8
 * become U+FFFD.
 */
function decodeLeniently(raw: string): { readonly text: string; readonly starts: readonly number[] } {
  let text = "";
  const starts: number[] = [];
  const emit = (decoded: string, start: number): void => {
    text += decoded;
    for (let unit = 0; unit < decoded.length; unit += 1) starts.push(start);
  };
  let index = 0;
  while (index < raw.length) {
    const lead = byteAt(raw, index);
    if (lead === undefined) {
      emit(raw[index] === "+" ? " " : raw[index]!, index);
      index += 1;
      continue;
    }
    const length = lead < 0x80 ? 1 : lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    const bytes = [lead];
    for (let next = 1; next < length; next += 1) {
      const byte = byteAt(raw, index + 3 * next);
      if (byte === undefined || byte < 0x80 || byte > 0xbf) break;
      bytes.push(byte);
    }
    let decoded: string | undefined;
    if (length > 0 && bytes.length === length) {
      try {
        decoded = UTF8.decode(new Uint8Array(bytes));
      } catch {
        decoded = undefined;
      }
    }
    if (decoded === undefined) {
      emit("\ufffd", index);
      index += 3;
    } else {
      emit(decoded, index);
      index += 3 * length;
    }
  }
  starts.push(raw.length);
  return { text, starts };
}

/** The byte a `%XX` escape at `index` stands for; undefined when there is none. */
function byteAt(raw: string, index: number): number | undefined {
  if (raw[index] !== "%") return undefined;
  const hex = raw.slice(index + 1, index + 3);
  return /^[0-9a-fA-F]{2}$/.test(hex) ? Number.parseInt(hex, 16) : undefined;
}
