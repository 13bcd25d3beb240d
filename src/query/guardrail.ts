import { findSelectors, isMatchAll, type Matcher, render, tokenize } from "../logql/index.ts";
import type { LokiClient } from "../loki/client.ts";
import type { Nanos } from "../loki/time.ts";
import { QueryError } from "./errors.ts";

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
): Promise<number> {
  const bytes = await estimateBytes(loki, selectors, range, groupLabel, signal);
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
