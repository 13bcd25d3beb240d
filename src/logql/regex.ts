import { RE2JS, RE2JSException } from "re2js";
import { LogqlError } from "./errors.ts";
import { assertWellFormed } from "./quote.ts";

/**
 * User regexes are checked with re2js (a port of Go's RE2 parser), so what
 * passes here is what Loki's Go `regexp` accepts: no lookarounds, no
 * backreferences, repeat counts <= 1000.
 */

export const DEFAULT_MAX_REGEX_LENGTH = 1024;

export interface CheckRegexOptions {
  /** Maximum length in UTF-16 code units (default 1024). */
  maxLength?: number;
  /** Name of the input for error messages (default "regex"). */
  field?: string;
  /** Require at least one named capture group `(?P<name>...)` (the `regexp` parser). */
  requireNamedGroup?: boolean;
}

export interface RegexInfo {
  pattern: string;
  /** Named capture groups, in order of appearance. */
  groupNames: string[];
}

function compile(pattern: string, field: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (cause) {
    const reason = cause instanceof RE2JSException ? cause.message : String(cause);
    throw new LogqlError(`${field} is not a valid RE2 regular expression: ${reason}`, {
      code: "invalid_regex",
      field,
      hint: "Use RE2 syntax (Go regexp): no lookahead/lookbehind (?=, (?!, (?<=), no backreferences (\\1), repeat counts at most 1000. Escape literal characters such as . ( [ with a backslash.",
      cause,
    });
  }
}

/** Validates a user regex (length, RE2 syntax, compiles) and returns its details. */
export function regexInfo(pattern: string, options: CheckRegexOptions = {}): RegexInfo {
  const field = options.field ?? "regex";
  const maxLength = options.maxLength ?? DEFAULT_MAX_REGEX_LENGTH;
  assertWellFormed(pattern, field);
  if (pattern.length > maxLength) {
    throw new LogqlError(`${field} is ${pattern.length} characters long; the limit is ${maxLength}`, {
      code: "invalid_regex",
      field,
      hint: `Shorten ${field} to at most ${maxLength} characters, or use several line filters instead of one large alternation.`,
    });
  }
  const re = compile(pattern, field);
  const groups = re.namedGroups();
  const groupNames = Object.keys(groups).sort((a, b) => (groups[a] ?? 0) - (groups[b] ?? 0));
  if (options.requireNamedGroup && groupNames.length === 0) {
    throw new LogqlError(`${field} has no named capture group`, {
      code: "invalid_regex",
      field,
      hint: "The regexp parser extracts labels from named groups: write (?P<name>...) for each label to extract.",
    });
  }
  return { pattern, groupNames };
}

/** Validates a user regex and returns the pattern unchanged (so its meaning never changes). */
export function checkRegex(pattern: string, options: CheckRegexOptions = {}): string {
  return regexInfo(pattern, options).pattern;
}

const anchoredCache = new Map<string, RE2JS | null>();

/**
 * Compiles a label-matcher regex the way Prometheus does (fully anchored,
 * `.` matching newlines); null when it does not compile.
 */
function anchored(pattern: string): RE2JS | null {
  let re = anchoredCache.get(pattern);
  if (re === undefined) {
    try {
      re = RE2JS.compile(`^(?s:${pattern})$`);
    } catch {
      re = null;
    }
    if (anchoredCache.size > 500) anchoredCache.clear();
    anchoredCache.set(pattern, re);
  }
  return re;
}

/** Whether a label-matcher regex (`=~`, fully anchored) matches `value`. Invalid regexes match nothing. */
export function labelRegexMatches(pattern: string, value: string): boolean {
  return anchored(pattern)?.matches(value) ?? false;
}
