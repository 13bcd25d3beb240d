import { parseDuration } from "../logql/duration.ts";
import { type Nanos, NS_PER_MS, NS_PER_S } from "../loki/time.ts";
import { QueryError } from "./errors.ts";

/**
 * Times as callers write them: RFC3339, unix seconds / milliseconds /
 * nanoseconds, `now`, `now-1h`, or a bare duration (`15m` = 15 minutes ago).
 */
/** Parses `1h30m`, `15m`, `500ms`, `2d` into milliseconds; undefined when not a duration. */
export function parseDurationMs(text: string): number | undefined {
  try {
    return parseDuration(text);
  } catch {
    return undefined;
  }
}

function badTime(field: string, value: string): QueryError {
  return new QueryError(
    "invalid",
    "bad-time",
    "Invalid time",
    `${field}="${value}" is not a time`,
    `Write ${field} as RFC3339 (2026-11-24T14:05:00Z), unix seconds (1795483200), unix nanoseconds, now, now-1h, or a duration like 15m (meaning 15 minutes ago).`,
  );
}

/** Parses one time parameter to nanoseconds. */
export function parseTime(field: string, value: string, nowMs: number): Nanos {
  const v = value.trim();
  if (v === "now") return BigInt(nowMs) * NS_PER_MS;
  const rel = /^now-(.+)$/.exec(v);
  if (rel) {
    const ms = parseDurationMs(rel[1]!);
    if (ms === undefined) throw badTime(field, value);
    return BigInt(Math.round(nowMs - ms)) * NS_PER_MS;
  }
  const dur = parseDurationMs(v);
  if (dur !== undefined) return BigInt(Math.round(nowMs - dur)) * NS_PER_MS;
  if (/^\d+(\.\d+)?$/.test(v)) {
    const [whole, frac = ""] = v.split(".") as [string, string?];
    // Digits decide the unit: ≤ 11 seconds, ≤ 14 milliseconds, else nanoseconds.
    if (whole.length <= 11) return BigInt(whole) * NS_PER_S + BigInt(`${frac}000000000`.slice(0, 9));
    if (whole.length <= 14) return BigInt(whole) * NS_PER_MS;
    if (whole.length <= 19) return BigInt(whole);
    throw badTime(field, value);
  }
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(v)) {
    // Without an offset a time is UTC (never the server's zone); impossible dates (Feb 30) are refused.
    const hasOffset = /(Z|[+-]\d{2}:?\d{2})$/i.test(v);
    const ms = Date.parse(hasOffset || !/[T ]/i.test(v) ? v : `${v.replace(" ", "T")}Z`);
    if (Number.isNaN(ms)) throw badTime(field, value);
    const [y, mo, d] = v.slice(0, 10).split("-").map(Number) as [number, number, number];
    const calendar = new Date(Date.UTC(y, mo - 1, d));
    if (calendar.getUTCMonth() !== mo - 1 || calendar.getUTCDate() !== d) throw badTime(field, value);
    const frac = /\.(\d+)/.exec(v)?.[1] ?? "";
    const subMsNs = frac.length > 3 ? BigInt(`${frac}000000000`.slice(3, 9)) : 0n;
    return BigInt(ms) * NS_PER_MS + subMsNs;
  }
  throw badTime(field, value);
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
  const end = input.end !== undefined ? parseTime("end", input.end, nowMs) : BigInt(nowMs) * NS_PER_MS;
  let start: Nanos;
  if (input.since !== undefined) {
    const ms = parseDurationMs(input.since.trim());
    if (ms === undefined) {
      throw new QueryError(
        "invalid",
        "bad-time",
        "Invalid time",
        `since="${input.since}" is not a duration`,
        "Write since as a duration: 30s, 15m, 1h, 2d.",
      );
    }
    start = end - BigInt(Math.round(ms)) * NS_PER_MS;
  } else if (input.start !== undefined) {
    start = parseTime("start", input.start, nowMs);
  } else {
    start = end - BigInt(defaultMs) * NS_PER_MS;
  }
  if (end <= start) {
    throw new QueryError(
      "invalid",
      "bad-range",
      "End before start",
      `end (${new Date(Number(end / NS_PER_MS)).toISOString()}) is not after start (${new Date(Number(start / NS_PER_MS)).toISOString()})`,
      "Send start earlier than end, e.g. start=now-1h&end=now, or use since=1h.",
    );
  }
  const spanMs = Number((end - start) / NS_PER_MS);
  if (spanMs > maxRangeMs) {
    throw new QueryError(
      "invalid",
      "range-too-long",
      "Time range too long",
      `the range covers ${formatMs(spanMs)}, more than the maximum of ${formatMs(maxRangeMs)}`,
      `Shorten the range to at most ${formatMs(maxRangeMs)} (e.g. since=${formatMs(Math.min(maxRangeMs, 3_600_000))}), or page through it in slices.`,
    );
  }
  return { start, end };
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
