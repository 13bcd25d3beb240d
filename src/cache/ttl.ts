import { parseDuration } from "../logql/duration.ts";
/**
 * Cache TTL by how recent the data is.
 *
 * CACHE_TTL_TABLE — how long a cached answer lives, by how long ago its time
 * range ended. Comma-separated `AGE:TTL` rules, checked in order; the first
 * rule whose AGE is at least the range's age applies, and the last rule must
 * be `*:TTL` (any age). Durations are a whole number and a unit: ms, s, m, h
 * or d. Default:
 *
 *   CACHE_TTL_TABLE="5m:30s,1h:2m,24h:15m,*:6h"
 *
 * reads: a range that ended in the last 5 minutes (still being written to) is
 * cached for 30 s; one that ended up to an hour ago for 2 minutes (late lines
 * may still arrive); up to a day ago for 15 minutes; anything older is
 * effectively immutable and is cached for 6 hours. A range ending in the
 * future counts as age 0.
 */
export interface TtlRule {
  /** Applies to ranges that ended at most this long ago; Infinity for `*`. */
  maxAgeMs: number;
  ttlSeconds: number;
}
export type TtlTable = readonly TtlRule[];

export const DEFAULT_TTL_TABLE_SPEC = "5m:30s,1h:2m,24h:15m,*:6h";

/** Parses "90s", "5m", "6h", "2d", "500ms" into milliseconds; throws on anything else. */
export function parseDurationMs(text: string): number {
  try {
    return parseDuration(text.trim());
  } catch {
    throw new Error(`"${text}" is not a duration like 30s, 5m, 6h or 2d`);
  }
}

/** Parses a CACHE_TTL_TABLE string (format above); throws an Error saying what is wrong. */
export function parseTtlTable(spec: string): TtlTable {
  const parts = spec
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (parts.length === 0) throw new Error(`empty; expected rules like "${DEFAULT_TTL_TABLE_SPEC}"`);
  const rules: TtlRule[] = [];
  for (const [i, part] of parts.entries()) {
    const [age, ttl, ...rest] = part.split(":");
    if (age === undefined || ttl === undefined || rest.length > 0) {
      throw new Error(`rule "${part}" must be AGE:TTL, e.g. 5m:30s`);
    }
    const last = i === parts.length - 1;
    if (age.trim() === "*" && !last) throw new Error(`"*:${ttl}" must be the last rule`);
    let maxAgeMs: number;
    let ttlMs: number;
    try {
      maxAgeMs = age.trim() === "*" ? Number.POSITIVE_INFINITY : parseDurationMs(age);
      ttlMs = parseDurationMs(ttl);
    } catch (err) {
      throw new Error(`rule "${part}": ${(err as Error).message}`);
    }
    if (ttlMs < 1_000) throw new Error(`rule "${part}": TTL must be at least 1s`);
    const prev = rules.at(-1);
    if (prev && maxAgeMs <= prev.maxAgeMs) throw new Error(`rule "${part}": ages must increase from rule to rule`);
    rules.push({ maxAgeMs, ttlSeconds: Math.round(ttlMs / 1000) });
  }
  if (rules.at(-1)?.maxAgeMs !== Number.POSITIVE_INFINITY) {
    throw new Error(`the last rule must be "*:TTL" (for older ranges), e.g. "...,*:6h"`);
  }
  return rules;
}

export const DEFAULT_TTL_TABLE: TtlTable = parseTtlTable(DEFAULT_TTL_TABLE_SPEC);

/** TTL in seconds for a cached answer whose range ends at `rangeEndMs`, seen at `nowMs`. */
export function ttlFor(rangeEndMs: number, nowMs: number, table: TtlTable = DEFAULT_TTL_TABLE): number {
  const age = Math.max(0, nowMs - rangeEndMs);
  for (const rule of table) if (age <= rule.maxAgeMs) return rule.ttlSeconds;
  return table.at(-1)?.ttlSeconds ?? 30;
}

/** Human form of a table, for logs: "≤5m→30s, ≤1h→120s, …". */
export function describeTtlTable(table: TtlTable): string {
  return table
    .map((r) => `${r.maxAgeMs === Number.POSITIVE_INFINITY ? "older" : `≤${r.maxAgeMs / 1000}s`}→${r.ttlSeconds}s`)
    .join(", ");
}
