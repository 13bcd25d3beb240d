import { formatDuration, rangeAgg, re, render, sumBy } from "../logql/index.ts";
import type { LokiClient } from "../loki/client.ts";
import { isoFromNs, NS_PER_MS } from "../loki/time.ts";
import { type ServiceCatalog, type ServiceDiscovery, shortServiceName } from "./discovery.ts";
import { QueryError } from "./errors.ts";
import { formatBytes } from "./guardrail.ts";
import { normalizeLevel } from "./lines.ts";
import { formatMs, type RangeInput, resolveRange } from "./time.ts";

/**
 * GET /services: the services of the tenant with volume (bytes from
 * index/volume, lines from a count), the label scheme their streams carry,
 * and the levels seen. The count reads every stream, so it is guarded like
 * /query: a range of at most `maxRangeMs` (SERVICES_MAX_RANGE) and at most
 * `maxBytes` (QUERY_MAX_BYTES) by Loki's estimate.
 */
export async function listServices(
  ctx: { loki: LokiClient; discovery: ServiceDiscovery; maxRangeMs: number; maxBytes: number; signal?: AbortSignal },
  input: RangeInput,
) {
  const range = resolveRange(input, Date.now(), ctx.maxRangeMs);
  const catalog = await ctx.discovery.catalog(ctx.loki, range, ctx.signal);
  refuseCostlyCount(catalog, ctx.maxBytes, Number((range.end - range.start) / NS_PER_MS));
  const call = { signal: ctx.signal };
  const lines = new Map<string, number>();
  const levels = new Map<string, Record<string, number>>();
  const labels = new Map<string, Set<string>>();
  if (catalog.services.length) {
    const sel = { kind: "log" as const, selector: { matchers: [re(catalog.label, ".+")] } };
    const span = formatDuration(Math.max(1, Number((range.end - range.start) / NS_PER_MS)));
    const counts = await ctx.loki.query(
      {
        query: render(sumBy([catalog.label, "detected_level"], rangeAgg("count_over_time", sel, span))),
        time: range.end,
      },
      call,
    );
    if (counts.resultType === "vector") {
      for (const s of counts.result) {
        const name = shortServiceName(s.metric[catalog.label] ?? "");
        const n = Number(s.value[1]);
        lines.set(name, (lines.get(name) ?? 0) + n);
        const level = normalizeLevel(s.metric.detected_level) ?? "unknown";
        const byLevel = levels.get(name) ?? {};
        byLevel[level] = (byLevel[level] ?? 0) + n;
        levels.set(name, byLevel);
      }
    }
    const series = await ctx.loki.series({ match: [render(sel)], start: range.start, end: range.end }, call);
    for (const s of series) {
      const name = shortServiceName(s[catalog.label] ?? "");
      const set = labels.get(name) ?? new Set<string>();
      for (const k of Object.keys(s)) set.add(k);
      labels.set(name, set);
    }
  }
  return {
    service_label: catalog.label,
    label_names: catalog.labelNames,
    range: { start: isoFromNs(range.start), end: isoFromNs(range.end) },
    services: catalog.services.map((s) => ({
      ...s,
      lines: lines.get(s.name) ?? 0,
      levels: levels.get(s.name) ?? {},
      labels: [...(labels.get(s.name) ?? [])].sort(),
    })),
  };
}

/** The catalog's volumes are Loki's estimate of what counting every stream reads: refuse over the budget. */
function refuseCostlyCount(catalog: ServiceCatalog, maxBytes: number, spanMs: number): void {
  const bytes = catalog.services.reduce((n, s) => n + s.bytes, 0);
  if (bytes <= maxBytes) return;
  throw new QueryError(
    "refused",
    "query-too-costly",
    "Counting every service would read too much",
    `Loki estimates ${formatBytes(bytes)} for every stream of the ${formatMs(spanMs)} range, over the budget of ${formatBytes(maxBytes)} (QUERY_MAX_BYTES)`,
    `Shorten the range (e.g. since=${formatMs(Math.max(60_000, Math.floor((spanMs * maxBytes) / bytes / 60_000) * 60_000))}): the estimate scales with the range.`,
  );
}
