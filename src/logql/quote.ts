import { LogqlError } from "./errors.ts";

/**
 * Escaping of user values into LogQL string literals.
 *
 * Loki lexes strings with Go's text/scanner and decodes them with Prometheus'
 * strutil.Unquote (Go strconv rules). `quote` writes a Go double-quoted
 * literal that decodes to exactly the input:
 * - `\` and `"` are backslash-escaped;
 * - \a \b \f \n \r \t \v use their short escapes, other C0 controls and DEL
 *   use `\xNN`, C1 controls use `\u00NN` (a `\x80` escape would be a raw byte,
 *   not U+0080);
 * - every other non-printable code point (Unicode categories C*, Zl, Zp:
 *   format characters such as bidi overrides and the BOM, private use,
 *   unassigned) is written `\uNNNN` / `\UNNNNNNNN`, so a literal never
 *   carries invisible characters and never breaks a line;
 * - all other Unicode is kept as is.
 *
 * Lone UTF-16 surrogates are REJECTED with a LogqlError: they have no UTF-8
 * form (an HTTP client would silently turn them into U+FFFD, searching for a
 * different value) and Go rejects `\uD800` escapes. Failing loudly is the
 * only way to keep "the value reaches Loki as the same literal".
 */

const NEEDS_ESCAPE = /[\\"\p{C}\p{Zl}\p{Zp}]/u;
const BACKTICK_UNSAFE = /[`\p{C}\p{Zl}\p{Zp}]/u;

const SHORT_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  '"': '\\"',
  "\x07": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
};

export function assertWellFormed(value: string, field: string): void {
  if (typeof value !== "string") {
    throw new LogqlError(`${field} must be a string`, {
      code: "invalid_string",
      field,
      hint: `Pass ${field} as a JSON string.`,
    });
  }
  if (!value.isWellFormed()) {
    const index = [...value].findIndex((ch) => ch.length === 1 && /[\uD800-\uDFFF]/.test(ch));
    throw new LogqlError(`${field} contains a lone UTF-16 surrogate (near code point ${index}); it has no UTF-8 form`, {
      code: "invalid_string",
      field,
      hint: `Send ${field} as valid Unicode text; remove or replace the broken character.`,
    });
  }
}

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, "0");
}

function escapeChar(ch: string): string {
  const short = SHORT_ESCAPES[ch];
  if (short !== undefined) return short;
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x80) return `\\x${hex(cp, 2)}`;
  if (cp <= 0xffff) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

/** Go double-quoted literal for `value`. Throws LogqlError on lone surrogates. */
export function quote(value: string, field = "value"): string {
  assertWellFormed(value, field);
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`;
  let out = '"';
  for (const ch of value) {
    out += NEEDS_ESCAPE.test(ch) ? escapeChar(ch) : ch;
  }
  return `${out}"`;
}

/** True when `value` can be written as a backtick (raw) literal unchanged. */
export function isBacktickSafe(value: string): boolean {
  return typeof value === "string" && value.isWellFormed() && !BACKTICK_UNSAFE.test(value);
}

/**
 * Backtick literal for `value`, or undefined when it is not safe: a raw
 * literal cannot contain a backtick, and we also refuse every control or
 * invisible character (newline, CR, NUL, BOM...) so raw literals stay on one
 * line and mean what they show.
 */
export function quoteBacktick(value: string): string | undefined {
  return isBacktickSafe(value) ? `\`${value}\`` : undefined;
}

export type LiteralStyle = "double" | "backtick" | "auto";

/**
 * A literal in the requested style. `auto` uses backticks when the value
 * contains a backslash and backticks are safe (regexes read as written),
 * and double quotes otherwise. `backtick` falls back to double quotes when
 * backticks are unsafe.
 */
export function literal(value: string, style: LiteralStyle = "double", field = "value"): string {
  assertWellFormed(value, field);
  if (style === "double") return quote(value, field);
  const raw = quoteBacktick(value);
  if (raw === undefined) return quote(value, field);
  if (style === "backtick" || value.includes("\\")) return raw;
  return quote(value, field);
}
