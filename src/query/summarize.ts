import { findMentions, type Origin, OriginEvidence } from "../correlate/origin.ts";
import { isoFromNs, msFromNs } from "../loki/time.ts";
import type { PatternLibrary, PatternMatch } from "../patterns/library/index.ts";
import { MINED_TEXT_MINER, minedText } from "../patterns/message.ts";
import { createMiner, type TemplateMiner } from "../patterns/miner/index.ts";
import type { LogEntry } from "./entry.ts";
import { clipExample, isProblemLevel, type ParsedLine } from "./lines.ts";

/** One line with what we derived from it. */
export interface AnalyzedEntry {
  entry: LogEntry;
  parsed: ParsedLine;
  service: string;
  /** The text the miner groups the line by (`minedText`), when the caller made it already. */
  mined?: string | undefined;
}

export interface Group {
  template: string;
  count: number;
  services: string[];
  levels: Record<string, number>;
  first_seen: string;
  last_seen: string;
  examples: string[];
  /** Set by the pattern library when a known failure matches this group. */
  pattern?: { id: string; title: string; severity: string; remediation: string };
}

export interface Summary {
  counts: { by_service: Record<string, number>; by_level: Record<string, number> };
  groups: Group[];
  likely_origin: Origin | null;
}

export type Library = Pick<PatternLibrary, "best" | "get">;

/** The text the miner groups a line by: its message without its own timestamp and level, fields as `key=<*>`. */
export const minedTextOf = (entry: LogEntry, parsed: ParsedLine): string =>
  minedText({ line: entry.line, message: parsed.message, fields: parsed.fields }).text;

/**
 * Groups lines by message template (the message without the line's own
 * timestamp and level, its key=value fields as `key=<*>`, numbers, ids, hex,
 * IPs, durations masked by the template miner), counts by service and level,
 * and names the likely origin of the failure from the problem lines.
 */
export function summarize(
  items: AnalyzedEntry[],
  knownServices: string[],
  window: { start: number; end: number },
  library?: Library,
): Summary {
  const summary = new SummaryBuilder(knownServices, library);
  for (const it of items) summary.add(it);
  return summary.finish(window);
}

/** Most lines `matchAhead` matches against the pattern library while adding (each costs ~0.1 ms). */
const MAX_MATCHED_AHEAD = 48;

/**
 * `summarize` one line at a time: `add` does each line's own work (counts, mining, the services it names),
 * in the order of the answer's lines, so a read can feed the pages it has while Loki reads the next one;
 * `finish` groups by the final templates and names the likely origin. The summary is the same however the
 * lines were fed, as long as they were fed in order. With `matchAhead`, the lines that may become a
 * group's examples (the first three distinct lines of each cluster) are matched against the pattern
 * library as they are added, so `finish` finds the matches made (for the first MAX_MATCHED_AHEAD lines).
 */
export class SummaryBuilder {
  /** The lines added, in order. */
  readonly items: AnalyzedEntry[] = [];
  private readonly by_service: Record<string, number> = {};
  private readonly by_level: Record<string, number> = {};
  private readonly miner: TemplateMiner = createMiner(MINED_TEXT_MINER);
  private readonly clusterOf: number[] = [];
  private readonly texts: string[] = [];
  private readonly origin = new OriginEvidence();
  /** The first distinct lines of each cluster, and their best pattern match (matchAhead only). */
  private readonly candidates = new Map<number, string[]>();
  private readonly matched = new Map<string, PatternMatch | undefined>();

  constructor(
    private readonly knownServices: string[],
    private readonly library?: Library,
    private readonly matchAhead = false,
  ) {}

  add(it: AnalyzedEntry): void {
    this.items.push(it);
    this.by_service[it.service] = (this.by_service[it.service] ?? 0) + 1;
    this.by_level[it.parsed.level] = (this.by_level[it.parsed.level] ?? 0) + 1;
    const text = it.mined ?? minedTextOf(it.entry, it.parsed);
    this.texts.push(text);
    const cluster = this.miner.train(text);
    this.clusterOf.push(cluster);
    if (this.matchAhead) this.matchCandidate(cluster, it.entry.line);
    if (isProblemLevel(it.parsed.level)) {
      this.origin.add({
        service: it.service,
        ts: msFromNs(it.entry.ts),
        level: it.parsed.level,
        message: it.parsed.message,
        traceId: it.parsed.traceId,
        mentions: findMentions(it.service, it.parsed.message, it.parsed.fields, this.knownServices),
      });
    }
  }

  finish(window: { start: number; end: number }): Summary {
    const groups = this.groups();
    if (this.library) this.matchPatterns(groups, this.library);
    for (const g of groups) {
      g.template = clipExample(g.template);
      g.examples = g.examples.map(clipExample);
    }
    return {
      counts: { by_service: this.by_service, by_level: this.by_level },
      groups,
      likely_origin: this.origin.origin(window) ?? null,
    };
  }

  /** The lines grouped by their cluster's final template (a line whose cluster is gone, by its own text), biggest first. */
  private groups(): Group[] {
    const groups = new Map<string, Group & { firstNs: bigint; lastNs: bigint }>();
    const templates = new Map<number, string | undefined>(); // a cluster's template, read once
    this.items.forEach((it, i) => {
      const id = this.clusterOf[i]!;
      let known = templates.get(id);
      if (known === undefined && !templates.has(id)) {
        known = this.miner.templateOf(id);
        templates.set(id, known);
      }
      const template = known ?? this.texts[i]!;
      let g = groups.get(template);
      if (!g) {
        g = {
          template,
          count: 0,
          services: [],
          levels: {},
          first_seen: "",
          last_seen: "",
          examples: [],
          firstNs: it.entry.ts,
          lastNs: it.entry.ts,
        };
        groups.set(template, g);
      }
      g.count++;
      if (!g.services.includes(it.service)) g.services.push(it.service);
      g.levels[it.parsed.level] = (g.levels[it.parsed.level] ?? 0) + 1;
      if (it.entry.ts < g.firstNs) g.firstNs = it.entry.ts;
      if (it.entry.ts > g.lastNs) g.lastNs = it.entry.ts;
      if (g.examples.length < 3 && !g.examples.includes(it.entry.line)) g.examples.push(it.entry.line);
    });
    return [...groups.values()]
      .sort((a, b) => b.count - a.count || (a.firstNs < b.firstNs ? -1 : 1))
      .map(({ firstNs, lastNs, ...g }) => ({ ...g, first_seen: isoFromNs(firstNs), last_seen: isoFromNs(lastNs) }));
  }

  /**
   * A group's examples are among the first three distinct lines of the clusters it gathers (where an example
   * first occurs in the group, fewer than three distinct lines of that cluster came before it), so matching
   * those ahead leaves `finish` little to match; any other line is matched there.
   */
  private matchCandidate(cluster: number, line: string): void {
    const seen = this.candidates.get(cluster) ?? [];
    if (seen.length >= 3 || seen.includes(line)) return;
    seen.push(line);
    this.candidates.set(cluster, seen);
    if (this.library && this.matched.size < MAX_MATCHED_AHEAD && !this.matched.has(line)) {
      this.matched.set(line, this.library.best(line));
    }
  }

  /** A group whose lines match a known failure carries the pattern's id, severity and remediation. */
  private matchPatterns(groups: Group[], library: Library): void {
    const best = (line: string) => (this.matched.has(line) ? this.matched.get(line) : library.best(line));
    for (const g of groups) {
      const hit = g.examples.map(best).find((m) => m !== undefined);
      const pattern = hit && library.get(hit.id);
      if (hit && pattern) {
        g.pattern = { id: hit.id, title: hit.title, severity: hit.severity, remediation: pattern.remediation.trim() };
      }
    }
  }
}
