import { contains, logQuery, type Matcher, re, render } from "../logql/index.ts";
import { isoFromNs, msFromNs, type Nanos, NS_PER_MS } from "../loki/time.ts";
import { minedTextCache } from "../patterns/message.ts";
import { type ServiceCatalog, serviceMatcher } from "../query/discovery.ts";
import type { LogEntry } from "../query/entry.ts";
import { type ParsedLine, parseLine } from "../query/lines.ts";
import { keepLine } from "../query/modes.ts";
import { type LinePlan, type LinePlanParams, planLineRead } from "../query/plan.ts";
import { readLines } from "../query/read-lines.ts";
import { DEFAULT_QUERY_CONCURRENCY } from "../query/scan-many.ts";
import { serviceOf } from "../query/service.ts";
import type { RangeInput } from "../query/time.ts";
import type { QueryContext } from "../query/types.ts";
import { fitAnalyze } from "./budget.ts";
import { distinguishSpikes } from "./distinguish.ts";
import { toFinding } from "./findings.ts";
import { rank } from "./rank.ts";
import type { AnalyzeAnswer, AnalyzeParams, BaselineKind } from "./schemas.ts";
import { countQuery, detectSpikes, readCounts, type Span, type Spike, stepMsFor } from "./spikes.ts";
import { compareTemplates, libraryHits, type ProblemLine } from "./templates.ts";

/**
 * GET /analyze: what changed in a window against a baseline. Reads the problem lines (warn and worse) of
 * both, mines them with one miner (new, rising, steady templates), matches them against the failure
 * library, asks Loki for error and volume counts per service (spikes), ranks causes first and fits the
 * answer into max_tokens.
 */

const DAY_MS = 86_400_000;
/** Least lines in a bucket for a volume spike (error spikes: MIN_COUNT). */
const MIN_VOLUME_SPIKE = 20;

export async function runAnalyze(ctx: QueryContext, p: AnalyzeParams): Promise<AnalyzeAnswer> {
  const plan = await planLineRead(ctx, planParams(p.service, p), planOptions(ctx));
  const kind: BaselineKind = p.baseline ?? "previous";
  const baseRange = baselineOf(plan.range, kind);
  const basePlan = await planLineRead(
    ctx,
    planParams(p.service, { start: String(baseRange.start), end: String(baseRange.end) }),
    planOptions(ctx),
  );
  const [win, base, spikes] = await Promise.all([
    readProblems(ctx, plan),
    readProblems(ctx, basePlan),
    findSpikes(ctx, plan, baseRange, kind),
  ]);
  const known = plan.catalog.services.map((s) => s.name);
  const durations = { windowMs: win.coveredMs, baselineMs: base.coveredMs };
  const stats = compareTemplates(win.lines, base.lines, durations, known);
  const hits = ctx.patterns ? libraryHits(ctx.patterns, win.lines, base.lines, durations) : [];
  const baseline = { start: msFromNs(baseRange.start), end: msFromNs(baseRange.end) };
  const matcher = (service: string) => matcherOf(plan.catalog, service);
  const label = plan.catalog.label;
  const distinguishing = await distinguishSpikes(ctx.loki, spikes, win.lines, baseline, matcher, label, ctx.signal);
  const ranked = rank(stats, hits, spikes, distinguishing);
  const findingCtx = {
    logqlFor: (service: string, template?: string) => logqlFor(plan.catalog, service, template),
    spikeLogql: (s: Spike) => countQuery(plan.catalog.label, matcherOf(plan.catalog, s.service), s.what, 60_000),
  };
  const answer: AnalyzeAnswer = {
    findings: ranked.map((r) => toFinding(r, findingCtx)),
    range: { start: isoFromNs(plan.range.start), end: isoFromNs(plan.range.end) },
    baseline: { kind, start: isoFromNs(baseRange.start), end: isoFromNs(baseRange.end) },
    dropped: { findings: 0, examples: 0, notes: [] },
    hints: hintsOf(plan, win, base),
  };
  return fitAnalyze(answer, p.max_tokens ?? ctx.settings.defaultMaxTokens);
}

/** Troubleshoot's problem lines of the services over a range. */
const planParams = (service: string[] | undefined, range: RangeInput): LinePlanParams => ({
  mode: "troubleshoot",
  service,
  contains: undefined,
  regex: undefined,
  trace_id: undefined,
  conversation_id: undefined,
  workspace_id: undefined,
  logql: undefined,
  start: range.start,
  end: range.end,
  since: range.since,
});

const planOptions = (ctx: QueryContext) => ({
  pushdown: "fast" as const,
  maxBytes: ctx.settings.maxBytes,
  what: "analyze",
});

/** previous: the same length just before the window; day: the window a day earlier. */
export function baselineOf(range: { start: Nanos; end: Nanos }, kind: BaselineKind): { start: Nanos; end: Nanos } {
  if (kind === "day") {
    const day = BigInt(DAY_MS) * NS_PER_MS;
    return { start: range.start - day, end: range.end - day };
  }
  return { start: range.start - (range.end - range.start), end: range.start };
}

interface Problems {
  lines: ProblemLine[];
  coveredMs: number;
  truncated: boolean;
  scanned: number;
}

/** The plan's problem lines (troubleshoot's legs, checked locally), oldest first, up to the scan cap. */
async function readProblems(ctx: QueryContext, plan: LinePlan): Promise<Problems> {
  const parsed = new Map<LogEntry, ParsedLine>();
  const parsedOf = (e: LogEntry) => {
    let p = parsed.get(e);
    if (!p) {
      p = parseLine(e);
      parsed.set(e, p);
    }
    return p;
  };
  const keep = (e: LogEntry) => keepLine("troubleshoot", parsedOf(e), e.line);
  const read = await readLines(
    ctx.loki,
    {
      concurrency: ctx.settings.concurrency ?? DEFAULT_QUERY_CONCURRENCY,
      start: plan.range.start,
      end: plan.range.end,
      direction: "backward",
      pageSize: ctx.settings.pageSize,
      maxLines: ctx.settings.scanCap,
      signal: ctx.signal,
    },
    { fast: plan.queries, precise: plan.precise && (() => plan.precise!().queries) },
    keep,
  );
  const minedOf = minedTextCache();
  const lines: ProblemLine[] = [];
  const entries = read.result.entries;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    const p = parsedOf(e);
    if (!keepLine("troubleshoot", p, e.line)) continue;
    const mined = minedOf({ line: e.line, message: p.message, fields: p.fields }).text;
    const service = serviceOf(e, plan.catalog);
    lines.push({
      ts: msFromNs(e.ts),
      service,
      level: p.level,
      line: e.line,
      mined,
      message: p.message,
      fields: p.fields,
      labels: e.labels,
    });
  }
  const covered = read.result.covered;
  return {
    lines,
    coveredMs: Math.max(1, msFromNs(covered.end) - msFromNs(covered.start)),
    truncated: read.result.truncated,
    scanned: entries.length,
  };
}

/** Error and volume spikes per service, counted by Loki over the window and the baseline. */
async function findSpikes(
  ctx: QueryContext,
  plan: LinePlan,
  baseRange: { start: Nanos; end: Nanos },
  kind: BaselineKind,
): Promise<Spike[]> {
  const window: Span = { start: msFromNs(plan.range.start), end: msFromNs(plan.range.end) };
  const baseline: Span = { start: msFromNs(baseRange.start), end: msFromNs(baseRange.end) };
  const stepMs = stepMsFor(window.end - window.start);
  const spans = kind === "previous" ? [{ start: baseline.start, end: window.end }] : [baseline, window];
  const label = plan.catalog.label;
  const count = (what: "errors" | "volume") =>
    readCounts(ctx.loki, countQuery(label, plan.matcher, what, stepMs), label, spans, stepMs, ctx.signal);
  const [errors, volume] = await Promise.all([count("errors"), count("volume")]);
  return [
    ...detectSpikes(errors, "errors", window, baseline, stepMs),
    ...detectSpikes(volume, "volume", window, baseline, stepMs, MIN_VOLUME_SPIKE),
  ];
}

const matcherOf = (catalog: ServiceCatalog, service: string): Matcher =>
  service === "unknown" ? re(catalog.label, ".+") : serviceMatcher(catalog, [service]).matcher;

/** The service's lines with the template's longest literal part (when it has one a line filter can carry). */
export function logqlFor(catalog: ServiceCatalog, service: string, template?: string): string {
  const selector = { matchers: [matcherOf(catalog, service)] };
  const piece = template ? longestLiteral(template) : undefined;
  return render(piece ? logQuery(selector, contains(piece)) : logQuery(selector));
}

/** The longest run of a template between its variables, when it is worth filtering on (≥ 4 characters, no quotes). */
export function longestLiteral(template: string): string | undefined {
  let best = "";
  for (const part of template.split("<*>")) {
    const t = part.trim();
    if (t.length > best.length && !/["\\]/.test(t)) best = t;
  }
  return best.length >= 4 ? best : undefined;
}

function hintsOf(plan: LinePlan, win: Problems, base: Problems): string[] {
  const hints = [...plan.hints];
  if (win.truncated) {
    hints.push(
      `The window held more problem lines than the scan cap: counts come from its newest ${win.scanned} lines, scaled by the time they cover. Name a service or shorten the range for exact counts.`,
    );
  }
  if (base.truncated)
    hints.push(`The baseline was read up to the scan cap (${base.scanned} lines), rates scaled by the time covered.`);
  if (base.lines.length === 0) {
    hints.push(
      "The baseline has no problem lines: every template counts as new. Compare with another baseline (baseline=day) or a longer window if data is older.",
    );
  }
  if (win.lines.length === 0)
    hints.push("No problem line (warn or worse) in the window: widen it or name other services.");
  return hints;
}
