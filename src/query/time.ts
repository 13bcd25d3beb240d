import { parseDuration } from "../logql/duration.ts";
import { isoFromNs, type Nanos, NS_PER_MS, NS_PER_S } from "../loki/time.ts";
import { QueryError } from "./errors.ts";

/**
 * Times as callers write them: RFC3339, unix seconds / milliseconds /
 * nanoseconds, `now`, `now-1h`, or a bare duration (`15m` = 15 minutes ago).
 * Every number is bounded before arithmetic: times lie in the window
 * 1970-01-01 … 9999-12-31 (UTC), durations within what Loki parses.
 */

/** Earliest and latest time accepted, in ms since the epoch. */
export const MIN_TIME_MS = 0;
export const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const MIN_TIME_NS = BigInt(MIN_TIME_MS) * NS_PER_MS;
const MAX_TIME_NS = BigInt(MAX_TIME_MS) * NS_PER_MS + 999_999n;
const WINDOW_TEXT = "1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z";
/** Looks like a duration (digits and units), whatever its size. */
const DURATION_SHAPE = /^(?:\d+(?:ms|[ywdhms]))+$/;

/** Parses `1h30m`, `15m`, `500ms`, `2d` into milliseconds; undefined when not a duration (or longer than ~292 years). */
export function parseDurationMs(text: string): number | undefined {
  try {
    return parseDuration(text);
  } catch {
    return undefined;
  }
}

/** A caller's value as shown in a message: at most 40 characters. */
const shown = (value: string) => JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);

function badTime(field: string, value: string): QueryError {
  return new QueryError(
    "invalid",
    "bad-time",
    "Invalid time",
    `${field}=${shown(value)} is not a time`,
    `Write ${field} as RFC3339 (2026-11-24T14:05:00Z), unix seconds (1795483200), unix nanoseconds, now, now-1h, or a duration like 15m (meaning 15 minutes ago).`,
  );
}

function outOfWindow(field: string, value: string): QueryError {
  return new QueryError(
    "invalid",
    "bad-time",
    "Time out of range",
    `${field}=${shown(value)} is outside the supported times (${WINDOW_TEXT})`,
    `Give ${field} between ${WINDOW_TEXT}, e.g. now-1h or 2026-11-24T14:05:00Z.`,
  );
}

/** `ns` when it lies in the supported window, else the caller's error. */
function inWindow(field: string, value: string, ns: Nanos): Nanos {
  if (ns < MIN_TIME_NS || ns > MAX_TIME_NS) throw outOfWindow(field, value);
  return ns;
}

/** `now` minus a duration, bounded: a duration too long for the window is out of range, not a bad time. */
function beforeNow(field: string, value: string, durationText: string, nowMs: number): Nanos | undefined {
  const ms = parseDurationMs(durationText);
  if (ms === undefined) {
    if (DURATION_SHAPE.test(durationText)) throw outOfWindow(field, value);
    return undefined;
  }
  return inWindow(field, value, BigInt(Math.round(nowMs - ms)) * NS_PER_MS);
}

/** Parses one time parameter to nanoseconds. */
export function parseTime(field: string, value: string, nowMs: number): Nanos {
  const v = value.trim();
  if (v === "now") return inWindow(field, value, BigInt(Math.round(nowMs)) * NS_PER_MS);
  const rel = /^now-(.+)$/.exec(v);
  if (rel) return beforeNow(field, value, rel[1]!, nowMs) ?? throwBadTime(field, value);
  const ago = beforeNow(field, value, v, nowMs);
  if (ago !== undefined) return ago;
  if (/^\d+(\.\d+)?$/.test(v)) return inWindow(field, value, unixTime(field, value, v));
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(v)) {
    return inWindow(field, value, dateTime(field, value, v));
  }
  throw badTime(field, value);
}

const throwBadTime = (field: string, value: string): never => {
  throw badTime(field, value);
};

/** Unix seconds (≤ 11 digits), milliseconds (≤ 14) or nanoseconds (≤ 19): the digits decide the unit. */
function unixTime(field: string, value: string, v: string): Nanos {
  const [whole, frac = ""] = v.split(".") as [string, string?];
  if (whole.length <= 11) return BigInt(whole) * NS_PER_S + BigInt(`${frac.slice(0, 9)}000000000`.slice(0, 9));
  if (whole.length <= 14) return BigInt(whole) * NS_PER_MS;
  if (whole.length <= 19) return BigInt(whole);
  throw badTime(field, value);
}

/** RFC3339 (and a date alone). Without an offset a time is UTC (never the server's zone); impossible dates (Feb 30) are refused. */
function dateTime(field: string, value: string, v: string): Nanos {
  const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(v);
  const ms = Date.parse(hasOffset || !/[T ]/i.test(v) ? v : `${v.replace(" ", "T")}Z`);
  if (Number.isNaN(ms)) throw badTime(field, value);
  const [y, mo, d] = v.slice(0, 10).split("-").map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(y, mo - 1, d));
  if (calendar.getUTCMonth() !== mo - 1 || calendar.getUTCDate() !== d) throw badTime(field, value);
  const frac = /\.(\d+)/.exec(v)?.[1] ?? "";
  const subMsNs = frac.length > 3 ? BigInt(`${frac.slice(0, 9)}000000000`.slice(3, 9)) : 0n;
  return BigInt(ms) * NS_PER_MS + subMsNs;
}

export interface RangeInput {
  start?: string | undefined;
  end?: string | undefined;
  since?: string | undefined;
}

export interface ResolvedRange {
  start: Nanos;
  end: Nanos;
}

/**
 * Resolves start/end/since into an absolute range. Default: the last hour.
 * `since` (a duration) means [end - since, end]. Refuses end ≤ start and
 * ranges longer than `maxRangeMs`.
 */
export function resolveRange(
  input: RangeInput,
  nowMs: number,
  maxRangeMs: number,
  defaultMs = 3_600_000,
): ResolvedRange {
  if (input.since !== undefined && input.start !== undefined) {
    throw new QueryError(
      "invalid",
      "bad-time",
      "Conflicting time parameters",
      "both since and start were given",
      "Give either since (a duration like 15m) or start, not both.",
    );
  }
  const end = input.end !== undefined ? parseTime("end", input.end, nowMs) : inWindow("now", "now", nowNs(nowMs));
  let start: Nanos;
  if (input.since !== undefined) {
    start = end - BigInt(sinceMs(input.since, maxRangeMs)) * NS_PER_MS;
  } else if (input.start !== undefined) {
    start = parseTime("start", input.start, nowMs);
  } else {
    start = end - BigInt(Math.round(defaultMs)) * NS_PER_MS;
  }
  if (end <= start) {
    throw new QueryError(
      "invalid",
      "bad-range",
      "End before start",
      `end (${isoFromNs(end)}) is not after start (${isoFromNs(start)})`,
      "Send start earlier than end, e.g. start=now-1h&end=now, or use since=1h.",
    );
  }
  assertWithinMax(Number((end - start) / NS_PER_MS), maxRangeMs);
  if (start < MIN_TIME_NS) {
    throw new QueryError(
      "invalid",
      "bad-time",
      "Time out of range",
      `the range would start at ${new Date(Number(start / NS_PER_MS)).toISOString()}, before 1970-01-01T00:00:00Z`,
      "Give an end (or start) after 1970-01-01T00:00:00Z.",
    );
  }
  return { start, end };
}

const nowNs = (nowMs: number): Nanos => BigInt(Math.round(nowMs)) * NS_PER_MS;

/** `since` in ms; a well-formed duration too long to parse is over any maximum. */
function sinceMs(since: string, maxRangeMs: number): number {
  const text = since.trim();
  const ms = parseDurationMs(text);
  if (ms !== undefined) return ms;
  if (DURATION_SHAPE.test(text)) assertWithinMax(Number.POSITIVE_INFINITY, maxRangeMs);
  throw new QueryError(
    "invalid",
    "bad-time",
    "Invalid time",
    `since=${shown(since)} is not a duration`,
    "Write since as a duration: 30s, 15m, 1h, 2d.",
  );
}

/** The range limit, checked on the range as asked (before any alignment widens it). */
export function assertWithinMax(spanMs: number, maxRangeMs: number): void {
  if (spanMs <= maxRangeMs) return;
  throw new QueryError(
    "invalid",
    "range-too-long",
    "Time range too long",
    `the range covers ${Number.isFinite(spanMs) ? formatMs(spanMs) : "more than 292 years"}, more than the maximum of ${formatMs(maxRangeMs)}`,
    `Shorten the range to at most ${formatMs(maxRangeMs)} (e.g. since=${formatMs(Math.min(maxRangeMs, 3_600_000))}), or page through it in slices.`,
  );
}

/**
 * Keeps an aligned range (`aligned`: `resolved` widened outwards to whole
 * steps, for cache keys) within the maximum: when widening made it longer,
 * its start moves up one step instead; when that is not enough (a maximum
 * that is not a whole number of steps) its end moves down one step too; when
 * nothing aligned fits, the range as resolved (already within the maximum).
 */
export function keepWithinMax(
  resolved: ResolvedRange,
  aligned: ResolvedRange,
  stepMs: number,
  maxRangeMs: number,
): ResolvedRange {
  const maxNs = BigInt(Math.floor(maxRangeMs)) * NS_PER_MS;
  const fits = (r: ResolvedRange) => r.end > r.start && r.end - r.start <= maxNs;
  if (fits(aligned)) return aligned;
  const step = BigInt(Math.max(0, Math.round(stepMs))) * NS_PER_MS;
  const later = { start: aligned.start + step, end: aligned.end };
  if (fits(later)) return later;
  const inner = { start: later.start, end: aligned.end - step };
  return fits(inner) ? inner : resolved;
}

/** 90061000 → "1d1h1m1s" */
export function formatMs(ms: number): string {
  let rest = Math.round(ms);
  let out = "";
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ] as const) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out || `${rest}ms`;
}
