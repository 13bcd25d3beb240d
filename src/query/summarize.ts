import { findMentions, likelyOrigin, type Origin, type ProblemLine } from "../correlate/origin.ts";
import { isoFromNs, msFromNs } from "../loki/time.ts";
import type { PatternLibrary } from "../patterns/library/index.ts";
import { MINED_TEXT_MINER, minedText } from "../patterns/message.ts";
import { createMiner } from "../patterns/miner/index.ts";
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
  library?: Pick<PatternLibrary, "best" | "get">,
): Summary {
  const by_service: Record<string, number> = {};
  const by_level: Record<string, number> = {};
  const miner = createMiner(MINED_TEXT_MINER);
  const clusterOf: number[] = [];
  const texts: string[] = [];
  for (const it of items) {
    by_service[it.service] = (by_service[it.service] ?? 0) + 1;
    by_level[it.parsed.level] = (by_level[it.parsed.level] ?? 0) + 1;
    const text = it.mined ?? minedTextOf(it.entry, it.parsed);
    texts.push(text);
    clusterOf.push(miner.train(text));
  }
  const groups = new Map<string, Group & { firstNs: bigint; lastNs: bigint }>();
  items.forEach((it, i) => {
    const template = miner.templateOf(clusterOf[i]!) ?? texts[i]!;
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
  const list: Group[] = [...groups.values()]
    .sort((a, b) => b.count - a.count || (a.firstNs < b.firstNs ? -1 : 1))
    .map(({ firstNs, lastNs, ...g }) => ({ ...g, first_seen: isoFromNs(firstNs), last_seen: isoFromNs(lastNs) }));

  // A group whose lines match a known failure carries the pattern's id, severity and remediation.
  if (library) {
    for (const g of list) {
      const hit = g.examples.map((e) => library.best(e)).find((m) => m !== undefined);
      const pattern = hit && library.get(hit.id);
      if (hit && pattern) {
        g.pattern = { id: hit.id, title: hit.title, severity: hit.severity, remediation: pattern.remediation.trim() };
      }
    }
  }

  for (const g of list) {
    g.template = clipExample(g.template);
    g.examples = g.examples.map(clipExample);
  }

  const problems: ProblemLine[] = items
    .filter((it) => isProblemLevel(it.parsed.level))
    .map((it) => ({
      service: it.service,
      ts: msFromNs(it.entry.ts),
      level: it.parsed.level,
      message: it.parsed.message,
      traceId: it.parsed.traceId,
      mentions: findMentions(it.service, it.parsed.message, it.parsed.fields, knownServices),
    }));
  return { counts: { by_service, by_level }, groups: list, likely_origin: likelyOrigin(problems, window) ?? null };
}
