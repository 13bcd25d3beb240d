import { RE2JS } from "re2js";

/**
 * RE2 helpers shared by the schema, the matcher and the pushdown.
 *
 * Authoring syntax is RE2 / Go `regexp` (what Loki runs): named groups are
 * written `(?P<name>...)`. Local matching uses re2js, a port of Go's engine,
 * so a line matches locally exactly when Loki's `|~` would match it: no
 * conversion to JavaScript RegExp happens anywhere, and `\b`, `\s`, `\w`,
 * `(?i)` folding and `.` (no newline) mean the same on both sides.
 */

/** Longest regex accepted in a pattern (the LogQL builder's limit is 1024 per filter value). */
export const MAX_REGEX_LENGTH = 1000;

/** `user__2` captures the field `user` in another branch of an alternation (Go rejects duplicate names). */
const ALIAS_SUFFIX = /__\d+$/;

export type CaseRule = "insensitive" | "sensitive";

export interface GroupToken {
  /** Offset of the opening parenthesis. */
  index: number;
  /** Length of the group opener, e.g. `(?P<name>` */
  length: number;
  name: string;
  syntax: "go" | "js";
}

/**
 * Named group openers in `source`, skipping escapes (`\(`), quoted runs
 * (`\Q...\E`) and character classes (`[(?P<x>]` is literal text).
 */
export function namedGroupTokens(source: string): GroupToken[] {
  const out: GroupToken[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i];
    if (ch === "\\") {
      if (source[i + 1] === "Q") {
        const end = source.indexOf("\\E", i + 2);
        i = end === -1 ? source.length : end + 2;
      } else i += 2;
      continue;
    }
    if (ch === "[") {
      i = skipClass(source, i);
      continue;
    }
    if (ch === "(") {
      const m = /^\(\?(P?)<([A-Za-z0-9_]+)>/.exec(source.slice(i, i + 260));
      if (m !== null && m[2] !== undefined) {
        out.push({ index: i, length: m[0].length, name: m[2], syntax: m[1] === "P" ? "go" : "js" });
        i += m[0].length;
        continue;
      }
    }
    i++;
  }
  return out;
}

/** Index just past the character class opening at `start` (`[]a]` and `[^]a]` hold a literal `]`). */
function skipClass(source: string, start: number): number {
  let i = start + 1;
  if (source[i] === "^") i++;
  if (source[i] === "]") i++;
  while (i < source.length) {
    const ch = source[i];
    if (ch === "\\") i += 2;
    else if (ch === "[" && source[i + 1] === ":") {
      const end = source.indexOf(":]", i + 2);
      i = end === -1 ? i + 1 : end + 2;
    } else if (ch === "]") return i + 1;
    else i++;
  }
  return i;
}

/** The same regex with named groups made plain capturing groups (so several can be joined into one). */
export function stripGroupNames(source: string): string {
  let out = "";
  let last = 0;
  for (const t of namedGroupTokens(source)) {
    out += `${source.slice(last, t.index)}(`;
    last = t.index + t.length;
  }
  return out + source.slice(last);
}

/** The field a named group fills: `user__2` → `user`. */
export function fieldOfGroup(group: string): string {
  return group.replace(ALIAS_SUFFIX, "");
}

/** RE2 alternation matching any of the literal keywords. */
export function keywordSource(keywords: readonly string[]): string {
  return keywords.map((k) => RE2JS.quote(k)).join("|");
}

/** Top-level form of a regex under a case rule: `(?i)re` or `re`. */
export function withCase(source: string, rule: CaseRule): string {
  return rule === "insensitive" ? `(?i)${source}` : source;
}

/** Form of a regex that can be embedded in an alternation: `(?i:re)` or `(?:re)`. */
export function embedded(source: string, rule: CaseRule): string {
  return rule === "insensitive" ? `(?i:${source})` : `(?:${source})`;
}

/** Compiles with re2js; throws the RE2 parser's message on invalid syntax. */
export function compileRe2(source: string, rule: CaseRule = "sensitive"): RE2JS {
  return RE2JS.compile(withCase(source, rule));
}

/** The RE2 parse error for `source`, or undefined when it compiles. */
export function re2Error(source: string, rule: CaseRule = "sensitive"): string | undefined {
  try {
    compileRe2(source, rule);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}
