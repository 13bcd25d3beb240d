import type { RE2JS } from "re2js";
import { contains, type LineFilterStage, matches, notContains, notMatches, renderStage } from "../../logql/index.ts";
import { supersetSource } from "./matcher.ts";
import { compileRe2, keywordSource, withCase } from "./re2.ts";
import type { Pattern } from "./schema.ts";

/**
 * Loki line filters for patterns. The filter never drops a line the local
 * matcher would match (it selects a SUPERSET), so Loki narrows the lines and
 * `createMatcher` confirms them and extracts fields.
 *
 * - One pattern: its conditions as chained filters, which select exactly its
 *   matches: keywords (`|= "a" or "b"` when case-sensitive, else
 *   `|~ "(?i)a|b"`), then the regex (`|~ "(?i)..."`), then exclusions
 *   (`!= ...` / `!~ "(?i)..."`).
 * - Several patterns: one `|~ "r1" or "r2" ...` filter, where each value is the
 *   pattern's keywords (when it has any) or its regex. Each value stays under
 *   the LogQL builder's 1024-character regex limit.
 */

function keywordStage(words: readonly string[], rule: Pattern["match"]["case"], negate: boolean): LineFilterStage {
  if (rule === "sensitive") return negate ? notContains(...words) : contains(...words);
  const source = withCase(keywordSource(words), rule);
  return negate ? notMatches(source) : matches(source);
}

/** The filters that select exactly the lines `pattern` matches. */
export function patternStages(pattern: Pattern): LineFilterStage[] {
  const { regex, keywords, exclude, case: rule } = pattern.match;
  const stages: LineFilterStage[] = [];
  if (keywords !== undefined) stages.push(keywordStage(keywords, rule, false));
  if (regex !== undefined) stages.push(matches(withCase(regex, rule)));
  if (exclude !== undefined) stages.push(keywordStage(exclude, rule, true));
  return stages;
}

/** Line filters selecting a superset of the lines any of `patterns` matches. Throws on an empty list. */
export function pushdownStages(patterns: Pattern | readonly Pattern[]): LineFilterStage[] {
  const list: readonly Pattern[] = Array.isArray(patterns) ? patterns : [patterns as Pattern];
  const [first] = list;
  if (first === undefined) throw new RangeError("pushdown needs at least one pattern");
  if (list.length === 1) return patternStages(first);
  return [matches(...new Set(list.map(supersetSource)))];
}

/** The pushdown as LogQL text, e.g. `|~ "(?i)connection refused|ECONNREFUSED"`, escaped by the LogQL builder. */
export function renderPushdown(patterns: Pattern | readonly Pattern[]): string {
  return pushdownStages(patterns)
    .map((s, i) => renderStage(s, `pushdown[${i}]`))
    .join(" ");
}

const compiled = new Map<string, RE2JS>();
function re2(source: string): RE2JS {
  let re = compiled.get(source);
  if (re === undefined) {
    re = compileRe2(source);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(source, re);
  }
  return re;
}

/**
 * Evaluates line filters on one line the way Loki does (RE2 regexes,
 * unanchored; `or` values: any for `|=`/`|~`, none for `!=`/`!~`).
 * Pattern filters (`|>`/`!>`) are not supported.
 */
export function lineFiltersMatch(stages: readonly LineFilterStage[], line: string): boolean {
  return stages.every((s) => {
    switch (s.op) {
      case "|=":
        return s.values.some((v) => line.includes(v));
      case "!=":
        return !s.values.some((v) => line.includes(v));
      case "|~":
        return s.values.some((v) => re2(v).test(line));
      case "!~":
        return !s.values.some((v) => re2(v).test(line));
      default:
        throw new RangeError(`line filter ${s.op} is not supported here`);
    }
  });
}
