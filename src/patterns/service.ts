import type { Deps } from "../deps.ts";
import { ApiError } from "../http/problem.ts";
import type { Logger } from "../log.ts";
import { type Matcher, re, render } from "../logql/index.ts";
import type { LokiClient } from "../loki/client.ts";
import { isoFromNs, msFromNs, type Nanos } from "../loki/time.ts";
import { type ServiceCatalog, type ServiceDiscovery, serviceMatcher } from "../query/discovery.ts";
import { isProblemLevel, type Level, parseLine } from "../query/lines.ts";
import { buildLogQuery, keepLine } from "../query/modes.ts";
import { scan } from "../query/scan.ts";
import type { QuerySettings } from "../query/service.ts";
import { serviceOf } from "../query/service.ts";
import { formatMs, parseDurationMs, resolveRange } from "../query/time.ts";
import { fitPatternsAnswer, nonePatternsDropped, type PatternsDropped } from "./fit.ts";
import {
  type Category,
  loadPatternLibrary,
  type Pattern,
  type PatternLibrary,
  type PatternMatch,
  type Severity,
  severityRank,
} from "./library/index.ts";
import { type LokiPatternsSection, lokiPatterns } from "./loki-patterns.ts";
import type { MinerConfig } from "./miner/index.ts";
import { LearnedStore, learnNewLines } from "./store.ts";
import { type Buckets, bucketsFor, type TemplateLine, type TemplateStats, templateStats } from "./templates.ts";

/**
 * GET /patterns: the failure pattern library, the templates learned from the
 * services' problem lines over a range (one persistent miner per tenant and
 * service), and Loki's own patterns beside them, within max_tokens.
 */

export interface PatternsParams {
  category?: Category[] | undefined;
  severity?: Severity[] | undefined;
  min_severity?: Severity | undefined;
  service?: string[] | undefined;
  start?: string | undefined;
  end?: string | undefined;
  since?: string | undefined;
  step?: string | undefined;
  level?: string[] | undefined;
  max_tokens?: number | undefined;
  include_loki?: boolean | undefined;
}

export interface PatternsContext {
  loki: LokiClient;
  discovery: ServiceDiscovery;
  settings: QuerySettings;
  library: PatternLibrary;
  store: LearnedStore;
  signal?: AbortSignal | undefined;
  now?: number | undefined;
}

export interface LibraryEntry {
  id: string;
  title: string;
  category: Category;
  severity: Severity;
  description?: string;
  remediation?: string;
}

export interface LibraryRef {
  id: string;
  title: string;
  severity: Severity;
  remediation: string;
}

export interface LearnedTemplate extends Omit<TemplateStats, "params"> {
  params?: TemplateStats["params"];
  /** Lines with this template the service's persistent miner has learned (all requests, not just this range). */
  seen_total: number;
  library?: LibraryRef;
}

export interface LearnedService {
  service: string;
  /** Lines of this service in the range that passed the level filter. */
  lines: number;
  /** Of those, lines the persistent miner learned now (newer than anything it had seen). */
  learned_now: number;
  templates: LearnedTemplate[];
}

export interface PatternsAnswer {
  library: { total: number; patterns: LibraryEntry[] };
  range?: { start: string; end: string };
  /** The time series' buckets: `series[i]` counts lines in [start + i·step, start + (i+1)·step). */
  buckets?: { start: string; step: string; count: number };
  logql?: string;
  stats?: { lines_scanned: number; lines_returned: number; truncated: boolean; scan_cap: number; pages: number };
  learned?: LearnedService[];
  loki?: Array<LokiPatternsSection & { service: string }>;
  next_calls?: string[];
  dropped: PatternsDropped;
  hints: string[];
  tokens?: number;
}

/** Most buckets a series may have. */
export const MAX_BUCKETS = 500;
/** Most services whose Loki patterns are fetched one by one. */
const MAX_LOKI_SERVICES = 10;
const DEFAULT_LEVELS: Level[] = ["warn", "error", "fatal"];

export async function listPatterns(ctx: PatternsContext, p: PatternsParams): Promise<PatternsAnswer> {
  const selected = ctx.library.select({
    ...(p.category?.length ? { category: p.category } : {}),
    ...(p.severity?.length ? { severity: p.severity } : {}),
    ...(p.min_severity ? { minSeverity: p.min_severity } : {}),
  });
  const answer: PatternsAnswer = {
    library: { total: selected.length, patterns: selected.map(libraryEntry) },
    dropped: nonePatternsDropped(),
    hints: [],
  };
  const wantsLearned = Boolean(p.service?.length) || p.start !== undefined || p.end !== undefined || p.since !== undefined;
  if (selected.length === 0) {
    answer.hints.push("No library pattern matches these filters; drop category/severity to list them all.");
  }
  if (wantsLearned) await addLearned(ctx, p, answer);
  else {
    answer.hints.push(
      "Add service=<name> and since=1h to see the templates learned from that service's warn/error lines, with counts over time and the library pattern each matches.",
    );
  }
  return fitPatternsAnswer(answer, p.max_tokens ?? ctx.settings.defaultMaxTokens);
}

async function addLearned(ctx: PatternsContext, p: PatternsParams, answer: PatternsAnswer) {
  const now = ctx.now ?? Date.now();
  const range = resolveRange(p, now, ctx.settings.maxRangeMs);
  const buckets = bucketsFor(range, stepMsOf(p.step, range));
  const catalog = await ctx.discovery.catalog(ctx.loki, range, ctx.signal);
  const names = p.service ?? [];
  const { matcher, unknown } = names.length
    ? serviceMatcher(catalog, names)
    : { matcher: undefined, unknown: [] as string[] };
  if (unknown.length) {
    answer.hints.push(
      `No stream has ${catalog.label} = ${unknown.join(", ")} in this range. Services that exist: ${
        catalog.services
          .map((s) => s.name)
          .slice(0, 30)
          .join(", ") || "(none)"
      }.`,
    );
  }
  // Only problem levels asked for: push Loki the troubleshoot filter (a superset), confirm locally.
  const levels = p.level;
  const problemOnly = (levels ?? DEFAULT_LEVELS).every((l) => isProblemLevel(l as Level));
  const logql = render(buildLogQuery(matcher ? [matcher] : [], catalog.label, problemOnly ? "troubleshoot" : undefined, {}));
  const lokiSections =
    p.include_loki === false ? Promise.resolve([]) : lokiSectionsFor(ctx, catalog, names, matcher, range, buckets, levels);

  const result = await scan(ctx.loki, {
    query: logql,
    start: range.start,
    end: range.end,
    direction: "backward",
    pageSize: ctx.settings.pageSize,
    maxLines: ctx.settings.scanCap,
    signal: ctx.signal,
  });
  const byService = new Map<string, TemplateLine[]>();
  for (const entry of result.entries) {
    const parsed = parseLine(entry);
    const keep = levels?.length ? levels.includes(parsed.level) : keepLine("troubleshoot", parsed, entry.line);
    if (!keep) continue;
    const service = serviceOf(entry, catalog);
    const list = byService.get(service) ?? [];
    list.push({ ts: entry.ts, line: entry.line, message: parsed.message });
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

  answer.range = { start: isoFromNs(range.start), end: isoFromNs(range.end) };
  answer.buckets = { start: new Date(buckets.startMs).toISOString(), step: formatMs(buckets.stepMs), count: buckets.count };
  answer.logql = logql;
  answer.stats = {
    lines_scanned: result.entries.length,
    lines_returned: returned,
    truncated: result.truncated,
    scan_cap: ctx.settings.scanCap,
    pages: result.pages,
  };
  answer.learned = learned;
  answer.loki = await lokiSections;
  if (result.truncated) {
    answer.hints.push(
      `Read the newest ${result.entries.length} lines (the scan cap) and stopped at ${isoFromNs(result.covered.start)}: counts before that are missing; narrow the range or name one service.`,
    );
  }
  const levelText = (levels ?? DEFAULT_LEVELS).join(",");
  if (returned === 0) {
    answer.hints.push(
      `No ${levelText} line in this range${names.length ? ` for ${names.join(", ")}` : ""}: widen the range, or add level=info to learn from every line.`,
    );
  }
  const range_ = p.since ? `since=${p.since}` : `start=${encodeURIComponent(answer.range.start)}&end=${encodeURIComponent(answer.range.end)}`;
  const top = learned.find((s) => s.templates.length > 0);
  answer.next_calls = top
    ? [`GET /api/v1/ai_logs/query?mode=troubleshoot&service=${encodeURIComponent(top.service)}&${range_}`]
    : [];
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
      return { ...t, seen_total: totals.get(t.template) ?? 0, ...(library ? { library } : {}) };
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
      const section = await lokiPatterns(ctx.loki, { selector, range, buckets, levels: lokiLevels, signal: ctx.signal });
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

function libraryEntry(p: Pattern): LibraryEntry {
  return {
    id: p.id,
    title: p.title,
    category: p.category,
    severity: p.severity,
    description: p.description,
    remediation: p.remediation,
  };
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
    throw new ApiError(
      400,
      "bad-step",
      "Invalid step",
      `step="${step}" is not a duration of at least 1s`,
      "Write step as a duration such as 30s, 1m or 5m (at least 1s), or leave it out for range/20.",
    );
  }
  if (spanMs / ms > MAX_BUCKETS) {
    throw new ApiError(
      400,
      "step-too-small",
      "Too many buckets",
      `step=${step} cuts the ${formatMs(spanMs)} range into ${Math.ceil(spanMs / ms)} buckets, more than ${MAX_BUCKETS}`,
      `Use step=${formatMs(Math.ceil(spanMs / MAX_BUCKETS / 1_000) * 1_000)} or more, or shorten the range.`,
    );
  }
  return ms;
}

export interface PatternsService {
  readonly store: LearnedStore;
  /** The pattern library (loaded once, on first use). */
  library(): Promise<PatternLibrary>;
  /** One /patterns answer for the tenant of `loki`. */
  list(
    request: { loki: LokiClient; signal?: AbortSignal | undefined; now?: number },
    params: PatternsParams,
  ): Promise<PatternsAnswer>;
  /** Restores every saved miner (e.g. at start-up); resolves to how many. Never throws. */
  restoreAll(): Promise<number>;
  /** Saves pending snapshots. */
  close(): Promise<void>;
}

export interface PatternsServiceOptions {
  /** A library already loaded (default: the repo's patterns/ folder, loaded on first use). */
  library?: PatternLibrary | undefined;
  libraryDir?: string | undefined;
  maxMiners?: number | undefined;
  maxClusters?: number | undefined;
  miner?: Partial<MinerConfig> | undefined;
  saveDelayMs?: number | undefined;
  snapshotTtlSeconds?: number | undefined;
}

export function createPatternsService(
  deps: Pick<Deps, "cache" | "discovery" | "querySettings"> & { logger?: Logger | undefined },
  options: PatternsServiceOptions = {},
): PatternsService {
  const store = new LearnedStore({
    cache: deps.cache,
    logger: deps.logger,
    maxMiners: options.maxMiners,
    maxClusters: options.maxClusters,
    miner: options.miner,
    saveDelayMs: options.saveDelayMs,
    ttlSeconds: options.snapshotTtlSeconds,
  });
  let loading: Promise<PatternLibrary> | undefined = options.library ? Promise.resolve(options.library) : undefined;
  const library = () => {
    loading ??= loadPatternLibrary(options.libraryDir).catch((error: unknown) => {
      loading = undefined; // try again on the next request
      throw error;
    });
    return loading;
  };
  return {
    store,
    library,
    list: async (request, params) =>
      listPatterns(
        {
          loki: request.loki,
          discovery: deps.discovery,
          settings: deps.querySettings,
          library: await library(),
          store,
          signal: request.signal,
          now: request.now,
        },
        params,
      ),
    restoreAll: () => store.restoreAll(),
    close: () => store.close(),
  };
}
