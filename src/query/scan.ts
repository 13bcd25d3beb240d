import { createHash } from "node:crypto";
import type { Direction, LokiClient } from "../loki/client.ts";
import type { Nanos } from "../loki/time.ts";
import { entriesOf, entryKey, type LogEntry } from "./entry.ts";

/**
 * Reads a log query past Loki's per-query line limit by paging on time: each
 * page ends (or starts) at the last timestamp seen, lines at that boundary
 * timestamp are read again and de-duplicated, so lines sharing a timestamp are
 * neither skipped nor repeated. Stops at `maxLines` and says so.
 */
export interface ScanOptions {
  query: string;
  start: Nanos;
  end: Nanos;
  direction: Direction;
  /** Lines per Loki call (≤ Loki's max_entries_limit_per_query). */
  pageSize: number;
  /** Stop after this many lines (the scan cap). */
  maxLines: number;
  /** Resume point from a cursor: skip these entries at the boundary timestamp. */
  boundary?: Boundary | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Called with each page's new entries as it arrives, before the next page is asked for: a caller
   * that defers its work on them (setImmediate) does it while Loki reads the next page.
   */
  onPage?: ((entries: LogEntry[]) => void) | undefined;
}

/** The last timestamp returned and short hashes of the entries returned at it. */
export interface Boundary {
  ts: Nanos;
  seen: string[];
}

export interface ScanResult {
  entries: LogEntry[];
  /** True when lines remain in the range beyond what was read. */
  truncated: boolean;
  pages: number;
  /** The part of the range actually covered (the whole range unless truncated). */
  covered: { start: Nanos; end: Nanos };
  /** Where to resume (when truncated). */
  next?: Boundary;
}

export const shortHash = (key: string): string => createHash("sha1").update(key).digest("base64url").slice(0, 12);

export async function scan(loki: LokiClient, o: ScanOptions): Promise<ScanResult> {
  const backward = o.direction === "backward";
  let lo = o.start;
  let hi = o.end;
  const out: LogEntry[] = [];
  const startBoundary = o.boundary;
  let boundary: Boundary | undefined = o.boundary;
  if (boundary) {
    if (backward) hi = boundary.ts + 1n;
    else lo = boundary.ts;
  }
  let pages = 0;
  let truncated = false;
  while (lo < hi) {
    const limit = Math.min(o.pageSize, o.maxLines - out.length + (boundary?.seen.length ?? 0));
    const data = await loki.queryRange(
      { query: o.query, start: lo, end: hi, limit, direction: o.direction },
      { signal: o.signal },
    );
    pages++;
    if (data.resultType !== "streams") throw new Error("scan needs a log query, got a metric query");
    const page = entriesOf(data.result).sort((a, b) => (backward ? cmpDesc(a, b) : cmpDesc(b, a)));
    const seen = new Set(boundary?.seen ?? []);
    const fresh = page.filter((e) => !(boundary && e.ts === boundary.ts && seen.has(shortHash(entryKey(e)))));
    const room = o.maxLines - out.length;
    out.push(...fresh.slice(0, room));
    o.onPage?.(fresh.slice(0, room));
    if (fresh.length > room) {
      truncated = true;
      break;
    }
    if (page.length < limit) break; // Loki has nothing more in [lo, hi)
    const last = out.at(-1);
    if (!last) break;
    const atLast = seenAt(last.ts, out, boundary);
    if (boundary && boundary.ts === last.ts && atLast.length >= seen.size && fresh.length === 0) {
      // A whole page at one timestamp and nothing new (Loki cannot page within one timestamp): read that
      // timestamp alone with room past what was seen, then step past it.
      const rest = await unseenAt(loki, o, last.ts, new Set(atLast));
      pages++;
      const roomLeft = o.maxLines - out.length;
      out.push(...rest.slice(0, roomLeft));
      o.onPage?.(rest.slice(0, roomLeft));
      if (rest.length > roomLeft) {
        truncated = true;
        break;
      }
      if (backward) hi = last.ts;
      else lo = last.ts + 1n;
      boundary = undefined;
      continue;
    }
    boundary = { ts: last.ts, seen: atLast };
    if (backward) hi = last.ts + 1n;
    else lo = last.ts;
    if (out.length >= o.maxLines) {
      truncated = await hasMore(loki, o, lo, hi, boundary);
      break;
    }
  }
  const lastTs = out.at(-1)?.ts;
  const covered =
    truncated && lastTs !== undefined
      ? backward
        ? { start: lastTs, end: o.end }
        : { start: o.start, end: lastTs }
      : { start: o.start, end: o.end };
  return {
    entries: out,
    truncated,
    pages,
    covered,
    ...(truncated && lastTs !== undefined
      ? { next: { ts: lastTs, seen: seenAt(lastTs, out, boundary?.ts === lastTs ? boundary : startBoundary) } }
      : {}),
  };
}

/**
 * Hashes of every entry returned at `ts`: this answer's, plus those earlier
 * pages returned at the same timestamp (so a long run of equal timestamps
 * pages through without repeats).
 */
export function seenAt(ts: Nanos, out: LogEntry[], previous: Boundary | undefined): string[] {
  const hashes = new Set(previous && previous.ts === ts ? previous.seen : []);
  for (const e of out) if (e.ts === ts) hashes.add(shortHash(entryKey(e)));
  return [...hashes];
}

/** Most lines asked for at one timestamp (Loki's default max_entries_limit_per_query). */
const ONE_TIMESTAMP_LIMIT = 5_000;

/**
 * The lines at `ts` not among `seen` (short hashes), in scan order: one call with room for a page past
 * them. More than ONE_TIMESTAMP_LIMIT lines at one nanosecond are beyond what Loki returns at once.
 */
async function unseenAt(loki: LokiClient, o: ScanOptions, ts: Nanos, seen: Set<string>): Promise<LogEntry[]> {
  const data = await loki.queryRange(
    {
      query: o.query,
      start: ts,
      end: ts + 1n,
      limit: Math.min(ONE_TIMESTAMP_LIMIT, Math.max(o.pageSize, seen.size + o.pageSize)),
      direction: o.direction,
    },
    { signal: o.signal },
  );
  if (data.resultType !== "streams") return [];
  const backward = o.direction === "backward";
  return entriesOf(data.result)
    .filter((e) => !seen.has(shortHash(entryKey(e))))
    .sort((a, b) => (backward ? cmpDesc(a, b) : cmpDesc(b, a)));
}

/** One small look past the cap: is there any line we have not returned? */
async function hasMore(loki: LokiClient, o: ScanOptions, lo: Nanos, hi: Nanos, boundary: Boundary) {
  const data = await loki.queryRange(
    { query: o.query, start: lo, end: hi, limit: boundary.seen.length + 1, direction: o.direction },
    { signal: o.signal },
  );
  if (data.resultType !== "streams") return false;
  const seen = new Set(boundary.seen);
  return entriesOf(data.result).some((e) => !(e.ts === boundary.ts && seen.has(shortHash(entryKey(e)))));
}

/** The order a scan returns lines in: newest first for `backward`, oldest first otherwise. */
export function compareInOrder(a: LogEntry, b: LogEntry, backward: boolean): number {
  return backward ? cmpDesc(a, b) : cmpDesc(b, a);
}

function cmpDesc(a: LogEntry, b: LogEntry): number {
  if (a.ts !== b.ts) return a.ts > b.ts ? -1 : 1;
  const ka = entryKey(a);
  const kb = entryKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
