import { severityRank } from "./matcher.ts";
import type { Category, Pattern, Severity } from "./schema.ts";

/** Filters for listing the library (GET /patterns). Every given criterion must hold. */
export interface PatternQuery {
  /** One category or any of several. */
  category?: Category | readonly Category[];
  /** Exactly this severity, or any of several. */
  severity?: Severity | readonly Severity[];
  /** This severity or a more severe one (`high` keeps critical and high). */
  minSeverity?: Severity;
}

const asList = <T>(value: T | readonly T[] | undefined): readonly T[] | undefined =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value as T];

/** The patterns matching the query, in library order. */
export function selectPatterns(patterns: readonly Pattern[], query: PatternQuery = {}): Pattern[] {
  const categories = asList(query.category);
  const severities = asList(query.severity);
  const maxRank = query.minSeverity === undefined ? undefined : severityRank(query.minSeverity);
  return patterns.filter(
    (p) =>
      (categories === undefined || categories.includes(p.category)) &&
      (severities === undefined || severities.includes(p.severity)) &&
      (maxRank === undefined || severityRank(p.severity) <= maxRank),
  );
}
