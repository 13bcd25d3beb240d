import type { z } from "@hono/zod-openapi";
import {
  formatDuration,
  json,
  labelFilter,
  logfmt,
  type Matcher,
  noErrors,
  rangeAgg,
  re,
  render,
  type Stage,
} from "../logql/index.ts";
import type { LokiClient } from "../loki/client.ts";
import { isoFromNs, type Nanos, NS_PER_MS } from "../loki/time.ts";
import type { latencyRowSchema } from "./schemas.ts";
import type { AnalyzedEntry } from "./summarize.ts";

/**
 * Performance mode: latency percentiles per service computed by Loki
 * (`quantile_over_time` with `unwrap`), for the duration fields that
 * detected_fields finds, and the slowest requests with their trace ids.
 */
/** Names of duration fields; a bare `time` or `start_time` is a timestamp, not a duration. */
const DURATION_NAME =
  /^(?:\w*_)?(?:duration|latency|elapsed|took|response_?time)(?:_?(?:ms|us|ns|s|seconds|millis))?$|^(?:\w*_)?time_(?:ms|us|ns|s|seconds|millis)$/i;

export type LatencyRow = z.infer<typeof latencyRowSchema>;

/** ms per unit implied by a field name (duration_ms → 1, elapsed_s → 1000); undefined = duration strings. */
export function unitOf(field: string, type: string): number | undefined {
  if (type === "duration") return undefined;
  if (/(_ms|millis)$/i.test(field)) return 1;
  if (/(_us|micros)$/i.test(field)) return 0.001;
  if (/_ns$/i.test(field)) return 0.000001;
  if (/(_s|_seconds|_secs)$/i.test(field)) return 1000;
  return 1;
}

export async function latencyPercentiles(
  loki: LokiClient,
  serviceMatchers: Matcher[],
  serviceLabel: string,
  range: { start: Nanos; end: Nanos },
  signal?: AbortSignal,
): Promise<LatencyRow[]> {
  const selector = { matchers: serviceMatchers.length ? serviceMatchers : [re(serviceLabel, ".+")] };
  const detected = await loki.detectedFields(
    { query: render({ kind: "log", selector }), start: range.start, end: range.end, limit: 200 },
    { signal },
  );
  const candidates = detected
    .filter((f) => DURATION_NAME.test(f.label) && ["int", "float", "duration"].includes(f.type))
    .flatMap((f) => (f.parsers ?? ["logfmt"]).map((parser) => ({ field: f.label, type: f.type, parser })))
    .filter((c) => c.parser === "json" || c.parser === "logfmt")
    .slice(0, 4);
  const span = formatDuration(Math.max(1_000, Number((range.end - range.start) / NS_PER_MS)));
  const rows = new Map<string, LatencyRow>();
  await Promise.all(
    candidates.flatMap((c) =>
      ([0.5, 0.95, 0.99] as const).map(async (q) => {
        const unit = unitOf(c.field, c.type);
        const stages: Stage[] = [
          c.parser === "json" ? json() : logfmt(),
          noErrors(),
          labelFilter({ type: "string", label: c.field, op: "!=", value: "" }),
        ];
        const query = render(
          rangeAgg("quantile_over_time", { kind: "log", selector, pipeline: stages }, span, {
            quantile: q,
            by: [serviceLabel],
            unwrap:
              unit === undefined
                ? {
                    label: c.field,
                    conversion: "duration",
                    postFilters: [{ type: "string", label: "__error__", op: "=", value: "" }],
                  }
                : { label: c.field, postFilters: [{ type: "string", label: "__error__", op: "=", value: "" }] },
          }),
        );
        const data = await loki.query({ query, time: range.end }, { signal });
        if (data.resultType !== "vector") return;
        for (const s of data.result) {
          const service = (s.metric[serviceLabel] ?? "unknown").replace(/^.*\//, "");
          const key = `${service}|${c.field}`;
          const row = rows.get(key) ?? {
            service,
            field: c.field,
            parser: c.parser,
            p50_ms: null,
            p95_ms: null,
            p99_ms: null,
          };
          const v = Number(s.value[1]);
          const ms = unit === undefined ? v * 1000 : v * unit;
          const rounded = Math.round(ms * 100) / 100;
          if (q === 0.5) row.p50_ms = rounded;
          else if (q === 0.95) row.p95_ms = rounded;
          else row.p99_ms = rounded;
          rows.set(key, row);
        }
      }),
    ),
  );
  return [...rows.values()].sort((a, b) => (b.p99_ms ?? 0) - (a.p99_ms ?? 0));
}

const TEXT_DURATION =
  /\b(duration_ms|latency_ms|elapsed_ms|response_time_ms|duration|latency|elapsed|took)[=:]\s*"?((?:\d+(?:\.\d+)?(?:ms|us|µs|ns|h|m|s)?)+)/i;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ms|us|µs|ns|h|m|s))+$/;

/**
 * A duration value in ms: a number in the field's unit (duration_ms → ms,
 * elapsed_s → s), or a Go duration string ("250ms", "1.5s", "1m30s").
 */
function durationValue(name: string, v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v * (unitOf(name, "float") ?? 1) : undefined;
  if (typeof v !== "string") return undefined;
  const text = v.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * (unitOf(name, "float") ?? 1);
  if (!GO_DURATION.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/g)) ms += Number(m[1]) * (UNIT_MS[m[2]!] ?? 0);
  return ms;
}

/** A line's duration in ms from its fields (JSON/logfmt) or its text. */
export function durationOf(a: AnalyzedEntry): number | undefined {
  for (const [k, v] of Object.entries(a.parsed.fields)) {
    if (!DURATION_NAME.test(k)) continue;
    const ms = durationValue(k, v);
    if (ms !== undefined) return ms;
  }
  const m = TEXT_DURATION.exec(a.entry.line);
  return m ? durationValue(m[1]!, m[2]!) : undefined;
}

export function slowest(items: AnalyzedEntry[], n = 10) {
  return items
    .map((a) => ({ a, ms: durationOf(a) }))
    .filter((x): x is { a: AnalyzedEntry; ms: number } => x.ms !== undefined)
    .sort((x, y) => y.ms - x.ms)
    .slice(0, n)
    .map(({ a, ms }) => ({
      service: a.service,
      duration_ms: Math.round(ms * 100) / 100,
      ts: isoFromNs(a.entry.ts),
      ...(a.parsed.traceId ? { trace_id: a.parsed.traceId } : {}),
      line: a.entry.line,
    }));
}
