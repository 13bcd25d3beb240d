import { durationMs } from "../../logql/index.ts";
import type { BurstRule } from "./schema.ts";

/**
 * Burst thresholds (e.g. brute force: 10 failed logins from one IP within a
 * minute). A pattern with `burst: { count, window, group_by }` alerts when at
 * least `count` of its matches with the same values of the `group_by` fields
 * fall within `window` (a sliding window: timestamps t with
 * last - window < t <= last). A missing group field counts as "".
 *
 * Overlapping hot windows of one group merge into one burst, reported with
 * the matches it covers (`count`), the busiest window (`peak`) and its first
 * and last timestamps.
 */

export interface TimedMatch {
  /** Milliseconds since the epoch (any monotonic unit works if `window` is in the same unit). */
  ts: number;
  fields: Readonly<Record<string, string | undefined>>;
}

export interface Burst {
  /** The group_by field values shared by the burst's matches. */
  key: Record<string, string>;
  /** Matches inside the burst (from its first to its last timestamp). */
  count: number;
  /** Most matches found within one window. */
  peak: number;
  start: number;
  end: number;
}

function groupKey(rule: BurstRule, fields: TimedMatch["fields"]): Record<string, string> {
  const key: Record<string, string> = {};
  for (const name of rule.group_by) key[name] = fields[name] ?? "";
  return key;
}

/** Bursts in one group's timestamps (sorted ascending). */
function burstsOf(ts: readonly number[], count: number, windowMs: number): Omit<Burst, "key">[] {
  const out: Omit<Burst, "key">[] = [];
  let left = 0;
  let open: { from: number; to: number; peak: number } | undefined;
  const close = () => {
    if (open === undefined) return;
    out.push({ count: open.to - open.from + 1, peak: open.peak, start: ts[open.from] ?? 0, end: ts[open.to] ?? 0 });
    open = undefined;
  };
  for (let right = 0; right < ts.length; right++) {
    const t = ts[right] ?? 0;
    while ((ts[left] ?? 0) <= t - windowMs) left++;
    const inWindow = right - left + 1;
    if (inWindow < count) continue;
    if (open !== undefined && left <= open.to) {
      open.to = right;
      open.peak = Math.max(open.peak, inWindow);
    } else {
      close();
      open = { from: left, to: right, peak: inWindow };
    }
  }
  close();
  return out;
}

/** Evaluates a burst rule over timestamped matches of its pattern (any order). Bursts ordered by start. */
export function evaluateBursts(rule: BurstRule, matches: Iterable<TimedMatch>): Burst[] {
  const windowMs = durationMs(rule.window, "burst.window");
  const groups = new Map<string, { key: Record<string, string>; ts: number[] }>();
  for (const m of matches) {
    if (!Number.isFinite(m.ts)) continue;
    const key = groupKey(rule, m.fields);
    const id = JSON.stringify(rule.group_by.map((name) => key[name]));
    let g = groups.get(id);
    if (g === undefined) {
      g = { key, ts: [] };
      groups.set(id, g);
    }
    g.ts.push(m.ts);
  }
  const out: Burst[] = [];
  for (const g of groups.values()) {
    g.ts.sort((a, b) => a - b);
    for (const b of burstsOf(g.ts, rule.count, windowMs)) out.push({ key: g.key, ...b });
  }
  return out.sort((a, b) => a.start - b.start || a.end - b.end);
}
