import { parseDuration } from "./duration.ts";
import { LogqlError } from "./errors.ts";
import { assertSelectable } from "./matchall.ts";
import { checkRegex } from "./regex.ts";
import { findSelectors, type ParsedSelector } from "./selectors.ts";
import { type Span, syntaxError, type Token, tokenize } from "./tokenize.ts";

/**
 * Local validation of a caller's raw LogQL. It answers early and precisely
 * for the common mistakes; Loki's /loki/api/v1/format_query remains the
 * authority on the full grammar.
 */

/** Loki refuses queries of 5120 bytes or more (parser maxInputSize). */
export const LOKI_MAX_QUERY_BYTES = 5119;

export interface RawQueryOptions {
  /** Longest accepted query in UTF-8 bytes (default LOKI_MAX_QUERY_BYTES). */
  maxBytes?: number;
  /** Longest regex literal (default 1024). */
  maxRegexLength?: number;
}

export interface RawQueryInfo {
  tokens: Token[];
  comments: Span[];
  selectors: ParsedSelector[];
}

const encoder = new TextEncoder();

export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

export function assertQueryLength(logql: string, maxBytes = LOKI_MAX_QUERY_BYTES, field = "logql"): void {
  const bytes = utf8Length(logql);
  if (bytes > maxBytes) {
    throw new LogqlError(`${field} is ${bytes} bytes; the limit is ${maxBytes}`, {
      code: "query_too_long",
      field,
      hint: "Shorten the query: fewer alternatives in regexes, fewer line filters, or split it into several queries.",
    });
  }
}

function checkParens(tokens: readonly Token[]): void {
  const open: Token[] = [];
  for (const t of tokens) {
    if (t.kind !== "punct") continue;
    if (t.text === "(") open.push(t);
    else if (t.text === ")" && open.pop() === undefined) {
      throw syntaxError("unexpected )", t.start, "Remove the extra ) or add the matching (.");
    }
  }
  const unclosed = open.pop();
  if (unclosed !== undefined) throw syntaxError("unclosed (", unclosed.start, "Add the matching ).");
}

function checkRegexLiterals(tokens: readonly Token[], maxLength: number | undefined): void {
  for (let j = 0; j < tokens.length; j++) {
    const t = tokens[j]!;
    const isRegexOp = t.kind === "punct" && (t.text === "|~" || t.text === "!~" || t.text === "=~");
    const isRegexpParser = t.kind === "ident" && t.text === "regexp" && tokens[j - 1]?.text === "|";
    if (!isRegexOp && !isRegexpParser) continue;
    let k = j + 1;
    while (tokens[k]?.kind === "string") {
      const s = tokens[k]!;
      checkRegex(s.value ?? "", {
        field: `logql (regex at position ${s.start})`,
        requireNamedGroup: isRegexpParser,
        ...(maxLength === undefined ? {} : { maxLength }),
      });
      if (tokens[k + 1]?.kind === "ident" && tokens[k + 1]?.text === "or" && !isRegexpParser) k += 2;
      else break;
    }
  }
}

/** Validates a raw LogQL query locally; throws LogqlError with a hint and position. */
export function validateRawQuery(logql: string, options: RawQueryOptions = {}): RawQueryInfo {
  if (typeof logql !== "string") {
    throw new LogqlError("logql must be a string", {
      code: "invalid_query",
      field: "logql",
      hint: "Pass the query as a string.",
    });
  }
  assertQueryLength(logql, options.maxBytes);
  const { tokens, comments } = tokenize(logql);
  if (tokens.length === 0) {
    throw new LogqlError("logql is empty", {
      code: "invalid_query",
      field: "logql",
      hint: 'Give a LogQL query, e.g. {service_name="checkout"} |= "error".',
    });
  }
  checkParens(tokens);
  for (const t of tokens) {
    if (t.kind === "range") {
      try {
        if (parseDuration(t.value ?? "", "range") <= 0) throw new Error("zero");
      } catch {
        throw syntaxError(
          `invalid range ${t.text}`,
          t.start,
          "Write ranges as a positive duration in brackets: [30s], [5m], [1h30m].",
        );
      }
    }
  }
  checkRegexLiterals(tokens, options.maxRegexLength);
  const selectors = findSelectors(tokens);
  selectors.forEach((s, i) => {
    assertSelectable(s.matchers, `logql selector ${i + 1} (position ${s.start})`);
  });
  return { tokens, comments, selectors };
}
