import { durationMs, formatDuration } from "./duration.ts";
import { LogqlError } from "./errors.ts";
import { labelName, labelNames } from "./names.ts";
import { renderLabelFilterExpr, renderLogQuery, renderNumber } from "./render-log.ts";
import type { Grouping, MetricQuery, Query, RangeAggregation, VectorAggregation } from "./types.ts";

/** Renders metric queries and is the entry point `render` for any query. */

const GROUPABLE_RANGE = new Set([
  "avg_over_time",
  "stddev_over_time",
  "stdvar_over_time",
  "quantile_over_time",
  "max_over_time",
  "min_over_time",
  "first_over_time",
  "last_over_time",
]);
const WITH_UNWRAP = new Set([...GROUPABLE_RANGE, "sum_over_time", "rate", "rate_counter", "absent_over_time"]);
const WITHOUT_UNWRAP = new Set(["count_over_time", "rate", "bytes_over_time", "bytes_rate", "absent_over_time"]);
const VECTOR_FNS = new Set([
  "sum",
  "avg",
  "min",
  "max",
  "count",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "sort",
  "sort_desc",
]);
const BINARY_OPS = new Set(["+", "-", "*", "/", "%", "^", "==", "!=", ">", ">=", "<", "<=", "and", "or", "unless"]);
const COMPARISONS = new Set(["==", "!=", ">", ">=", "<", "<="]);

function invalid(message: string, field: string, hint: string): LogqlError {
  return new LogqlError(message, { code: "invalid_query", field, hint });
}

function renderGrouping(g: Grouping, field: string): string {
  if (g.by !== undefined && g.without !== undefined) {
    throw invalid(`${field} has both by and without`, field, "Group with either by (...) or without (...), not both.");
  }
  if (g.by !== undefined) return ` by (${labelNames(g.by, `${field}.by`).join(", ")})`;
  if (g.without !== undefined) return ` without (${labelNames(g.without, `${field}.without`).join(", ")})`;
  return "";
}

function renderRange(q: RangeAggregation, field: string): string {
  if (!WITH_UNWRAP.has(q.fn) && !WITHOUT_UNWRAP.has(q.fn)) {
    throw invalid(
      `${field}.fn ${JSON.stringify(q.fn)} is not a range aggregation`,
      `${field}.fn`,
      "Use count_over_time, rate, bytes_over_time, sum_over_time, quantile_over_time, ...",
    );
  }
  if (q.unwrap === undefined && !WITHOUT_UNWRAP.has(q.fn)) {
    throw invalid(
      `${q.fn} needs an unwrap`,
      `${field}.unwrap`,
      `Add unwrap: { label: "latency_ms" } so ${q.fn} has a numeric label to aggregate.`,
    );
  }
  if (q.unwrap !== undefined && !WITH_UNWRAP.has(q.fn)) {
    throw invalid(
      `${q.fn} cannot unwrap a label`,
      `${field}.unwrap`,
      `Remove unwrap, or use sum_over_time/avg_over_time/quantile_over_time to aggregate a label's values.`,
    );
  }
  const grouping = renderGrouping(q, field);
  if (grouping !== "" && !GROUPABLE_RANGE.has(q.fn)) {
    throw invalid(
      `grouping is not allowed for ${q.fn}`,
      `${field}.by`,
      `Wrap it instead: sum by (label) (${q.fn}(...)).`,
    );
  }
  let param = "";
  if (q.fn === "quantile_over_time") {
    const v = q.quantile;
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
      throw invalid(
        `${field}.quantile must be a number between 0 and 1`,
        `${field}.quantile`,
        "Pass e.g. quantile: 0.99 for the 99th percentile.",
      );
    }
    param = `${renderNumber(v, `${field}.quantile`)}, `;
  } else if (q.quantile !== undefined) {
    throw invalid(`${field}.quantile only applies to quantile_over_time`, `${field}.quantile`, "Remove quantile.");
  }
  let unwrap = "";
  if (q.unwrap !== undefined) {
    const label = labelName(q.unwrap.label, `${field}.unwrap.label`);
    const conv = q.unwrap.conversion;
    if (conv !== undefined && conv !== "duration" && conv !== "duration_seconds" && conv !== "bytes") {
      throw invalid(
        `${field}.unwrap.conversion is unknown`,
        `${field}.unwrap.conversion`,
        "Use duration, duration_seconds or bytes.",
      );
    }
    unwrap = ` | unwrap ${conv === undefined ? label : `${conv}(${label})`}`;
    for (const [i, f] of (q.unwrap.postFilters ?? []).entries()) {
      unwrap += ` | ${renderLabelFilterExpr(f, `${field}.unwrap.postFilters[${i}]`)}`;
    }
  }
  const range = `[${formatDuration(q.range, `${field}.range`)}]`;
  const offset =
    q.offset === undefined || durationMs(q.offset, `${field}.offset`, true) === 0
      ? ""
      : ` offset ${formatDuration(q.offset, `${field}.offset`)}`;
  return `${q.fn}(${param}${renderLogQuery(q.query, `${field}.query`)}${unwrap} ${range}${offset})${grouping}`;
}

function renderVector(q: VectorAggregation, field: string): string {
  if (!VECTOR_FNS.has(q.fn)) {
    throw invalid(
      `${field}.fn ${JSON.stringify(q.fn)} is not a vector aggregation`,
      `${field}.fn`,
      "Use sum, avg, min, max, count, stddev, stdvar, topk, bottomk, sort or sort_desc.",
    );
  }
  let param = "";
  if (q.fn === "topk" || q.fn === "bottomk") {
    if (!Number.isSafeInteger(q.k) || (q.k ?? 0) < 1) {
      throw invalid(`${field}.k must be a positive integer`, `${field}.k`, `Pass k, e.g. k: 10 for ${q.fn}(10, ...).`);
    }
    param = `${q.k}, `;
  } else if (q.k !== undefined) {
    throw invalid(`${field}.k only applies to topk and bottomk`, `${field}.k`, "Remove k.");
  }
  const grouping = renderGrouping(q, field);
  if (grouping !== "" && (q.fn === "sort" || q.fn === "sort_desc")) {
    throw invalid(`${q.fn} does not allow grouping`, `${field}.by`, "Remove by/without; sort orders by value.");
  }
  return `${q.fn}${grouping === "" ? "" : `${grouping} `}(${param}${renderMetric(q.inner, `${field}.inner`)})`;
}

export function renderMetric(q: MetricQuery, field = "query"): string {
  switch (q.kind) {
    case "range":
      return renderRange(q, field);
    case "vector":
      return renderVector(q, field);
    case "number":
      return renderNumber(q.value, `${field}.value`);
    case "binary": {
      if (!BINARY_OPS.has(q.op))
        throw invalid(
          `${field}.op is not a binary operator`,
          `${field}.op`,
          "Use + - * / % ^ == != > >= < <= and or unless.",
        );
      if (q.bool && !COMPARISONS.has(q.op))
        throw invalid("bool only applies to comparisons", `${field}.bool`, "Remove bool.");
      if (q.on !== undefined && q.ignoring !== undefined)
        throw invalid(`${field} has both on and ignoring`, field, "Use either on (...) or ignoring (...).");
      let mod = q.bool ? " bool" : "";
      if (q.on !== undefined) mod += ` on (${labelNames(q.on, `${field}.on`).join(", ")})`;
      if (q.ignoring !== undefined) mod += ` ignoring (${labelNames(q.ignoring, `${field}.ignoring`).join(", ")})`;
      return `(${renderMetric(q.left, `${field}.left`)}) ${q.op}${mod} (${renderMetric(q.right, `${field}.right`)})`;
    }
    default:
      throw invalid(`${field}.kind is not a query kind`, `${field}.kind`, "Use log, range, vector, binary or number.");
  }
}

/** Renders any typed query to LogQL; throws LogqlError (with a hint) on invalid parts. */
export function render(query: Query): string {
  if (query.kind === "log") return renderLogQuery(query);
  return renderMetric(query);
}
