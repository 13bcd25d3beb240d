import { type Matcher, re, render } from "../logql/index.ts";
import { isoFromNs, msFromNs, type Nanos } from "../loki/time.ts";
import { resolveServices, type ServiceCatalog, serviceMatcher } from "../query/discovery.ts";
import type { LogEntry } from "../query/entry.ts";
import { refuseCostly, selectorsOf } from "../query/guardrail.ts";
import { clipExample, isProblemLevel, type Level, parseLine } from "../query/lines.ts";
import { buildLogQueries, hasFastPushdown, keepLine, type Pushdown, shownLogql } from "../query/modes.ts";
import { readLines } from "../query/read-lines.ts";
import { DEFAULT_QUERY_CONCURRENCY } from "../query/scan-many.ts";
import { serviceOf } from "../query/service.ts";
import { formatMs, parseDurationMs, resolveRange } from "../query/time.ts";
import { PatternsError } from "./errors.ts";
import { type PatternLibrary, type PatternMatch, severityRank } from "./library/index.ts";
import { type LokiPatternsSection, lokiPatterns } from "./loki-patterns.ts";
import { minedText } from "./message.ts";
import { learnNewLines } from "./store.ts";
import { type Buckets, bucketsFor, type TemplateLine, templateStats } from "./templates.ts";
import type { LearnedService, LibraryRef, PatternsAnswer, PatternsContext, PatternsParams } from "./types.ts";

/**
 * The learned half of GET /patterns: read the services' problem lines over
 * the range (the same pieces as /query: range, service catalog, cost
 * guardrail, time-sliced scan, line parsing), teach each (tenant, service)
 * miner the lines it has not seen, and count each template over the range,
 * with Loki's own patterns fetched beside them.
 */

/** Most buckets a series may have. */
export const MAX_BUCKETS = 500;
/** Most services whose Loki patterns are fetched one by one. */
const MAX_LOKI_SERVICES = 10;
const DEFAULT_LEVELS: Level[] = ["warn", "error", "fatal"];

export type LearnedPart = Required<
  Pick<PatternsAnswer, "range" | "buckets" | "logql" | "stats" | "learned" | "loki" | "next_calls">
>;

export async function learnedPart(ctx: PatternsContext, p: PatternsParams, hints: string[]): Promise<LearnedPart> {
  const now = ctx.now ?? Date.now();
  const range = resolveRange(p, now, ctx.settings.maxRangeMs);
  const buckets = bucketsFor(range, stepMsOf(p.step, range));
  const catalog = await ctx.discovery.catalog(ctx.loki, range, ctx.signal);
  const names = p.service ?? [];
  const resolved = resolveServices(catalog, names);
  const matcher = resolved.matcher;
  hints.push(...resolved.hints);
  // Only problem levels asked for: push Loki the troubleshoot filter (a superset), confirm locally.
  const levels = p.level;
  const problemOnly = (levels ?? DEFAULT_LEVELS).every((l) => isProblemLevel(l as Level));
  const mode = problemOnly ? "troubleshoot" : undefined;
  const build = (m: typeof mode, pushdown?: Pushdown) =>
    buildLogQueries(matcher ? [matcher] : [], catalog.label, m, {}, pushdown).map((q) => render(q));
  const queries = build(mode);
  let logql = shownLogql(mode, queries, build(undefined)[0]!);
  // The same cost guardrail as /query: refuse before reading when Loki estimates too many bytes.
  await refuseCostly(
    ctx.loki,
    [...new Set(queries.flatMap(selectorsOf))],
    range,
    catalog.label,
    ctx.settings.maxBytes,
    ctx.signal,
  );
  const lokiSections =
    p.include_loki === false
      ? Promise.resolve([])
      : lokiSectionsFor(ctx, catalog, names, matcher, range, buckets, levels);
  lokiSections.catch(() => {}); // awaited below; this only keeps a failed scan from leaving it unhandled

  const keepEntry = (entry: LogEntry, parsed = parseLine(entry)) =>
    levels?.length ? levels.includes(parsed.level) : keepLine("troubleshoot", parsed, entry.line);
  const read = await readLines(
    ctx.loki,
    {
      concurrency: ctx.settings.concurrency ?? DEFAULT_QUERY_CONCURRENCY,
      start: range.start,
      end: range.end,
      direction: "backward",
      pageSize: ctx.settings.pageSize,
      maxLines: ctx.settings.scanCap,
      signal: ctx.signal,
    },
    { fast: queries, precise: hasFastPushdown(mode) ? build(mode, "precise") : undefined },
    (entry) => keepEntry(entry),
  );
  const result = read.result;
  if (read.pushdown === "precise") logql = shownLogql(mode, read.queries, build(undefined)[0]!);
  const byService = new Map<string, TemplateLine[]>();
  for (const entry of result.entries) {
    const parsed = parseLine(entry);
    if (!keepEntry(entry, parsed)) continue;
    const service = serviceOf(entry, catalog);
    const list = byService.get(service) ?? [];
    const mined = minedText({ line: entry.line, message: parsed.message, fields: parsed.fields });
    list.push({ ts: entry.ts, line: entry.line, message: mined.text, values: mined.values });
    byService.set(service, list);
  }

  const order = [...byService.keys()].sort((a, b) => {
    const ia = rankOf(names, a);
    const ib = rankOf(names, b);
    return ia - ib || byService.get(b)!.length - byService.get(a)!.length || a.localeCompare(b);
  });
  const learned: LearnedService[] = [];
  for (const service of order) {
    learned.push(await learnService(ctx, service, byService.get(service)!, buckets));
  }
  const returned = learned.reduce((n, s) => n + s.lines, 0);
  const rangeOut = { start: isoFromNs(range.start), end: isoFromNs(range.end) };

  if (result.truncated) {
    hints.push(
      `Read the newest ${result.entries.length} lines (the scan cap) and stopped at ${isoFromNs(result.covered.start)}: counts before that are missing; narrow the range or name one service.`,
    );
  }
  if (returned === 0) {
    hints.push(
      `No ${(levels ?? DEFAULT_LEVELS).join(",")} line in this range${names.length ? ` for ${names.join(", ")}` : ""}: widen the range, or add level=info to learn from every line.`,
    );
  }
  const rangeParam = p.since
    ? `since=${encodeURIComponent(p.since)}`
    : `start=${encodeURIComponent(rangeOut.start)}&end=${encodeURIComponent(rangeOut.end)}`;
  const top = learned.find((s) => s.templates.length > 0);
  return {
    range: rangeOut,
    buckets: { start: new Date(buckets.startMs).toISOString(), step: formatMs(buckets.stepMs), count: buckets.count },
    learned,
    loki: await lokiSections,
    logql,
    stats: {
      lines_scanned: result.entries.length,
      lines_returned: returned,
      truncated: result.truncated,
      scan_cap: ctx.settings.scanCap,
      pages: result.pages,
    },
    next_calls: top
      ? [`GET /api/v1/ai_logs/query?mode=troubleshoot&service=${encodeURIComponent(top.service)}&${rangeParam}`]
      : [],
  };
}

async function learnService(
  ctx: PatternsContext,
  service: string,
  lines: TemplateLine[],
  buckets: Buckets,
): Promise<LearnedService> {
  const learned = await ctx.store.get(ctx.loki.tenant, service);
  const learnedNow = learnNewLines(ctx.store, learned, lines);
  const totals = new Map(learned.miner.clusters().map((c) => [c.template, c.count]));
  const stats = templateStats(ctx.store.copyOf(learned), lines, buckets);
  return {
    service,
    lines: lines.length,
    learned_now: learnedNow,
    templates: stats.map((t) => {
      const library = bestOf(ctx.library, t.examples);
      const seen_total = totals.get(t.template) ?? 0;
      return { ...t, template: clipExample(t.template), seen_total, ...(library ? { library } : {}) };
    }),
  };
}

async function lokiSectionsFor(
  ctx: PatternsContext,
  catalog: ServiceCatalog,
  names: string[],
  matcher: Matcher | undefined,
  range: { start: Nanos; end: Nanos },
  buckets: Buckets,
  levels: string[] | undefined,
): Promise<Array<LokiPatternsSection & { service: string }>> {
  const targets: Array<{ service: string; matcher: Matcher | undefined }> =
    names.length > 0 && names.length <= MAX_LOKI_SERVICES
      ? names.map((n) => ({ service: n, matcher: serviceMatcher(catalog, [n]).matcher }))
      : [{ service: names.length ? names.join(",") : "*", matcher }];
  const lokiLevels = (levels ?? DEFAULT_LEVELS).flatMap((l) => (l === "fatal" ? ["fatal", "critical"] : [l]));
  return Promise.all(
    targets.map(async (t) => {
      const selector = render({
        kind: "log",
        selector: { matchers: t.matcher ? [t.matcher] : [re(catalog.label, ".+")] },
      });
      const section = await lokiPatterns(ctx.loki, {
        selector,
        range,
        buckets,
        levels: lokiLevels,
        signal: ctx.signal,
      });
      return { service: t.service, ...section };
    }),
  );
}

/** The most severe library pattern any of the examples matches. */
function bestOf(library: PatternLibrary, examples: string[]): LibraryRef | undefined {
  let best: PatternMatch | undefined;
  for (const line of examples) {
    const m = library.best(line);
    if (m && (!best || severityRank(m.severity) < severityRank(best.severity))) best = m;
  }
  if (!best) return undefined;
  const pattern = library.get(best.id)!;
  return { id: best.id, title: best.title, severity: best.severity, remediation: pattern.remediation };
}

const rankOf = (names: string[], service: string) => {
  const i = names.indexOf(service);
  return i < 0 ? names.length : i;
};

/** The bucket width: `step` when given (a duration), else a twentieth of the range, in whole seconds. */
export function stepMsOf(step: string | undefined, range: { start: Nanos; end: Nanos }): number {
  const spanMs = msFromNs(range.end) - msFromNs(range.start);
  if (step === undefined) return Math.max(1_000, Math.ceil(spanMs / 20 / 1_000) * 1_000);
  const ms = parseDurationMs(step.trim());
  if (ms === undefined || ms < 1_000) {
    throw new PatternsError(
      "invalid",
      "bad-step",
      "Invalid step",
      `step="${step}" is not a duration of at least 1s`,
      "Write step as a duration such as 30s, 1m or 5m (at least 1s), or leave it out for range/20.",
    );
  }
  if (spanMs / ms >= MAX_BUCKETS) {
    throw new PatternsError(
      "invalid",
      "step-too-small",
      "Too many buckets",
      `step=${step} cuts the ${formatMs(spanMs)} range into ${Math.ceil(spanMs / ms)} buckets, more than ${MAX_BUCKETS}`,
      `Use step=${formatMs(Math.ceil(spanMs / MAX_BUCKETS / 1_000) * 1_000)} or more, or shorten the range.`,
    );
  }
  if (ms > spanMs) {
    throw new PatternsError(
      "invalid",
      "step-too-large",
      "Step longer than the range",
      `step=${step.trim().slice(0, 40)} is longer than the ${formatMs(spanMs)} range, so it would make one bucket`,
      `Use a step of at most ${formatMs(spanMs)} (e.g. step=${formatMs(Math.max(1_000, Math.ceil(spanMs / 20 / 1_000) * 1_000))}), or leave it out for range/20.`,
    );
  }
  return Math.ceil(ms / 1_000) * 1_000; // whole seconds, as Loki's pattern step
}
