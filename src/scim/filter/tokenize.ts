import { hasLoneSurrogate } from "../unicode.js";

/** Tokens of the filter and PATCH path grammars; `start` is a 0-based offset. */
export type Token =
  | { readonly kind: "word"; readonly text: string; readonly start: number }
  | { readonly kind: "string"; readonly text: string; readonly start: number; readonly value: string }
  | { readonly kind: "number"; readonly text: string; readonly start: number; readonly value: number }
  | { readonly kind: "(" | ")" | "[" | "]"; readonly text: string; readonly start: number }
  | { readonly kind: "end"; readonly text: ""; readonly start: number };

/** A syntax error, thrown inside the parser only and turned into a Result at its entry points. */
export class SyntaxFault {
  /** `invalidValue` for a well-formed string literal whose value is not valid Unicode; else the entry point's own code. */
  constructor(
    readonly detail: string,
    readonly code?: "invalidValue",
  ) {}
}

export function column(offset: number): number {
  return offset + 1;
}

export function describeToken(token: Token): string {
  if (token.kind === "end") return "end of input";
  const text = token.text.length > 40 ? `${token.text.slice(0, 37)}...` : token.text;
  return token.kind === "string" ? text : `"${text}"`;
}

const WORD_CHAR = /[A-Za-z0-9_$:.\-]/;
const WORD_RUN = /[A-Za-z0-9_$:.+\-]*/y;
// RFC 8259 §6: a JSON number.
const JSON_NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const WHITESPACE = /\s/;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (WHITESPACE.test(ch)) {
      i++;
    } else if (ch === "(" || ch === ")" || ch === "[" || ch === "]") {
      tokens.push({ kind: ch, text: ch, start: i });
      i++;
    } else if (ch === '"') {
      const token = scanString(text, i);
      tokens.push(token);
      i += token.text.length;
    } else if (ch === "-" || (ch >= "0" && ch <= "9")) {
      JSON_NUMBER.lastIndex = i;
      const match = JSON_NUMBER.exec(text);
      const numberText = match?.[0] ?? "";
      const end = i + numberText.length;
      if (numberText.length > 0 && !WORD_CHAR.test(text.charAt(end))) {
        tokens.push({ kind: "number", text: numberText, start: i, value: Number(numberText) });
        i = end;
      } else {
        const word = wordAt(text, i);
        tokens.push({ kind: "word", text: word, start: i });
        i += word.length;
      }
    } else if (WORD_CHAR.test(ch)) {
      const word = wordAt(text, i);
      tokens.push({ kind: "word", text: word, start: i });
      i += word.length;
    } else if (ch === "'") {
      throw new SyntaxFault(`unexpected "'" at column ${column(i)}; strings are written in double quotes`);
    } else {
      throw new SyntaxFault(`unexpected "${ch}" at column ${column(i)}`);
    }
  }
  tokens.push({ kind: "end", text: "", start: text.length });
  return tokens;
}

function wordAt(text: string, start: number): string {
  WORD_RUN.lastIndex = start;
  return WORD_RUN.exec(text)?.[0] ?? "";
}

function scanString(text: string, start: number): Token {
  let value = "";
  let i = start + 1;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === '"') {
      // No stored value holds U+0000 (PostgreSQL text cannot): refused before it reaches SQL.
      if (value.includes("\u0000")) {
        throw new SyntaxFault(`the string starting at column ${column(start)} holds a NUL character (U+0000), which no attribute value can contain`);
      }
      // "\ud800" is well-formed JSON but not a character: refused as the body's strings are.
      if (hasLoneSurrogate(value)) {
        throw new SyntaxFault(
          `the string starting at column ${column(start)} is not valid Unicode: it holds an unpaired UTF-16 surrogate; escape a character outside the Basic Multilingual Plane as a surrogate pair`,
          "invalidValue",
        );
      }
      return { kind: "string", text: text.slice(start, i + 1), start, value };
    }
    if (ch === "\\") {
      const escape = text.charAt(i + 1);
      const simple = ESCAPES[escape];
      if (simple !== undefined) {
        value += simple;
        i += 2;
      } else if (escape === "u" && /^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) {
        value += String.fromCharCode(Number.parseInt(text.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        const shown = escape === "u" ? text.slice(i, i + 6) : text.slice(i, i + 2);
        throw new SyntaxFault(`invalid escape "${shown}" at column ${column(i)} in the string starting at column ${column(start)}`);
      }
    } else {
      value += ch;
      i++;
    }
  }
  throw new SyntaxFault(`unterminated string starting at column ${column(start)}`);
}
