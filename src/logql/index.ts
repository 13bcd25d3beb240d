/**
 * Safe LogQL builder and validator (pure: no I/O, no adapters).
 *
 * - Build queries from typed parts and `render` them; every value is escaped
 *   with `quote`, names checked with `labelName`, regexes with `checkRegex`.
 * - Accept a caller's raw LogQL only through `scopeRawQuery`, then send the
 *   result to Loki's format_query and verify its answer with `assertScoped`.
 */
export * from "./build.ts";
export { type Duration, durationMs, formatDuration, formatFilterDuration, parseDuration } from "./duration.ts";
export { isLogqlError, LogqlError, type LogqlErrorCode } from "./errors.ts";
export { assertSelectable, isBroadMatcher, isMatchAll, matchesEmpty } from "./matchall.ts";
export { isLabelName, LABEL_NAME, labelName, labelNames } from "./names.ts";
export { isBacktickSafe, type LiteralStyle, literal, quote, quoteBacktick } from "./quote.ts";
export { durationTextMs, type ReadSpan, readSpan, readSpanOf } from "./readspan.ts";
export { type CheckRegexOptions, checkRegex, labelRegexMatches, type RegexInfo, regexInfo } from "./regex.ts";
export {
  renderLabelFilterExpr,
  renderLogQuery,
  renderMatcher,
  renderNumber,
  renderPipeline,
  renderSelector,
  renderStage,
} from "./render-log.ts";
export { render, renderMetric } from "./render-metric.ts";
export { assertScoped, type ScopeResult, scopeRawQuery } from "./scope.ts";
export { findSelectors, type ParsedSelector } from "./selectors.ts";
export { type Span, type Token, type Tokenized, tokenize } from "./tokenize.ts";
export type * from "./types.ts";
export { unquoteLiteral } from "./unquote.ts";
export {
  LOKI_MAX_QUERY_BYTES,
  type RawQueryInfo,
  type RawQueryOptions,
  utf8Length,
  validateRawQuery,
} from "./validate.ts";
