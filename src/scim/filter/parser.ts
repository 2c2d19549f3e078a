import { COMPARE_OPERATORS, type AttributePath, type CompareOperator, type Filter, type FilterValue } from "./ast.js";
import { describeAttributePathFault, splitAttributePath } from "./attr-path.js";
import { SyntaxFault, column, describeToken, type Token } from "./tokenize.js";

export const MAX_FILTER_DEPTH = 64;

const EXPECTED_OPERATOR = `expected one of ${COMPARE_OPERATORS.join(" ")} pr`;
const EXPECTED_VALUE = "expected a comparison value: a JSON string in double quotes, a number, true, false or null";
const LITERALS: Readonly<Record<string, FilterValue>> = { true: true, false: false, null: null };

function isOperator(word: string): word is CompareOperator {
  return (COMPARE_OPERATORS as readonly string[]).includes(word);
}

/**
 * Recursive descent over RFC 7644 §3.4.2.2:
 *   filter = term *("or" term); term = factor *("and" factor)   ; "and" binds tighter
 *   factor = "not" "(" filter ")" / "(" filter ")" / attrPath "[" valFilter "]"
 *          / attrPath "pr" / attrPath compareOp compValue
 * Inside brackets (valFilter) another "[" is an error. Throws SyntaxFault.
 */
export class FilterParser {
  private position = 0;
  private depth = 0;
  private inBracket = false;

  constructor(private readonly tokens: readonly Token[]) {}

  peek(offset = 0): Token {
    const token = this.tokens[Math.min(this.position + offset, this.tokens.length - 1)];
    if (token === undefined) throw new SyntaxFault("internal: no tokens");
    return token;
  }

  next(): Token {
    const token = this.peek();
    if (token.kind !== "end") this.position++;
    return token;
  }

  parseFilter(): Filter {
    let left = this.parseTerm();
    while (this.isKeyword(this.peek(), "or")) {
      this.next();
      left = { kind: "or", left, right: this.parseTerm() };
    }
    return left;
  }

  /** The bracketed part of a value path, the "[" already consumed; consumes the "]". */
  parseBracket(open: Token): Filter {
    this.enter(open);
    this.inBracket = true;
    const filter = this.parseFilter();
    this.close(open, "]");
    this.inBracket = false;
    this.depth--;
    return filter;
  }

  expectEnd(expected: string): void {
    const token = this.peek();
    if (token.kind !== "end") throw this.unexpected(token, expected);
  }

  unexpected(token: Token, expected: string): SyntaxFault {
    return new SyntaxFault(`unexpected ${describeToken(token)} at column ${column(token.start)}; ${expected}`);
  }

  parsePath(token: Token): AttributePath {
    const split = splitAttributePath(token.text);
    if (split.ok) return split.path;
    throw new SyntaxFault(describeAttributePathFault(split.fault, token.start));
  }

  private parseTerm(): Filter {
    let left = this.parseFactor();
    while (this.isKeyword(this.peek(), "and")) {
      this.next();
      left = { kind: "and", left, right: this.parseFactor() };
    }
    return left;
  }

  private parseFactor(): Filter {
    const token = this.next();
    if (token.kind === "word" && token.text.toLowerCase() === "not" && this.peek().kind === "(") {
      const open = this.next();
      return { kind: "not", filter: this.parseGroup(open) };
    }
    if (token.kind === "(") return this.parseGroup(token);
    if (token.kind === "[" && this.inBracket) throw this.nestedBracket(token);
    if (token.kind !== "word") {
      throw this.unexpected(token, 'expected an attribute path, "(" or "not ("');
    }
    const path = this.parsePath(token);
    const operator = this.next();
    if (operator.kind === "[") {
      if (this.inBracket) throw this.nestedBracket(operator);
      const filter = this.parseBracket(operator);
      const after = this.peek();
      if (after.kind === "word" && after.text.startsWith(".")) {
        throw new SyntaxFault(
          `unexpected "${after.text}" at column ${column(after.start)}; a filter cannot name a sub-attribute after "]" ` +
            `(compare it inside the brackets, as in emails[type eq "work" and value eq "x"])`,
        );
      }
      return { kind: "valuePath", path, filter };
    }
    if (operator.kind === "word") {
      const op = operator.text.toLowerCase();
      if (op === "pr") return { kind: "present", path };
      if (isOperator(op)) return { kind: "compare", path, op, value: this.parseValue() };
    }
    throw this.unexpected(operator, EXPECTED_OPERATOR);
  }

  private parseValue(): FilterValue {
    const token = this.next();
    if (token.kind === "string" || token.kind === "number") return token.value;
    if (token.kind === "word") {
      const literal = LITERALS[token.text.toLowerCase()];
      if (literal !== undefined) return literal;
    }
    throw this.unexpected(token, EXPECTED_VALUE);
  }

  private parseGroup(open: Token): Filter {
    this.enter(open);
    const filter = this.parseFilter();
    this.close(open, ")");
    this.depth--;
    return filter;
  }

  private enter(open: Token): void {
    this.depth++;
    if (this.depth > MAX_FILTER_DEPTH) {
      throw new SyntaxFault(`nesting deeper than ${MAX_FILTER_DEPTH} levels at column ${column(open.start)}`);
    }
  }

  private close(open: Token, closer: ")" | "]"): void {
    const token = this.next();
    if (token.kind === closer) return;
    if (token.kind === "end") {
      throw new SyntaxFault(
        `missing "${closer}" for the "${open.text}" at column ${column(open.start)} (reached end of input at column ${column(token.start)})`,
      );
    }
    throw this.unexpected(token, `expected "and", "or" or "${closer}" closing the "${open.text}" at column ${column(open.start)}`);
  }

  private nestedBracket(token: Token): SyntaxFault {
    return new SyntaxFault(`nested "[" at column ${column(token.start)}; a value filter cannot contain another value path`);
  }

  private isKeyword(token: Token, keyword: string): boolean {
    return token.kind === "word" && token.text.toLowerCase() === keyword;
  }
}
