import type { Duration } from "./duration.ts";

/**
 * The typed parts a LogQL query is built from. Every string in these types is
 * a plain value (never LogQL text): `render` escapes it as a literal and
 * validates label names and regexes.
 */

export type MatchOp = "=" | "!=" | "=~" | "!~";

/** A stream matcher `label op "value"`; for `=~`/`!~` the value is an RE2 regex. */
export interface Matcher {
  label: string;
  op: MatchOp;
  value: string;
}

export interface Selector {
  matchers: Matcher[];
}

/** `|=` contains, `!=` not contains, `|~`/`!~` regex, `|>`/`!>` pattern (`<_>` wildcards). */
export type LineFilterOp = "|=" | "!=" | "|~" | "!~" | "|>" | "!>";

/** A line filter; several values are joined with `or` (`|= "a" or "b"`). */
export interface LineFilterStage {
  kind: "line_filter";
  op: LineFilterOp;
  values: string[];
}

export type CompareOp = "==" | "!=" | ">" | ">=" | "<" | "<=";

export type LabelFilter =
  | { type: "string"; label: string; op: MatchOp; value: string }
  | { type: "number"; label: string; op: CompareOp; value: number }
  /** Duration in milliseconds (may be fractional: 0.25 renders as 250us). */
  | { type: "duration"; label: string; op: CompareOp; ms: number }
  | { type: "bytes"; label: string; op: CompareOp; bytes: number }
  /** `label = ip("10.0.0.0/8")`; the argument is an IP, range or CIDR. */
  | { type: "ip"; label: string; op: "=" | "!="; value: string }
  | { type: "and" | "or"; filters: LabelFilter[] };

export interface LabelFilterStage {
  kind: "label_filter";
  filter: LabelFilter;
}

/** `label="expression"` pairs for json/logfmt extraction; a bare label when expression is omitted. */
export interface Extraction {
  label: string;
  expression?: string;
}

export type ParserStage =
  | { kind: "json"; extract?: Extraction[] }
  | { kind: "logfmt"; strict?: boolean; keepEmpty?: boolean; extract?: Extraction[] }
  | { kind: "pattern"; pattern: string }
  | { kind: "regexp"; regex: string }
  | { kind: "unpack" };

/** `label_format dst=src` (rename) or `dst="{{ template }}"`. */
export type LabelFormat = { label: string; rename: string } | { label: string; template: string };

export type FormatStage =
  | { kind: "line_format"; template: string }
  | { kind: "label_format"; labels: LabelFormat[] }
  | { kind: "decolorize" }
  /** `drop`/`keep` by name, or only where a matcher holds (`drop level="debug"`). */
  | { kind: "drop" | "keep"; labels: (string | Matcher)[] };

export type Stage = LineFilterStage | LabelFilterStage | ParserStage | FormatStage;

export interface LogQuery {
  kind: "log";
  selector: Selector;
  pipeline?: Stage[];
}

export type RangeFunction =
  | "count_over_time"
  | "rate"
  | "bytes_over_time"
  | "bytes_rate"
  | "absent_over_time"
  | "rate_counter"
  | "sum_over_time"
  | "avg_over_time"
  | "min_over_time"
  | "max_over_time"
  | "stdvar_over_time"
  | "stddev_over_time"
  | "quantile_over_time"
  | "first_over_time"
  | "last_over_time";

export interface Unwrap {
  label: string;
  conversion?: "duration" | "duration_seconds" | "bytes";
  /** Filters applied after unwrap, typically `__error__=""`. */
  postFilters?: LabelFilter[];
}

export interface Grouping {
  by?: string[];
  without?: string[];
}

export interface RangeAggregation extends Grouping {
  kind: "range";
  fn: RangeFunction;
  query: LogQuery;
  range: Duration;
  offset?: Duration;
  unwrap?: Unwrap;
  /** The quantile for quantile_over_time, in [0, 1]. */
  quantile?: number;
}

export type VectorFunction =
  | "sum"
  | "avg"
  | "min"
  | "max"
  | "count"
  | "stddev"
  | "stdvar"
  | "topk"
  | "bottomk"
  | "sort"
  | "sort_desc";

export interface VectorAggregation extends Grouping {
  kind: "vector";
  fn: VectorFunction;
  inner: MetricQuery;
  /** k for topk/bottomk (a positive integer). */
  k?: number;
}

export type BinaryOp =
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "^"
  | "=="
  | "!="
  | ">"
  | ">="
  | "<"
  | "<="
  | "and"
  | "or"
  | "unless";

export interface BinaryExpression {
  kind: "binary";
  op: BinaryOp;
  left: MetricQuery;
  right: MetricQuery;
  /** Comparison returns 0/1 instead of filtering. */
  bool?: boolean;
  on?: string[];
  ignoring?: string[];
}

export interface NumberLiteral {
  kind: "number";
  value: number;
}

export type MetricQuery = RangeAggregation | VectorAggregation | BinaryExpression | NumberLiteral;

export type Query = LogQuery | MetricQuery;
