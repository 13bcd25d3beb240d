import { asError } from "../errors.ts";
import type { LokiClient } from "../loki/client.ts";
import { type Nanos, NS_PER_S } from "../loki/time.ts";
import { entryKey, type LogEntry } from "./entry.ts";
import { type Boundary, compareInOrder, type ScanOptions, type ScanResult, scan, seenAt } from "./scan.ts";

/**
 * Reads the union of several disjoint log queries (the legs of a mode) over a range, the range cut
 * into time slices read concurrently, at most `concurrency` Loki calls at once. The answer is what
 * one `scan` of the union would give: the first `maxLines` lines in the scan's direction (newest
 * first for `backward`), `truncated`, `covered` and the resume boundary with the same meaning.
 *
 * Why it is exact: each slice × leg is a plain `scan` of a half-open part of the range; a slice's
 * lines are its legs' lines merged in order, the slices follow each other in order, and a part that
 * stopped at its cap returned every line before its last one. Slices that cannot contribute (the
 * slices before them already hold more than the cap) are not read, or are aborted when that becomes
 * known.
 */
export interface ScanManyOptions extends Omit<ScanOptions, "query"> {
  /** Disjoint log queries whose union is read. */
  queries: string[];
  /** Most Loki calls in flight at once (≥ 1). */
  concurrency: number;
  /** Narrowest slice (default MIN_SLICE_NS). */
  minSliceNs?: bigint | undefined;
}

/** Loki calls one answer makes at once when QUERY_CONCURRENCY is not set. */
export const DEFAULT_QUERY_CONCURRENCY = 4;

/**
 * Slices narrower than this are not cut further: Loki reads up to an hour in one querier (its default
 * `split_queries_by_interval`), and cutting that finer made a cold troubleshoot of the last hour slower
 * here (npm run bench -- troubleshoot: 1.35× the plain query at one slice, 1.5× at 2 or 4).
 */
export const MIN_SLICE_NS = 3_600n * NS_PER_S;

interface Slice {
  start: Nanos;
  end: Nanos;
  boundary?: Boundary | undefined;
}

interface Task {
  slice: number;
  query: string;
  controller: AbortController;
  result?: ScanResult;
}

export async function scanMany(loki: LokiClient, o: ScanManyOptions): Promise<ScanResult> {
  const slices = slicesOf(o);
  const [only] = o.queries;
  if (o.queries.length === 1 && only !== undefined && slices.length === 1) return scan(loki, { ...o, query: only });
  if (o.queries.length === 0) throw new Error("scanMany needs at least one query");
  const tasks: Task[] = slices.flatMap((_, slice) =>
    o.queries.map((query) => ({ slice, query, controller: new AbortController() })),
  );
  await runTasks(loki, o, slices, tasks);
  return merge(o, slices, tasks);
}

/** The slices of the range left to read, in reading order; the first one carries the resume boundary. */
export function slicesOf(
  o: Pick<ScanOptions, "start" | "end" | "direction" | "boundary" | "maxLines" | "pageSize"> & {
    concurrency: number;
    minSliceNs?: bigint | undefined;
  },
): Slice[] {
  const backward = o.direction === "backward";
  let lo = o.start;
  let hi = o.end;
  if (o.boundary) {
    if (backward) hi = o.boundary.ts + 1n < hi ? o.boundary.ts + 1n : hi;
    else lo = o.boundary.ts > lo ? o.boundary.ts : lo;
  }
  const width = hi - lo;
  // One page's worth of lines reads no faster in parts; nor does a short range.
  const wanted = o.maxLines > o.pageSize ? Math.max(1, Math.floor(o.concurrency)) : 1;
  const bySpan = width > 0n ? width / (o.minSliceNs ?? MIN_SLICE_NS) : 0n;
  const n = Math.max(1, Math.min(wanted, Number(bySpan > 1_000n ? 1_000n : bySpan)));
  const cuts = Array.from({ length: n + 1 }, (_, i) => lo + (width * BigInt(i)) / BigInt(n));
  const parts = Array.from({ length: n }, (_, i) => ({ start: cuts[i]!, end: cuts[i + 1]! }));
  if (backward) parts.reverse();
  return parts.map((p, i) => (i === 0 && o.boundary ? { ...p, boundary: o.boundary } : p));
}

async function runTasks(loki: LokiClient, o: ScanManyOptions, slices: Slice[], tasks: Task[]): Promise<void> {
  let next = 0;
  let lastNeeded = slices.length - 1;
  let failure: Error | undefined;
  const update = () => {
    lastNeeded = Math.min(lastNeeded, lastNeededSlice(o.maxLines, slices.length, tasks));
    for (const t of tasks) if (t.slice > lastNeeded) t.controller.abort();
  };
  const worker = async () => {
    while (next < tasks.length && !failure) {
      const t = tasks[next++]!;
      if (t.slice > lastNeeded) continue;
      const slice = slices[t.slice]!;
      const signal = o.signal ? AbortSignal.any([o.signal, t.controller.signal]) : t.controller.signal;
      try {
        t.result = await scan(loki, {
          ...o,
          query: t.query,
          start: slice.start,
          end: slice.end,
          boundary: slice.boundary,
          maxLines: roomFor(t.slice, o.maxLines, tasks),
          signal,
        });
      } catch (err) {
        if (t.controller.signal.aborted && !o.signal?.aborted && !failure) continue; // not needed after all
        failure ??= asError(err);
        for (const other of tasks) other.controller.abort();
        return;
      }
      update();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, tasks.length)) }, worker));
  if (failure) throw failure;
}

/** Lines a part of slice `k` may need to read: the cap, less what the finished slices before it hold. */
function roomFor(k: number, maxLines: number, tasks: Task[]): number {
  let before = 0;
  for (const t of tasks) {
    if (t.slice >= k) continue;
    if (!t.result) return maxLines;
    before += t.result.entries.length;
  }
  return Math.max(1, maxLines - before);
}

/** The last slice that can contribute: the first one whose finished prefix already overflows the cap. */
export function lastNeededSlice(
  maxLines: number,
  sliceCount: number,
  tasks: Array<Pick<Task, "slice" | "result">>,
): number {
  let total = 0;
  for (let k = 0; k < sliceCount; k++) {
    const parts = tasks.filter((t) => t.slice === k);
    if (parts.some((t) => !t.result)) return sliceCount - 1;
    total += parts.reduce((n, t) => n + t.result!.entries.length, 0);
    if (total > maxLines || parts.some((t) => t.result!.truncated)) return k;
  }
  return sliceCount - 1;
}

function merge(o: ScanManyOptions, slices: Slice[], tasks: Task[]): ScanResult {
  const backward = o.direction === "backward";
  const out: LogEntry[] = [];
  const keys = new Set<string>();
  let pages = 0;
  let truncated = false;
  for (let k = 0; k < slices.length; k++) {
    const parts = tasks.filter((t) => t.slice === k && t.result);
    const lines = parts.flatMap((t) => t.result!.entries).sort((a, b) => compareInOrder(a, b, backward));
    for (const e of lines) {
      const key = entryKey(e);
      if (keys.has(key)) continue;
      keys.add(key);
      out.push(e);
    }
    for (const t of parts) {
      pages += t.result!.pages;
      truncated ||= t.result!.truncated;
    }
    if (out.length > o.maxLines || truncated) break;
  }
  truncated ||= out.length > o.maxLines;
  const entries = out.slice(0, o.maxLines);
  const lastTs = entries.at(-1)?.ts;
  if (!truncated || lastTs === undefined) {
    return { entries, truncated: false, pages, covered: { start: o.start, end: o.end } };
  }
  return {
    entries,
    truncated,
    pages,
    covered: backward ? { start: lastTs, end: o.end } : { start: o.start, end: lastTs },
    next: { ts: lastTs, seen: seenAt(lastTs, entries, o.boundary) },
  };
}
