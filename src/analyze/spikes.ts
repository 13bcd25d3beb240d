import {
  formatDuration,
  labelFilter,
  type Matcher,
  rangeAgg,
  re,
  render,
  type Selector,
  type Stage,
  sumBy,
} from "../logql/index.ts";
import type { LokiClient } from "../loki/client.ts";
import { type Nanos, NS_PER_MS } from "../loki/time.ts";
import { shortServiceName } from "../query/discovery.ts";
import { robustZ } from "./stats.ts";

/**
 * Spikes of error rate and volume per service, counted by Loki (`sum by (service) (count_over_time(…))`
 * over buckets of one step) and judged with robust statistics: a window bucket is a spike when its robust
 * z against the baseline's buckets (median, MAD) exceeds Z_MIN and it holds at least MIN_COUNT lines.
 */

export type SpikeWhat = "errors" | "volume";

export interface Spike {
  service: string;
  what: SpikeWhat;
  /** ms of the first spiking bucket's start */
  firstBucket: number;
  /** ms of the last spiking bucket's end */
  lastBucket: number;
  peak: number;
  z: number;
  baselineMedian: number;
  /** The window's buckets, oldest first. */
  values: number[];
}

export const Z_MIN = 5;
export const MIN_COUNT = 5;
/** Most buckets one series spans (Loki refuses more than 11,000 points). */
const MAX_BUCKETS = 2_000;

export interface Span {
  start: number;
  end: number;
}

/** Counts per bucket of one service: bucket end (ms) → count. */
export type Buckets = Map<number, number>;

/** Bucket ends of a span on a grid of `stepMs` (the grid Loki evaluates a range query on). */
export function bucketEnds(span: Span, stepMs: number): number[] {
  const out: number[] = [];
  const first = Math.ceil(span.start / stepMs) * stepMs + stepMs; // the first bucket wholly in the span
  for (let t = first; t <= span.end && out.length < MAX_BUCKETS; t += stepMs) out.push(t);
  return out;
}

/** The spikes of each service's buckets: window buckets against the baseline buckets. */
export function detectSpikes(
  series: Map<string, Buckets>,
  what: SpikeWhat,
  window: Span,
  baseline: Span,
  stepMs: number,
  minCount = MIN_COUNT,
): Spike[] {
  const windowEnds = bucketEnds(window, stepMs);
  const baseEnds = bucketEnds(baseline, stepMs);
  const out: Spike[] = [];
  for (const [service, buckets] of series) {
    const reference = baseEnds.map((t) => buckets.get(t) ?? 0);
    const values = windowEnds.map((t) => buckets.get(t) ?? 0);
    if (reference.length === 0) continue;
    let first = -1;
    let last = -1;
    let peak = 0;
    let zPeak = 0;
    values.forEach((v, i) => {
      const z = robustZ(v, reference);
      if (z > Z_MIN && v >= minCount) {
        if (first < 0) first = i;
        last = i;
        if (v > peak) [peak, zPeak] = [v, z];
      }
    });
    if (first < 0) continue;
    const sorted = [...reference].sort((a, b) => a - b);
    out.push({
      service,
      what,
      firstBucket: windowEnds[first]! - stepMs,
      lastBucket: windowEnds[last]!,
      peak,
      z: Math.round(zPeak * 10) / 10,
      baselineMedian: sorted[sorted.length >> 1]!,
      values,
    });
  }
  return out.sort((a, b) => b.z - a.z);
}

/** The step of the buckets: a minute, or coarser when the spans would need more than MAX_BUCKETS buckets. */
export const stepMsFor = (spanMs: number): number =>
  Math.max(60_000, Math.ceil(spanMs / MAX_BUCKETS / 60_000) * 60_000);

/** `sum by (label) (count_over_time({…} [| error levels] [step]))`. */
export function countQuery(label: string, matcher: Matcher | undefined, what: SpikeWhat, stepMs: number): string {
  const selector: Selector = { matchers: [matcher ?? re(label, ".+")] };
  const pipeline: Stage[] =
    what === "errors"
      ? [labelFilter({ type: "string", label: "detected_level", op: "=~", value: "error|critical|fatal" })]
      : [];
  return render(
    sumBy([label], rangeAgg("count_over_time", { kind: "log", selector, pipeline }, formatDuration(stepMs))),
  );
}

/** Reads a count query over the spans (one call per span) into buckets per service. */
export async function readCounts(
  loki: LokiClient,
  query: string,
  label: string,
  spans: Span[],
  stepMs: number,
  signal?: AbortSignal,
): Promise<Map<string, Buckets>> {
  const out = new Map<string, Buckets>();
  const ns = (ms: number): Nanos => BigInt(ms) * NS_PER_MS;
  const results = await Promise.all(
    spans.map((s) =>
      loki.queryRange(
        { query, start: ns(Math.ceil(s.start / stepMs) * stepMs), end: ns(s.end), step: `${stepMs / 1000}s` },
        { signal },
      ),
    ),
  );
  for (const data of results) {
    if (data.resultType !== "matrix") continue;
    for (const series of data.result) {
      const service = shortServiceName(series.metric[label] ?? "unknown");
      const buckets = out.get(service) ?? new Map<number, number>();
      for (const [t, v] of series.values)
        buckets.set(Math.round(t * 1000), (buckets.get(Math.round(t * 1000)) ?? 0) + Number(v));
      out.set(service, buckets);
    }
  }
  return out;
}
