import { LogqlError } from "./errors.ts";
import { unquoteLiteral } from "./unquote.ts";

/**
 * A small LogQL tokenizer that agrees with Loki's lexer (Go text/scanner in
 * GoTokens mode plus Loki's own `#` comments and raw `[range]` scanning) on
 * everything that decides WHERE a string, comment or range starts and ends.
 * Where the two could disagree it refuses the input instead:
 * - `'...'` (a Go char literal to Loki) and `//`, `/*` (Go comments to Loki)
 *   are rejected, so no text can be a comment or string to one and code to
 *   the other;
 * - NUL, lone surrogates, control and non-ASCII characters outside string
 *   literals are rejected.
 * This is what makes selector scoping sound: every `{` Loki sees, we see.
 */

export type TokenKind = "string" | "ident" | "number" | "range" | "punct";

export interface Token {
  kind: TokenKind;
  /** Source text of the token. */
  text: string;
  /** Offsets into the source (UTF-16 code units), end exclusive. */
  start: number;
  end: number;
  /** Decoded value for strings; the duration text for ranges. */
  value?: string;
}

export interface Span {
  start: number;
  end: number;
}

export interface Tokenized {
  tokens: Token[];
  /** `#` comments, from `#` up to (not including) the newline. */
  comments: Span[];
}

const PUNCT2 = new Set(["!=", "=~", "!~", "!>", "|=", "|~", "|>", "==", ">=", "<="]);
const PUNCT1 = new Set(["{", "}", "(", ")", ",", "=", "|", ">", "<", "+", "-", "*", "/", "%", "^", "."]);
const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);

export function syntaxError(message: string, position: number, hint: string): LogqlError {
  return new LogqlError(`${message} at position ${position}`, {
    code: "invalid_query",
    field: "logql",
    hint,
    position,
  });
}

function scanDoubleQuoted(src: string, start: number): number {
  let i = start + 1;
  while (i < src.length) {
    const ch = src[i];
    if (ch === '"') return i + 1;
    if (ch === "\n") break;
    i += ch === "\\" ? 2 : 1;
  }
  throw syntaxError(
    "unterminated string",
    start,
    'Close the string with " on the same line; write newlines inside strings as \\n.',
  );
}

function scanNumber(src: string, start: number): number {
  let i = start;
  while (i < src.length) {
    const ch = src[i]!;
    if (/[0-9A-Za-z_.µ]/.test(ch)) i++;
    else if ((ch === "+" || ch === "-") && /^[0-9.]+[eE]$/.test(src.slice(start, i))) i++;
    else break;
  }
  return i;
}

/** Tokenizes a raw LogQL query; throws LogqlError with a position on anything unsafe or malformed. */
export function tokenize(src: string): Tokenized {
  if (!src.isWellFormed()) {
    throw syntaxError("query contains a lone UTF-16 surrogate", 0, "Send the query as valid Unicode text.");
  }
  const nul = src.indexOf("\0");
  if (nul >= 0)
    throw syntaxError(
      "query contains a NUL character",
      nul,
      "Remove the NUL character; inside strings write it as \\x00.",
    );
  const tokens: Token[] = [];
  const comments: Span[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    const start = i;
    if (WHITESPACE.has(ch)) {
      i++;
    } else if (ch === "#") {
      const nl = src.indexOf("\n", i);
      i = nl < 0 ? src.length : nl;
      comments.push({ start, end: i });
    } else if (ch === '"' || ch === "`") {
      if (ch === '"') i = scanDoubleQuoted(src, start);
      else {
        const close = src.indexOf("`", start + 1);
        if (close < 0) throw syntaxError("unterminated raw string", start, "Close the string with a backtick.");
        i = close + 1;
      }
      const text = src.slice(start, i);
      tokens.push({ kind: "string", text, start, end: i, value: unquoteLiteral(text, start) });
    } else if (ch === "[") {
      const close = src.indexOf("]", start + 1);
      if (close < 0) throw syntaxError("missing ] after range", start, "Write ranges as [5m], [1h30m].");
      i = close + 1;
      tokens.push({ kind: "range", text: src.slice(start, i), start, end: i, value: src.slice(start + 1, close) });
    } else if (/[A-Za-z_]/.test(ch)) {
      while (i < src.length && /[A-Za-z0-9_]/.test(src[i]!)) i++;
      tokens.push({ kind: "ident", text: src.slice(start, i), start, end: i });
    } else if (/[0-9]/.test(ch) || (ch === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      i = scanNumber(src, start);
      tokens.push({ kind: "number", text: src.slice(start, i), start, end: i });
    } else if (ch === "'") {
      throw syntaxError(
        "single-quoted strings are not LogQL strings",
        start,
        'Use "double quotes" or `backticks` for strings.',
      );
    } else if (ch === "/" && (src[i + 1] === "/" || src[i + 1] === "*")) {
      throw syntaxError("// and /* comments are not allowed", start, "Use # for comments (up to the end of the line).");
    } else if (PUNCT2.has(src.slice(i, i + 2))) {
      i += 2;
      tokens.push({ kind: "punct", text: src.slice(start, i), start, end: i });
    } else if (PUNCT1.has(ch)) {
      i++;
      tokens.push({ kind: "punct", text: ch, start, end: i });
    } else {
      const shown = JSON.stringify(String.fromCodePoint(src.codePointAt(i) ?? 0));
      throw syntaxError(
        `unexpected character ${shown}`,
        start,
        "Outside string literals LogQL uses ASCII names, numbers and operators; put other text inside quotes.",
      );
    }
  }
  return { tokens, comments };
}
