import type { RE2JS } from "re2js";
import { compileRe2, embedded, fieldOfGroup, keywordSource, stripGroupNames } from "./re2.ts";
import type { Category, Pattern, Severity } from "./schema.ts";
import { SEVERITIES } from "./schema.ts";

/**
 * Local matching of log lines against the library, with RE2 semantics
 * (re2js), so it agrees with the Loki line filter from `pushdown.ts`.
 *
 * Semantics of a pattern's `match` (all given conditions must hold):
 * - `keywords`: the line contains at least one of them as a literal substring;
 * - `regex`: the RE2 regex matches somewhere in the line (unanchored);
 * - `exclude`: the line contains none of them;
 * - `case`: `insensitive` (default) applies Unicode simple case folding, as
 *   RE2's `(?i)`, to keywords, regex and exclude alike; `sensitive` compares
 *   exactly.
 * Fields are the regex's named groups; `user__2` fills `user` (first group
 * that took part in the match wins). Keyword-only patterns extract nothing.
 *
 * RE2 runs in linear time, but each pattern reads the line: only the first
 * MAX_MATCH_LENGTH characters of a line are matched, so a huge line costs no
 * more than one of that length (a pattern whose text sits past them in such a
 * line goes unnoticed locally, where Loki's filter would still see it).
 */

/** Characters of a line the patterns are matched against. */
export const MAX_MATCH_LENGTH = 16_384;

const head = (line: string) => (line.length > MAX_MATCH_LENGTH ? line.slice(0, MAX_MATCH_LENGTH) : line);

export interface PatternMatch {
  id: string;
  title: string;
  category: Category;
  severity: Severity;
  /** Values of the pattern's named groups that took part in the match. */
  fields: Record<string, string>;
  /** The pattern has a burst threshold: one match is a signal, the alert is the burst (see `evaluateBursts`). */
  burst: boolean;
}

export interface PatternMatcher {
  readonly patterns: readonly Pattern[];
  /** Every pattern the line matches, in library order. */
  match(line: string): PatternMatch[];
  /** The most severe match (library order breaks ties), or undefined. */
  best(line: string): PatternMatch | undefined;
  /** Whether the pattern with this id matches the line; throws on an unknown id. */
  test(id: string, line: string): boolean;
}

interface Compiled {
  pattern: Pattern;
  keywords: RE2JS | undefined;
  regex: RE2JS | undefined;
  exclude: RE2JS | undefined;
}

function compilePattern(pattern: Pattern): Compiled {
  const { regex, keywords, exclude, case: rule } = pattern.match;
  return {
    pattern,
    keywords: keywords === undefined ? undefined : compileRe2(keywordSource(keywords), rule),
    regex: regex === undefined ? undefined : compileRe2(regex, rule),
    exclude: exclude === undefined ? undefined : compileRe2(keywordSource(exclude), rule),
  };
}

/**
 * The regex source of a pattern's cheapest condition that every match
 * satisfies (its keywords when it has any, else its regex), embeddable in an
 * alternation. A superset of the pattern's matches.
 */
export function supersetSource(pattern: Pattern): string {
  const { regex, keywords, case: rule } = pattern.match;
  const source = keywords !== undefined ? keywordSource(keywords) : stripGroupNames(regex ?? "");
  return embedded(source, rule);
}

function matchOne(c: Compiled, line: string): PatternMatch | undefined {
  if (c.keywords !== undefined && !c.keywords.test(line)) return undefined;
  if (c.exclude?.test(line)) return undefined;
  const fields: Record<string, string> = {};
  if (c.regex !== undefined) {
    // test() runs re2js's DFA; exec() needs the slower capturing engine, so only on lines that match.
    if (!c.regex.test(line)) return undefined;
    const m = c.regex.exec(line);
    if (m === null) return undefined;
    const groups = (m as { groups?: Record<string, string | undefined> }).groups ?? {};
    for (const [group, value] of Object.entries(groups)) {
      const field = fieldOfGroup(group);
      if (typeof value === "string" && fields[field] === undefined) fields[field] = value;
    }
  }
  const p = c.pattern;
  return { id: p.id, title: p.title, category: p.category, severity: p.severity, fields, burst: p.burst !== undefined };
}

/** Lower is more severe. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Compiles the patterns once. Throws if a regex does not compile (validate with the loader first). */
export function createMatcher(patterns: readonly Pattern[]): PatternMatcher {
  const compiled = patterns.map(compilePattern);
  const byId = new Map(compiled.map((c) => [c.pattern.id, c]));
  // One pass of a single RE2 automaton rejects most lines before any per-pattern work.
  let prefilter: RE2JS | undefined;
  if (patterns.length > 1) {
    try {
      prefilter = compileRe2(patterns.map(supersetSource).join("|"));
    } catch {
      prefilter = undefined;
    }
  }

  const match = (whole: string): PatternMatch[] => {
    const line = head(whole);
    if (prefilter !== undefined && !prefilter.test(line)) return [];
    const out: PatternMatch[] = [];
    for (const c of compiled) {
      const m = matchOne(c, line);
      if (m !== undefined) out.push(m);
    }
    return out;
  };

  return {
    patterns,
    match,
    best(line) {
      let best: PatternMatch | undefined;
      for (const m of match(line)) {
        if (best === undefined || severityRank(m.severity) < severityRank(best.severity)) best = m;
      }
      return best;
    },
    test(id, line) {
      const c = byId.get(id);
      if (c === undefined) throw new RangeError(`unknown pattern id "${id}"`);
      return matchOne(c, head(line)) !== undefined;
    },
  };
}
