import { MAX_PARSED_DURATION_MS, parseDuration } from "./duration.ts";
import { LogqlError } from "./errors.ts";
import { type Token, tokenize } from "./tokenize.ts";

/**
 * How far outside [start, end] a LogQL query reads: a range vector `[5m]`
 * reads 5 minutes before each step, `offset 1h` shifts the read an hour back
 * (a negative offset, forward). The read range of a query over [start, end]
 * is within [start - maxRange - maxOffset, end - minOffset] (offsets taken as
 * 0 when none is larger or smaller). Linear in the tokens.
 */
export interface ReadSpan {
  /** Longest range vector (the range part of a subquery `[1h:1m]`), 0 without any. */
  maxRangeMs: number;
  /** Largest offset, at least 0. */
  maxOffsetMs: number;
  /** Smallest offset, at most 0 (negative offsets read after end). */
  minOffsetMs: number;
}

/** Go's time.ParseDuration units (Loki reads offsets with it), plus Prometheus' d, w, y. */
const GO_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};
const GO_PART = /(\d{1,15}(?:\.\d{1,15})?|\.\d{1,15})(ns|us|µs|μs|ms|s|m|h|d|w|y)/y;

function badDuration(text: string, field: string, position: number): LogqlError {
  return new LogqlError(`${field} ${JSON.stringify(text.slice(0, 40))} at position ${position} is not a duration`, {
    code: "invalid_duration",
    field: "logql",
    hint: `Write ${field}s as durations like 5m, 1h30m or 2d (at most about 292 years).`,
    position,
  });
}

/** A Prometheus or Go duration in ms; throws when it is neither or longer than Loki parses. */
export function durationTextMs(text: string, field: string, position: number): number {
  try {
    return parseDuration(text, field);
  } catch {
    // Go form: 1.5h, 90s500ms, 250us.
  }
  let ms = 0;
  GO_PART.lastIndex = 0;
  while (GO_PART.lastIndex < text.length) {
    const at = GO_PART.lastIndex;
    const m = GO_PART.exec(text);
    if (!m || m.index !== at) throw badDuration(text, field, position);
    ms += Number(m[1]) * (GO_UNIT_MS[m[2]!] ?? Number.NaN);
  }
  if (text === "" || !(ms <= MAX_PARSED_DURATION_MS)) throw badDuration(text, field, position);
  return ms;
}

/** The duration after `offset` (optionally signed), or undefined when `offset` is a label name there. */
function offsetAt(tokens: readonly Token[], i: number): number | undefined {
  let j = i + 1;
  let sign = 1;
  const s = tokens[j];
  if (s?.kind === "punct" && (s.text === "-" || s.text === "+")) {
    sign = s.text === "-" ? -1 : 1;
    j++;
  }
  const d = tokens[j];
  if (d?.kind !== "number" || !/^[0-9.]/.test(d.text) || /^[0-9.]+$/.test(d.text)) return undefined;
  return sign * durationTextMs(d.text, "offset", d.start);
}

export function readSpanOf(tokens: readonly Token[]): ReadSpan {
  const span: ReadSpan = { maxRangeMs: 0, maxOffsetMs: 0, minOffsetMs: 0 };
  tokens.forEach((t, i) => {
    if (t.kind === "range") {
      const rangeText = (t.value ?? "").split(":")[0]!.trim();
      span.maxRangeMs = Math.max(span.maxRangeMs, durationTextMs(rangeText, "range", t.start));
    } else if (t.kind === "ident" && t.text.toLowerCase() === "offset") {
      const offset = offsetAt(tokens, i);
      if (offset === undefined) return;
      span.maxOffsetMs = Math.max(span.maxOffsetMs, offset);
      span.minOffsetMs = Math.min(span.minOffsetMs, offset);
    }
  });
  return span;
}

/** The read span of a LogQL query's text; throws LogqlError on what does not tokenize. */
export const readSpan = (logql: string): ReadSpan => readSpanOf(tokenize(logql).tokens);
