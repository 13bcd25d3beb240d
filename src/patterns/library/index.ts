import { fileURLToPath } from "node:url";
import { loadPatternSources, loadPatternSourcesSync, parsePatternSources } from "./loader.ts";
import { createMatcher, type PatternMatch, type PatternMatcher } from "./matcher.ts";
import { renderPushdown } from "./pushdown.ts";
import type { Pattern } from "./schema.ts";
import { type PatternQuery, selectPatterns } from "./select.ts";

/**
 * The failure pattern library: patterns as data in `patterns/*.yaml`,
 * validated at start-up, matched locally with RE2 semantics and pushed down
 * to Loki as line filters.
 */

export { type Burst, evaluateBursts, type TimedMatch } from "./burst.ts";
export { formatIssue, type PatternIssue, PatternLibraryError } from "./errors.ts";
export {
  exampleIssues,
  loadPatternSources,
  loadPatternSourcesSync,
  type PatternSource,
  parsePatternFile,
  parsePatternSources,
} from "./loader.ts";
export { createMatcher, type PatternMatch, type PatternMatcher, severityRank, supersetSource } from "./matcher.ts";
export { lineFiltersMatch, patternStages, pushdownStages, renderPushdown } from "./pushdown.ts";
export {
  type BurstRule,
  CATEGORIES,
  type Category,
  type Pattern,
  type PatternField,
  type PatternInput,
  type PatternMatchRule,
  patternFileSchema,
  patternSchema,
  SEVERITIES,
  type Severity,
} from "./schema.ts";
export { type PatternQuery, selectPatterns } from "./select.ts";

/** The repository's `patterns/` folder. */
export const DEFAULT_PATTERN_DIR: string = fileURLToPath(new URL("../../../patterns/", import.meta.url));

export interface PatternLibrary {
  readonly patterns: readonly Pattern[];
  /** The pattern with this id, or undefined. */
  get(id: string): Pattern | undefined;
  /** Patterns filtered by category / severity, in library order. */
  select(query?: PatternQuery): Pattern[];
  /** Every pattern the line matches (compiled once for the library). */
  match(line: string): PatternMatch[];
  /** The most severe match of the line, or undefined. */
  best(line: string): PatternMatch | undefined;
  /** LogQL line filter(s) selecting a superset of the lines the given patterns (default: all) match. */
  pushdown(ids?: readonly string[]): string;
  readonly matcher: PatternMatcher;
}

/** Builds a library from validated patterns (see `parsePatternSources`). */
export function createPatternLibrary(patterns: readonly Pattern[]): PatternLibrary {
  const byId = new Map(patterns.map((p) => [p.id, p]));
  const matcher = createMatcher(patterns);
  const lookup = (id: string): Pattern => {
    const p = byId.get(id);
    if (p === undefined) throw new RangeError(`unknown pattern id "${id}"`);
    return p;
  };
  return {
    patterns,
    matcher,
    get: (id) => byId.get(id),
    select: (query) => selectPatterns(patterns, query),
    match: (line) => matcher.match(line),
    best: (line) => matcher.best(line),
    pushdown: (ids) => renderPushdown(ids === undefined ? patterns : ids.map(lookup)),
  };
}

/** Loads and validates every YAML file of `dir` (default: the repo's `patterns/`); throws PatternLibraryError. */
export async function loadPatternLibrary(dir: string = DEFAULT_PATTERN_DIR): Promise<PatternLibrary> {
  return createPatternLibrary(parsePatternSources(await loadPatternSources(dir)));
}

/** `loadPatternLibrary` for start-up code that builds its dependencies synchronously. */
export function loadPatternLibrarySync(dir: string = DEFAULT_PATTERN_DIR): PatternLibrary {
  return createPatternLibrary(parsePatternSources(loadPatternSourcesSync(dir)));
}
