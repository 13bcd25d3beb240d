import type { PatternLibrary } from "../patterns/library/index.ts";
import { MINED_TEXT_MINER, minedTextCache } from "../patterns/message.ts";
import { createMiner } from "../patterns/miner/index.ts";
import type { ServiceCatalog } from "../query/discovery.ts";
import type { LogEntry } from "../query/entry.ts";
import { isProblemLevel, type ParsedLine } from "../query/lines.ts";
import { serviceOf } from "../query/service.ts";
import type { CorrelatedLine } from "./types.ts";

/**
 * Turns read lines into the core's CorrelatedLine: service from the catalog's label, fields (the line's own
 * win over structured metadata, which wins over stream labels), and for problem lines (warn and above) the
 * miner's template (a fresh miner per answer, final templates set at `finish`) and the pattern library's best
 * match (matched once per mined text). Info and debug lines get neither: only error templates reach the answer,
 * and a window of 120,000 lines would pay for nothing.
 */
export interface Enricher {
  add(entry: LogEntry, parsed: ParsedLine, id: string | undefined): CorrelatedLine;
  /** Sets every problem line's template to its cluster's final template; returns the lines in order. */
  finish(): CorrelatedLine[];
}

type Library = Pick<PatternLibrary, "best" | "get">;

export function enricher(catalog: ServiceCatalog, library: Library | undefined): Enricher {
  const miner = createMiner(MINED_TEXT_MINER);
  const textOf = minedTextCache();
  const patterns = new Map<string, CorrelatedLine["pattern"]>();
  const lines: CorrelatedLine[] = [];
  const clusters: Array<{ line: CorrelatedLine; cluster: number; text: string }> = [];

  const patternOf = (text: string, line: string): CorrelatedLine["pattern"] => {
    if (!library) return undefined;
    if (patterns.has(text)) return patterns.get(text);
    const best = library.best(line);
    const found = best && {
      id: best.id,
      title: best.title,
      severity: best.severity,
      remediation: library.get(best.id)?.remediation ?? "",
    };
    patterns.set(text, found);
    return found;
  };

  return {
    add(entry, parsed, id) {
      const out: CorrelatedLine = {
        ts: entry.ts,
        service: serviceOf(entry, catalog),
        level: parsed.level,
        message: parsed.message,
        line: entry.line,
        fields: { ...entry.labels, ...entry.metadata, ...parsed.fields },
        id,
      };
      if (isProblemLevel(parsed.level)) {
        const text = textOf({ line: entry.line, message: parsed.message, fields: parsed.fields }).text;
        clusters.push({ line: out, cluster: miner.train(text), text });
        out.pattern = patternOf(text, entry.line);
      }
      lines.push(out);
      return out;
    },
    finish() {
      const templates = new Map<number, string | undefined>();
      for (const c of clusters) {
        if (!templates.has(c.cluster)) templates.set(c.cluster, miner.templateOf(c.cluster));
        c.line.template = templates.get(c.cluster) ?? c.text;
      }
      return lines;
    },
  };
}
