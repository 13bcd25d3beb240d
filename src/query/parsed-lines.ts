import { minedTextCache } from "../patterns/message.ts";
import type { LogEntry } from "./entry.ts";
import { type ParsedLine, parseLine } from "./lines.ts";
import { type AnalyzedEntry, type Library, type Summary, SummaryBuilder, summarize } from "./summarize.ts";

/** What a summary needs to know of the lines before reading them: the services that exist, a line's service. */
export interface SummaryInputs {
  knownServices: string[];
  serviceOf: (entry: LogEntry) => string;
  library?: Library | undefined;
  /** Feed the kept lines to a summary as pages arrive: only when the pages arrive in the answer's order. */
  inOrder: boolean;
}

type Window = { start: number; end: number };

/** Lines worked on per turn of the event loop. */
const CHUNK = 500;

/**
 * Parsed lines by entry, and (for a summary) the summary's per-line work done ahead. `parseSoon` takes a
 * page once the current task ends, so the pages already read are parsed (and, for a summary, the kept
 * lines mined, and fed to the summary when pages arrive in order) while Loki reads the next one;
 * `parsedOf` and `minedOf` take a line's, making it now if need be. `summaryOf` finishes the summary fed
 * ahead when it was fed exactly the lines given, else summarises them afresh: the answer is the same.
 */
export function parsedLines(
  keep: (entry: LogEntry, parsed: ParsedLine) => boolean,
  summary?: SummaryInputs,
  signal?: AbortSignal,
) {
  const parsed = new Map<LogEntry, ParsedLine>();
  const mined = new Map<LogEntry, string>();
  const minedTextOf = minedTextCache();
  let ahead = summary?.inOrder ? new SummaryBuilder(summary.knownServices, summary.library, true) : undefined;
  const pending: LogEntry[][] = [];
  let next = 0; // the next line of pending[0]

  const parsedOf = (entry: LogEntry): ParsedLine => {
    let p = parsed.get(entry);
    if (p === undefined) {
      p = parseLine(entry);
      parsed.set(entry, p);
    }
    return p;
  };
  const minedOf = (entry: LogEntry): string => {
    let m = mined.get(entry);
    if (m === undefined) {
      const p = parsedOf(entry);
      m = minedTextOf({ line: entry.line, message: p.message, fields: p.fields }).text;
      mined.set(entry, m);
    }
    return m;
  };
  /** Does the work of the lines read so far, in the order they arrived: at most `most` lines of it. */
  const drain = (most = Number.POSITIVE_INFINITY) => {
    let left = most;
    while (pending.length > 0 && left > 0) {
      const page = pending[0]!;
      const stop = Math.min(page.length, next + left);
      left -= stop - next;
      for (; next < stop; next++) {
        const entry = page[next]!;
        const p = parsedOf(entry);
        if (!summary || !keep(entry, p)) continue;
        const m = minedOf(entry);
        ahead?.add({ entry, parsed: p, service: summary.serviceOf(entry), mined: m });
      }
      if (next >= page.length) {
        pending.shift();
        next = 0;
      }
    }
  };
  /** A slice of the work at a time, so the next page's answer (and other requests) wait little. */
  const work = () => {
    if (signal?.aborted) return; // nobody waits for the answer any more
    try {
      drain(CHUNK);
    } catch {
      ahead = undefined; // done again in the request, where an error is answered
      return;
    }
    if (pending.length > 0) setImmediate(work);
  };
  const parseSoon = (entries: LogEntry[]) => {
    pending.push(entries);
    if (pending.length === 1) setImmediate(work);
  };
  /** The lines handed over so far are not the answer's (the range is read again): summarise afresh. */
  const restart = () => {
    ahead = undefined;
  };
  const summaryOf = (items: AnalyzedEntry[], window: Window): Summary => {
    if (ahead) drain();
    if (ahead && sameLines(ahead.items, items)) return ahead.finish(window);
    return summarize(items, summary?.knownServices ?? [], window, summary?.library);
  };
  return { parsedOf, minedOf, parseSoon, restart, summaryOf };
}

/** The same entries in the same order. */
function sameLines(a: readonly AnalyzedEntry[], b: readonly AnalyzedEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.entry !== y.entry || x.service !== y.service || x.parsed !== y.parsed) return false;
  }
  return true;
}
