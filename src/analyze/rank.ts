import { severityRank } from "../patterns/library/matcher.ts";
import type { Finding } from "./schemas.ts";
import type { Spike } from "./spikes.ts";
import { type LibraryHit, RISING_ALPHA, type TemplateStat } from "./templates.ts";

/**
 * Orders what the analysis found, causes before symptoms (a pure core). A service's new or rising problem
 * template "names" another service when its lines name it as their callee (`upstream=`, "call to X
 * failed"). A template is a symptom when it names a service that has new or rising problems of its own; a
 * template is a cause when its service is named that way and it names no failing service itself. Tiers:
 * causes (more services failing above them first), library hits by severity, other new templates, symptoms,
 * rising templates, spikes, what distinguishes them, steady errors (and library hits at their baseline rate)
 * last.
 */

export const TIERS = ["cause", "library", "new", "symptom", "rising", "spike", "distinguishing", "steady"] as const;
export type Tier = (typeof TIERS)[number];

export type Item =
  | { type: "template"; stat: TemplateStat }
  | { type: "library"; hit: LibraryHit }
  | { type: "spike"; spike: Spike }
  | { type: "finding"; finding: Finding };

export interface Ranked {
  item: Item;
  tier: Tier;
  /** Services whose failures point at this one (causes only), nearest callers first. */
  upstream: string[];
  /** Failing services this template names (symptoms only). */
  blames: string[];
}

/** Each failing service → the failing services whose new/rising templates name it. */
function namedBy(stats: readonly TemplateStat[]): Map<string, Set<string>> {
  const failing = new Set(stats.filter(isChange).map((s) => s.service));
  const edges = new Map<string, Set<string>>();
  for (const s of stats) {
    if (!isChange(s)) continue;
    for (const callee of s.mentions) {
      if (!failing.has(callee) || callee === s.service) continue;
      const callers = edges.get(callee) ?? new Set<string>();
      callers.add(s.service);
      edges.set(callee, callers);
    }
  }
  return edges;
}

const isChange = (s: TemplateStat) => s.kind === "new" || s.kind === "rising";

/** Every service upstream of `service` along the callers' edges (breadth first, each once). */
function upstreamOf(service: string, edges: Map<string, Set<string>>): string[] {
  const seen = new Set<string>([service]);
  const order: string[] = [];
  let frontier = [service];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const s of frontier) {
      for (const caller of edges.get(s) ?? []) {
        if (seen.has(caller)) continue;
        seen.add(caller);
        order.push(caller);
        next.push(caller);
      }
    }
    frontier = next;
  }
  return order;
}

const LEVEL_WEIGHT: Record<string, number> = { fatal: 0, error: 1, warn: 2 };
const levelWeight = (level: string) => LEVEL_WEIGHT[level] ?? 3;

export function rank(
  stats: readonly TemplateStat[],
  hits: readonly LibraryHit[],
  spikes: readonly Spike[],
  extra: readonly Finding[] = [],
): Ranked[] {
  const edges = namedBy(stats);
  const failing = new Set(stats.filter(isChange).map((s) => s.service));
  const out: Ranked[] = [];
  for (const stat of stats) {
    const blames = isChange(stat) ? stat.mentions.filter((m) => failing.has(m) && m !== stat.service) : [];
    const upstream = isChange(stat) && blames.length === 0 ? upstreamOf(stat.service, edges) : [];
    let tier: Tier = stat.kind === "steady" ? "steady" : stat.kind === "rising" ? "rising" : "new";
    if (upstream.length > 0) tier = "cause";
    else if (blames.length > 0) tier = "symptom";
    out.push({ item: { type: "template", stat }, tier, upstream, blames });
  }
  for (const hit of hits) {
    // A known failure at the rate it had before is as steady as a template that did not change.
    const tier: Tier = hit.pValue !== undefined && hit.pValue >= RISING_ALPHA ? "steady" : "library";
    out.push({ item: { type: "library", hit }, tier, upstream: [], blames: [] });
  }
  for (const spike of spikes) out.push({ item: { type: "spike", spike }, tier: "spike", upstream: [], blames: [] });
  for (const finding of extra) {
    out.push({ item: { type: "finding", finding }, tier: finding.kind as Tier, upstream: [], blames: [] });
  }
  return out.sort(compareRanked);
}

function compareRanked(a: Ranked, b: Ranked): number {
  const tier = TIERS.indexOf(a.tier) - TIERS.indexOf(b.tier);
  if (tier !== 0) return tier;
  const [ka, kb] = [sortKey(a), sortKey(b)];
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
  return 0;
}

/** Within a tier, ascending: more upstream first, more severe first, earlier first, more lines first. */
function sortKey(r: Ranked): number[] {
  const { item } = r;
  switch (item.type) {
    case "template":
      return [-r.upstream.length, levelWeight(item.stat.level), item.stat.firstSeen, -item.stat.window];
    case "library":
      return [severityRank(item.hit.severity), item.hit.firstSeen, -item.hit.window];
    case "spike":
      return [item.spike.what === "errors" ? 0 : 1, -item.spike.z, item.spike.firstBucket];
    case "finding":
      return [item.finding.evidence.p_value ?? 1];
  }
}
