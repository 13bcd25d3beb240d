import { LogqlError } from "./errors.ts";

/**
 * Durations in LogQL form. A duration is given either as a number of
 * milliseconds or as a LogQL duration string (`5m`, `1h30m`, `500ms`).
 * Ranges (`[5m]`) and offsets are parsed by Loki with Prometheus'
 * model.ParseDuration, so they are rendered in whole milliseconds with the
 * units h, m, s, ms only, largest first (valid for both Prometheus and Go).
 */
export type Duration = number | string;

/** Prometheus duration: units in decreasing order, each at most once. */
const PROM_DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];
/** Longest range or offset we render: 10 years, far beyond any Loki retention. */
export const MAX_DURATION_MS = 10 * 365 * 86_400_000;
/** Longest duration Loki parses (Prometheus' model.ParseDuration: int64 nanoseconds, about 292 years). */
export const MAX_PARSED_DURATION_MS = 9_223_372_036_854;

function invalid(field: string, message: string): LogqlError {
  return new LogqlError(`${field} ${message}`, {
    code: "invalid_duration",
    field,
    hint: 'Give a duration as milliseconds (e.g. 300000) or as a LogQL duration such as "30s", "5m", "1h30m", "2d".',
  });
}

/** Parses a Prometheus-style duration string to milliseconds; throws LogqlError. */
export function parseDuration(text: string, field = "duration"): number {
  const m = PROM_DURATION.exec(text);
  if (text === "" || m === null) throw invalid(field, `${JSON.stringify(text.slice(0, 40))} is not a LogQL duration`);
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = m[i + 1];
    // 16 digits or more overflow any unit (and would lose precision): refuse before multiplying.
    if (part !== undefined) ms += part.length > 15 ? Number.POSITIVE_INFINITY : Number(part) * (UNIT_MS[i] ?? 0);
  }
  if (!(ms <= MAX_PARSED_DURATION_MS)) throw invalid(field, `${JSON.stringify(text.slice(0, 40))} is too long`);
  return ms;
}

/** Normalizes a Duration to whole milliseconds, within (0, MAX_DURATION_MS] unless allowZero. */
export function durationMs(value: Duration, field = "duration", allowZero = false): number {
  const ms = typeof value === "string" ? parseDuration(value, field) : value;
  if (typeof ms !== "number" || !Number.isInteger(ms)) throw invalid(field, "must be a whole number of milliseconds");
  if (ms < 0 || (ms === 0 && !allowZero)) throw invalid(field, "must be positive");
  if (ms > MAX_DURATION_MS) throw invalid(field, "is longer than 10 years");
  return ms;
}

/** Renders milliseconds as a LogQL duration: 5400000 -> "1h30m", 1500 -> "1s500ms", 0 -> "0s". */
export function formatDuration(value: Duration, field = "duration", allowZero = false): string {
  let ms = durationMs(value, field, allowZero);
  if (ms === 0) return "0s";
  let out = "";
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
    ["ms", 1],
  ] as const) {
    const n = Math.floor(ms / size);
    if (n > 0) out += `${n}${unit}`;
    ms -= n * size;
  }
  return out;
}

/** Largest label-filter duration: 100 days keeps nanoseconds exact in a double. */
export const MAX_FILTER_DURATION_MS = 100 * 86_400_000;

/**
 * Renders a label-filter duration (`| latency > 250ms`), which Loki also
 * parses with Go's time.ParseDuration, so sub-millisecond values are allowed:
 * 0.25 -> "250us".
 */
export function formatFilterDuration(ms: number, field = "duration"): string {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0 || ms > MAX_FILTER_DURATION_MS) {
    throw invalid(field, "must be a finite number of milliseconds between 0 and 100 days");
  }
  let ns = Math.round(ms * 1_000_000);
  if (ns === 0) return "0s";
  let out = "";
  for (const [unit, size] of [
    ["h", 3_600_000_000_000],
    ["m", 60_000_000_000],
    ["s", 1_000_000_000],
    ["ms", 1_000_000],
    ["us", 1000],
    ["ns", 1],
  ] as const) {
    const n = Math.floor(ns / size);
    if (n > 0) out += `${n}${unit}`;
    ns -= n * size;
  }
  return out;
}
