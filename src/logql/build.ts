import type { Duration } from "./duration.ts";
import type {
  CompareOp,
  Extraction,
  LabelFilter,
  LineFilterStage,
  LogQuery,
  Matcher,
  MetricQuery,
  RangeAggregation,
  RangeFunction,
  Selector,
  Stage,
  VectorAggregation,
  VectorFunction,
} from "./types.ts";

/**
 * Small constructors for the typed parts, so services read like the LogQL
 * they produce. They only build data; `render` validates and escapes.
 */

export const eq = (label: string, value: string): Matcher => ({ label, op: "=", value });
export const neq = (label: string, value: string): Matcher => ({ label, op: "!=", value });
export const re = (label: string, value: string): Matcher => ({ label, op: "=~", value });
export const nre = (label: string, value: string): Matcher => ({ label, op: "!~", value });

export const selector = (...matchers: Matcher[]): Selector => ({ matchers });

/** `{k1="v1", k2="v2"}` from a record of exact label values. */
export const selectorFrom = (labels: Record<string, string>): Selector => ({
  matchers: Object.entries(labels).map(([k, v]) => eq(k, v)),
});

export const logQuery = (sel: Selector, ...pipeline: Stage[]): LogQuery => ({ kind: "log", selector: sel, pipeline });

/** `|= "a" or "b"`: lines containing any of the values. */
export const contains = (...values: string[]): LineFilterStage => ({ kind: "line_filter", op: "|=", values });
/** `!= "a"`: lines not containing the value (several values: none of them). */
export const notContains = (...values: string[]): LineFilterStage => ({ kind: "line_filter", op: "!=", values });
/** `|~ "re"`: lines matching the RE2 regex (unanchored). */
export const matches = (...regexes: string[]): LineFilterStage => ({ kind: "line_filter", op: "|~", values: regexes });
/** A regex matching `text` literally (RE2 metacharacters escaped). */
export const regexLiteral = (text: string): string => text.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
/**
 * `|~ "(?i)a" or "(?i)b"`: lines containing any of the words, in any case. Each alternative is one
 * case-folded literal, which Loki runs as a substring search instead of a regex (an alternation inside
 * one regex is only simplified when Go's parser leaves it literal, and classes or anchors defeat it).
 */
export const containsAnyCase = (...words: string[]): LineFilterStage =>
  matches(...words.map((w) => `(?i)${regexLiteral(w)}`));
export const notMatches = (...regexes: string[]): LineFilterStage => ({
  kind: "line_filter",
  op: "!~",
  values: regexes,
});

export const json = (...extract: Extraction[]): Stage =>
  extract.length > 0 ? { kind: "json", extract } : { kind: "json" };
export const logfmt = (...extract: Extraction[]): Stage =>
  extract.length > 0 ? { kind: "logfmt", extract } : { kind: "logfmt" };

export const labelFilter = (filter: LabelFilter): Stage => ({ kind: "label_filter", filter });
export const labelEq = (label: string, value: string): Stage => labelFilter({ type: "string", label, op: "=", value });
export const numberCmp = (label: string, op: CompareOp, value: number): Stage =>
  labelFilter({ type: "number", label, op, value });
export const durationCmp = (label: string, op: CompareOp, ms: number): Stage =>
  labelFilter({ type: "duration", label, op, ms });
/** `| __error__=""`: drop lines a parser or unwrap failed on. */
export const noErrors = (): Stage => labelEq("__error__", "");

export function rangeAgg(
  fn: RangeFunction,
  query: LogQuery,
  range: Duration,
  extra: Omit<RangeAggregation, "kind" | "fn" | "query" | "range"> = {},
): RangeAggregation {
  return { kind: "range", fn, query, range, ...extra };
}

export function vectorAgg(
  fn: VectorFunction,
  inner: MetricQuery,
  extra: Omit<VectorAggregation, "kind" | "fn" | "inner"> = {},
): VectorAggregation {
  return { kind: "vector", fn, inner, ...extra };
}

/** `sum by (labels) (inner)`. */
export const sumBy = (by: string[], inner: MetricQuery): VectorAggregation => vectorAgg("sum", inner, { by });
/** `topk(k, inner)`, optionally grouped. */
export const topk = (k: number, inner: MetricQuery, by?: string[]): VectorAggregation =>
  vectorAgg("topk", inner, by === undefined ? { k } : { k, by });
