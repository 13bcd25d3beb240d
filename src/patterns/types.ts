import type { LokiClient } from "../loki/client.ts";
import type { ServiceDiscovery } from "../query/discovery.ts";
import type { QuerySettings } from "../query/service.ts";
import type { PatternsDropped } from "./fit.ts";
import type { Category, PatternLibrary, Severity } from "./library/index.ts";
import type { LokiPatternsSection } from "./loki-patterns.ts";
import type { LearnedStore } from "./store.ts";
import type { TemplateStats } from "./templates.ts";

/** The parameters, context and answer of GET /patterns. */

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
  /**
   * `filters`: the patterns matching category/severity/min_severity (all without filters);
   * `matched`: beside learned templates and without filters, the patterns those templates match.
   */
  library: { selection: "filters" | "matched"; total: number; patterns: LibraryEntry[] };
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
