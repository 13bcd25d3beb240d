import type { LokiClient } from "../loki/client.ts";
import type { LogEntry } from "./entry.ts";
import type { ScanResult } from "./scan.ts";
import { type ScanManyOptions, scanMany } from "./scan-many.ts";

/**
 * Reads a mode's lines with its fast pushdown (Loki's level detection, one query), and reads again
 * with the precise legs (text filters) only when the fast read was flooded: it stopped at its cap and
 * most of what it read is dropped by the local check (`keep`), typically lines Loki could not give a
 * level. Either way the lines are a superset of what `keep` keeps; the precise read costs more passes
 * over Loki's chunks, so it is paid only when the fast one could not answer. The precise legs may be
 * given as a function, built only when needed (a mode's legs take milliseconds to render and check);
 * `onReread` is told before the range is read again (the pages `onPage` was given are not the answer's).
 */
export interface ReadLinesResult {
  result: ScanResult;
  queries: string[];
  pushdown: "fast" | "precise";
}

export async function readLines(
  loki: LokiClient,
  o: Omit<ScanManyOptions, "queries">,
  queries: { fast: string[]; precise?: string[] | (() => string[]) | undefined },
  keep: (entry: LogEntry) => boolean,
  onReread?: () => void,
): Promise<ReadLinesResult> {
  const result = await scanMany(loki, { ...o, queries: queries.fast });
  if (!queries.precise || !flooded(result, keep)) return { result, queries: queries.fast, pushdown: "fast" };
  const precise = typeof queries.precise === "function" ? queries.precise() : queries.precise;
  onReread?.();
  const again = await scanMany(loki, { ...o, queries: precise });
  return { result: again, queries: precise, pushdown: "precise" };
}

/** A read that stopped at its cap with fewer than half of its lines kept. */
export function flooded(result: ScanResult, keep: (entry: LogEntry) => boolean): boolean {
  if (!result.truncated || result.entries.length === 0) return false;
  let kept = 0;
  for (const e of result.entries) if (keep(e)) kept++;
  return kept * 2 < result.entries.length;
}
