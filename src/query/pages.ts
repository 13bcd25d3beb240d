import type { LokiClient } from "../loki/client.ts";
import type { Nanos } from "../loki/time.ts";
import { entriesOf, entryKey, type LogEntry } from "./entry.ts";

/**
 * A log query read forward, oldest first, page by page, for as long as the
 * reader wants more (an export of millions of lines): memory holds one page
 * and the one being fetched. Exact at page boundaries: the next page starts
 * at the last timestamp of the previous one, and the lines already given at
 * that timestamp are skipped, so lines sharing a nanosecond are neither lost
 * nor repeated. A page is sized in bytes as well as lines: Loki carries a page
 * in one gRPC message (4 MB by default), and 5,000 lines of 4 KB never come
 * back — so a page aims at PAGE_BYTES by the mean line length seen, and a
 * failed call is retried at half the size. The next page is asked for as soon
 * as the current one arrives, so Loki reads while the caller writes.
 */

export interface PagesOptions {
  query: string;
  start: Nanos;
  /** Exclusive. */
  end: Nanos;
  /** Most lines per Loki call (Loki's max_entries_limit_per_query, 5,000 by default). */
  maxPage: number;
  signal?: AbortSignal | undefined;
}

/** Bytes a page aims at: half of the 4 MB gRPC message Loki carries a page in by default. */
export const PAGE_BYTES = 2_000_000;
const MIN_PAGE = 100;
const ATTEMPTS = 4;

/** Lines per call for lines of `meanLine` bytes: about PAGE_BYTES, within [min, cap]. */
export const linesPerPage = (meanLine: number, cap: number, min: number): number =>
  Math.max(min, Math.min(cap, Math.floor(PAGE_BYTES / Math.max(64, meanLine))));

export interface PageStats {
  calls: number;
  /** Lines at one nanosecond beyond what one call can return (Loki's line limit): not read. */
  unreadAtOneTimestamp: number;
}

export async function* forwardPages(
  loki: LokiClient,
  o: PagesOptions,
  stats: PageStats = { calls: 0, unreadAtOneTimestamp: 0 },
): AsyncGenerator<LogEntry[]> {
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  let meanLine = 256;
  let cap = o.maxPage;
  let lo = o.start;
  let seen = new Set<string>(); // keys of the lines given at `lo`
  const sizeOf = () => linesPerPage(meanLine, cap, MIN_PAGE);

  /** A page, and the limit it was read with (a retry reads with less). */
  const fetch = async (from: Nanos, to: Nanos, limit: number): Promise<{ page: LogEntry[]; limit: number }> => {
    for (let attempt = 1; ; attempt++) {
      try {
        stats.calls++;
        const data = await loki.queryRange(
          { query: o.query, start: from, end: to, limit, direction: "forward" },
          { signal },
        );
        if (data.resultType !== "streams") throw new Error("forwardPages needs a log query, got a metric query");
        return { page: entriesOf(data.result).sort(ascending), limit };
      } catch (err) {
        if (signal.aborted || attempt >= ATTEMPTS || limit <= MIN_PAGE) throw err;
        limit = Math.max(MIN_PAGE, Math.floor(limit / 2));
        cap = limit;
      }
    }
  };

  try {
    let next = lo < o.end ? fetch(lo, o.end, sizeOf()) : undefined;
    while (next) {
      const got = await next;
      next = undefined;
      let page = got.page;
      const full = page.length >= got.limit;
      for (const e of page) meanLine += (e.line.length - meanLine) / 200;
      const fresh = page.filter((e) => !(e.ts === lo && seen.has(entryKey(e))));
      if (full) {
        const last = page[page.length - 1]!.ts;
        if (last === lo) {
          // The whole page sits at one timestamp: read that nanosecond alone, as much as Loki gives.
          page = (await fetch(lo, lo + 1n, o.maxPage)).page;
          const rest = page.filter((e) => !seen.has(entryKey(e)));
          if (page.length >= o.maxPage) stats.unreadAtOneTimestamp++;
          fresh.splice(0, fresh.length, ...rest);
          lo = lo + 1n;
          seen = new Set();
        } else {
          const atLast = page.filter((e) => e.ts === last).map(entryKey);
          seen = last === lo ? new Set([...seen, ...atLast]) : new Set(atLast);
          lo = last;
        }
        if (lo < o.end) next = fetch(lo, o.end, sizeOf()); // Loki reads the next page while this one is used
        next?.catch(() => {}); // awaited at the next turn
      }
      if (fresh.length) yield fresh;
    }
  } finally {
    stop.abort(); // the reader left early: the call in flight is cancelled
  }
}

function ascending(a: LogEntry, b: LogEntry): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  return a.line < b.line ? -1 : a.line > b.line ? 1 : 0;
}

/**
 * Pages of several disjoint queries (a mode's legs) as one timeline: lines are given in time order
 * once every leg has read past them. Holds one page per leg.
 */
export async function* mergeForward(legs: Array<AsyncGenerator<LogEntry[]>>): AsyncGenerator<LogEntry[]> {
  if (legs.length === 1) {
    yield* legs[0]!;
    return;
  }
  const buffers: LogEntry[][] = legs.map(() => []);
  const done = legs.map(() => false);
  try {
    for (;;) {
      // Refill every leg whose buffer ran dry (and is not done).
      await Promise.all(
        legs.map(async (leg, i) => {
          while (!done[i] && buffers[i]!.length === 0) {
            const r = await leg.next();
            if (r.done) done[i] = true;
            else buffers[i] = r.value;
          }
        }),
      );
      if (buffers.every((b) => b.length === 0)) return;
      // Safe to emit up to the smallest last timestamp among legs that may still bring more.
      let horizon: Nanos | undefined;
      buffers.forEach((b, i) => {
        if (done[i] || b.length === 0) return;
        const last = b[b.length - 1]!.ts;
        if (horizon === undefined || last < horizon) horizon = last;
      });
      const out: LogEntry[] = [];
      for (let i = 0; i < buffers.length; i++) {
        const b = buffers[i]!;
        const cut = horizon === undefined ? b.length : upperBound(b, horizon);
        out.push(...b.slice(0, cut));
        buffers[i] = b.slice(cut);
      }
      out.sort(ascending);
      if (out.length) yield out;
    }
  } finally {
    await Promise.allSettled(legs.map((l) => l.return(undefined)));
  }
}

/** Index of the first entry with ts > t (entries ascending). */
function upperBound(entries: LogEntry[], t: Nanos): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid]!.ts <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
