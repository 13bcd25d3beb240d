import type { Cache } from "../cache/index.ts";
import type { Logger } from "../log.ts";
import type { LokiClient } from "../loki/client.ts";
import type { ServiceDiscovery } from "../query/discovery.ts";
import type { QuerySettings } from "../query/types.ts";
import { fitPatternsAnswer, nonePatternsDropped } from "./fit.ts";
import { learnedPart } from "./learned.ts";
import type { Pattern, PatternLibrary } from "./library/index.ts";
import type { MinerConfig } from "./miner/index.ts";
import { LearnedStore } from "./store.ts";
import type { LibraryEntry, PatternsAnswer, PatternsContext, PatternsParams } from "./types.ts";

export { MAX_BUCKETS, stepMsOf } from "./learned.ts";
export type * from "./types.ts";

/**
 * GET /patterns: the failure pattern library, the templates learned from the
 * services' problem lines over a range (one persistent miner per tenant and
 * service), and Loki's own patterns beside them, within max_tokens.
 */

export async function listPatterns(ctx: PatternsContext, p: PatternsParams): Promise<PatternsAnswer> {
  const filtered = Boolean(p.category?.length || p.severity?.length || p.min_severity);
  const selected = ctx.library.select({
    ...(p.category?.length ? { category: p.category } : {}),
    ...(p.severity?.length ? { severity: p.severity } : {}),
    ...(p.min_severity ? { minSeverity: p.min_severity } : {}),
  });
  const hints: string[] = [];
  const wantsLearned =
    Boolean(p.service?.length) || p.start !== undefined || p.end !== undefined || p.since !== undefined;
  const part = wantsLearned ? await learnedPart(ctx, p, hints) : undefined;

  // Beside learned templates and without filters, the library section lists the patterns they matched.
  const matched = new Set(part?.learned.flatMap((s) => s.templates.flatMap((t) => (t.library ? [t.library.id] : []))));
  const byMatch = part !== undefined && !filtered;
  const listed = byMatch ? selected.filter((x) => matched.has(x.id)) : selected;
  if (filtered && selected.length === 0) {
    hints.push("No library pattern matches these filters; drop category/severity to list them all.");
  }
  if (byMatch) {
    hints.push(
      `The library section lists the ${listed.length} pattern(s) these templates match; all ${selected.length} are listed by /patterns without service or range, or filtered with category=… / min_severity=….`,
    );
  }
  if (!wantsLearned) {
    hints.push(
      "Add service=<name> and since=1h to see the templates learned from that service's warn/error lines, with counts over time and the library pattern each matches.",
    );
  }
  const answer: PatternsAnswer = {
    ...(part ? { range: part.range, buckets: part.buckets, learned: part.learned, loki: part.loki } : {}),
    library: { selection: byMatch ? "matched" : "filters", total: listed.length, patterns: listed.map(libraryEntry) },
    ...(part ? { stats: part.stats, logql: part.logql, next_calls: part.next_calls } : {}),
    dropped: nonePatternsDropped(),
    hints,
  };
  return fitPatternsAnswer(answer, p.max_tokens ?? ctx.settings.defaultMaxTokens);
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

export interface PatternsService {
  readonly store: LearnedStore;
  readonly library: PatternLibrary;
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
  /** Another library than `deps.patterns` (tests). */
  library?: PatternLibrary | undefined;
  /** Most (tenant, service) miners in memory; default 200. */
  maxMiners?: number | undefined;
  /** Most clusters per miner; default 1,000. */
  maxClusters?: number | undefined;
  miner?: Partial<MinerConfig> | undefined;
  /** Debounce of snapshot writes; default 5 s. */
  saveDelayMs?: number | undefined;
  /** TTL of a snapshot in the cache; default 7 days. */
  snapshotTtlSeconds?: number | undefined;
}

/** The /patterns service: the library from deps, and a learned store saving through `deps.cache`. */
export function createPatternsService(
  deps: {
    cache: Cache;
    discovery: ServiceDiscovery;
    querySettings: QuerySettings;
    patterns: PatternLibrary;
    logger?: Logger | undefined;
  },
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
  const library = options.library ?? deps.patterns;
  return {
    store,
    library,
    list: (request, params) =>
      listPatterns(
        {
          loki: request.loki,
          discovery: deps.discovery,
          settings: deps.querySettings,
          library,
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
