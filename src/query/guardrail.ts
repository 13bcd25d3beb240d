import { findSelectors, isMatchAll, type Matcher, readSpan, render, tokenize } from "../logql/index.ts";
import type { LokiClient } from "../loki/client.ts";
import { isoFromNs, type Nanos, NS_PER_MS } from "../loki/time.ts";
import { QueryError } from "./errors.ts";
import { formatMs } from "./time.ts";

/**
 * Cost guardrail, before a query reaches Loki: refuse raw selectors that
 * match everything, and queries whose estimated bytes (Loki's index/volume,
 * which also counts data still in the ingesters) exceed the budget. Each
 * refusal is a 422 with the estimate and a hint on how to narrow it.
 */
export function refuseMatchAll(logql: string): void {
  for (const sel of findSelectors(tokenize(logql).tokens)) {
    if (isMatchAll(sel.matchers)) {
      throw new QueryError(
        "refused",
        "query-too-broad",
        "Selector matches every stream",
        `${logql.slice(sel.start, sel.end)} has only negative or match-anything matchers, so it would read every stream`,
        'Add a positive matcher that narrows the streams, e.g. {service_name="checkout"} or service=checkout.',
      );
    }
  }
}

/** Log queries start with a selector; anything else (sum(...), rate(...)) is a metric query. */
export const isMetricQuery = (logql: string): boolean => tokenize(logql).tokens[0]?.text !== "{";

/** Modes other than raw read log lines: a metric `logql` there is a caller's mistake, not a server error. */
export function refuseMetricInMode(mode: string, logql: string): void {
  if (!isMetricQuery(logql)) return;
  throw new QueryError(
    "invalid",
    "metric-needs-raw",
    "Metric query in a line mode",
    `mode=${mode} reads and groups log lines, but logql is a metric query (it returns numbers, not lines)`,
    "Send the metric query with mode=raw (or without mode), or give mode=" +
      `${mode} a log query such as {service_name="checkout"} |= "timeout".`,
  );
}

/**
 * The range a raw query really reads: its range vectors and offsets reach
 * outside [start, end] (`[5m] offset 1h` reads from start - 1h5m). Refuses it
 * when that is longer than the maximum; otherwise it is what the byte estimate covers.
 */
export function readRangeOf(
  logql: string,
  range: { start: Nanos; end: Nanos },
  maxRangeMs: number,
): { start: Nanos; end: Nanos } {
  const span = readSpan(logql);
  const before = span.maxRangeMs + span.maxOffsetMs;
  const after = -span.minOffsetMs;
  const spanMs = Number((range.end - range.start) / NS_PER_MS) + before + after;
  if (spanMs > maxRangeMs) {
    const reaches = [
      span.maxRangeMs > 0 ? `range vectors of up to ${formatMs(span.maxRangeMs)}` : "",
      span.maxOffsetMs > 0 ? `an offset of ${formatMs(span.maxOffsetMs)}` : "",
      span.minOffsetMs < 0 ? `a negative offset of ${formatMs(after)}` : "",
    ].filter(Boolean);
    throw new QueryError(
      "invalid",
      "range-too-long",
      "Query reads too long a range",
      `with ${reaches.join(" and ")}, the query reads ${formatMs(spanMs)} of logs around ${isoFromNs(range.start)} – ${isoFromNs(range.end)}, more than the maximum of ${formatMs(maxRangeMs)}`,
      `Keep the time range plus the longest [range] and offset within ${formatMs(maxRangeMs)}: shorten start/end (e.g. since=1h), the [range] (e.g. [5m]) or the offset.`,
    );
  }
  const start = range.start - BigInt(Math.ceil(before)) * NS_PER_MS;
  return { start: start < 0n ? 0n : start, end: range.end + BigInt(Math.ceil(after)) * NS_PER_MS };
}

/** The stream selectors of a LogQL query, rendered (for volume estimates). */
export function selectorsOf(logql: string): string[] {
  return findSelectors(tokenize(logql).tokens).map((s) => render({ kind: "log", selector: { matchers: s.matchers } }));
}

export async function estimateBytes(
  loki: LokiClient,
  selectors: string[],
  range: { start: Nanos; end: Nanos },
  groupLabel: string,
  signal?: AbortSignal,
): Promise<number> {
  let total = 0;
  for (const query of new Set(selectors)) {
    const volume = await loki.indexVolume(
      { query, start: range.start, end: range.end, targetLabels: [groupLabel], limit: 10_000 },
      { signal },
    );
    for (const v of volume) total += Number(v.value[1]);
  }
  return total;
}

export async function refuseCostly(
  loki: LokiClient,
  selectors: string[],
  range: { start: Nanos; end: Nanos },
  groupLabel: string,
  maxBytes: number,
  signal?: AbortSignal,
  /** The estimate when the caller already has it (the service catalog's volumes), so Loki is not asked twice. */
  known?: number,
): Promise<number> {
  const bytes = known ?? (await estimateBytes(loki, selectors, range, groupLabel, signal));
  if (bytes > maxBytes) {
    throw new QueryError(
      "refused",
      "query-too-costly",
      "Query would read too much",
      `Loki estimates ${formatBytes(bytes)} for ${selectors.join(", ")} in this range, over the budget of ${formatBytes(maxBytes)} (QUERY_MAX_BYTES)`,
      `Narrow it: add a service (service=…), shorten the range (e.g. since=15m), or add a level or contains filter; the estimate scales with the range and the streams selected.`,
    );
  }
  return bytes;
}

export const matcherSelector = (matchers: Matcher[]) => render({ kind: "log", selector: { matchers } });

export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 && i > 0 ? 1 : 0)}${units[i]}`;
}
