import type { LokiClient } from "../loki/client.ts";
import type { LokiPattern } from "../loki/schemas.ts";
import type { Nanos } from "../loki/time.ts";
import { type Buckets, bucketOf } from "./templates.ts";

/**
 * Loki's own patterns (`/loki/api/v1/patterns`, from its pattern ingester),
 * shown beside the learned templates. Best effort: the pattern ingester only
 * knows recent lines and needs a moment after a push, so an empty or failed
 * answer becomes a note, never an error.
 */

export interface LokiPatternRow {
  pattern: string;
  level?: string;
  count: number;
  /** Counts per bucket, on the same buckets as the learned templates. */
  series: number[];
  first_seen: string;
  last_seen: string;
}

export interface LokiPatternsSection {
  selector: string;
  patterns: LokiPatternRow[];
  /** Patterns Loki returned in all, before the level filter and the cap. */
  total: number;
  note?: string;
}

export interface LokiPatternsRequest {
  selector: string;
  range: { start: Nanos; end: Nanos };
  buckets: Buckets;
  /** Keep patterns of these levels when Loki labels them (an unlabelled pattern is always kept). */
  levels?: readonly string[] | undefined;
  /** Most patterns listed, largest first (default 20). */
  max?: number | undefined;
  signal?: AbortSignal | undefined;
}

export async function lokiPatterns(loki: LokiClient, r: LokiPatternsRequest): Promise<LokiPatternsSection> {
  const stepS = Math.max(1, Math.round(r.buckets.stepMs / 1000));
  let data: LokiPattern[];
  try {
    data = await loki.patterns(
      { query: r.selector, start: r.range.start, end: r.range.end, step: `${stepS}s` },
      { signal: r.signal },
    );
  } catch (error) {
    if (r.signal?.aborted) throw error;
    return {
      selector: r.selector,
      patterns: [],
      total: 0,
      note: `Loki's pattern endpoint failed (${(error as Error).message}); learned templates are unaffected.`,
    };
  }
  const rows = shapeLokiPatterns(data, r.buckets, r.levels);
  const section: LokiPatternsSection = {
    selector: r.selector,
    patterns: rows.slice(0, r.max ?? 20),
    total: data.length,
  };
  if (data.length === 0) {
    section.note =
      "Loki's pattern ingester has no patterns for this selector and range (it only keeps recent lines, and detects patterns a little while after they arrive).";
  } else if (rows.length === 0) {
    section.note = `Loki has ${data.length} pattern(s) here, none at the levels asked for.`;
  }
  return section;
}

/** Loki's samples ([unix seconds, count]) re-bucketed on our buckets, largest pattern first. */
export function shapeLokiPatterns(
  data: readonly LokiPattern[],
  buckets: Buckets,
  levels?: readonly string[],
): LokiPatternRow[] {
  const rows: LokiPatternRow[] = [];
  for (const p of data) {
    if (p.level && levels?.length && !levels.includes(p.level)) continue;
    const series = new Array<number>(buckets.count).fill(0);
    let count = 0;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const [ts, n] of p.samples) {
      if (n <= 0) continue;
      const ms = ts * 1000;
      series[bucketOf(buckets, ms)]! += n;
      count += n;
      first = Math.min(first, ms);
      last = Math.max(last, ms);
    }
    if (count === 0) continue;
    rows.push({
      pattern: p.pattern,
      ...(p.level ? { level: p.level } : {}),
      count,
      series,
      first_seen: new Date(first).toISOString(),
      last_seen: new Date(last).toISOString(),
    });
  }
  return rows.sort((a, b) => b.count - a.count || a.pattern.localeCompare(b.pattern));
}
