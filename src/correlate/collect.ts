import type { LokiClient } from "../loki/client.ts";
import { isoFromNs, type Nanos, NS_PER_MS } from "../loki/time.ts";
import type { PatternLibrary } from "../patterns/library/index.ts";
import { catalogBytes, resolveServices, type ServiceCatalog, type ServiceDiscovery } from "../query/discovery.ts";
import { entriesOf, type LogEntry } from "../query/entry.ts";
import { refuseCostly, selectorsOf } from "../query/guardrail.ts";
import { parseLine } from "../query/lines.ts";
import { keepLine } from "../query/modes.ts";
import { forwardPages, mergeForward, type PageStats } from "../query/pages.ts";
import { formatMs, type RangeInput, type ResolvedRange, resolveRange } from "../query/time.ts";
import { enricher } from "./enrich.ts";
import { CorrelateError } from "./errors.ts";
import { carriesId, ID_METADATA, idOf, TRACEPARENT_METADATA } from "./ids.ts";
import { requestQueries, windowQueries } from "./queries.ts";
import type { CorrelatedLine } from "./types.ts";

/**
 * Collection: the lines /correlate hands the graph core, read from Loki in bounded work.
 *
 * Request mode: the id's first sighting within the caller's range (default the last hour; a forward read of the
 * id's legs, `queries.ts`), then every service over [first − before, first + after] (1 min and 10 min by
 * default), paged forward past Loki's line limit up to `requestMaxLines`, each line confirmed to carry the id as a
 * whole token or under an id key (`ids.ts`). Window mode: the range's id-bearing lines and its id-less problem
 * lines, oldest first, up to `windowMaxLines`, each with the id it carries.
 */

export interface CorrelateSettings {
  maxRangeMs: number;
  /** Cost guardrail: most bytes (index/volume estimate) the read may cover. */
  maxBytes: number;
  /** Most lines per Loki call. */
  pageSize: number;
  /** Most lines one request's read takes from Loki. */
  requestMaxLines: number;
  /** Most lines a window's read takes from Loki. */
  windowMaxLines: number;
  /** The request window around the id's first sighting. */
  beforeMs: number;
  afterMs: number;
}

export const CORRELATE_DEFAULTS = {
  requestMaxLines: 20_000,
  windowMaxLines: 120_000,
  beforeMs: 60_000,
  afterMs: 600_000,
} as const;

export interface CollectContext {
  loki: LokiClient;
  discovery: ServiceDiscovery;
  patterns?: Pick<PatternLibrary, "best" | "get"> | undefined;
  settings: CorrelateSettings;
  signal?: AbortSignal | undefined;
  now?: number | undefined;
}

export interface Collected {
  lines: CorrelatedLine[];
  knownServices: string[];
  /** The range looked in (request mode: for the first sighting). */
  searched: ResolvedRange;
  /** The range read (request mode: the window around the first sighting). */
  read: ResolvedRange;
  /** Lines Loki returned, lines kept, lines that held the id's text only inside a longer token. */
  stats: { returned: number; kept: number; rejected: number; calls: number; truncated: boolean };
  queries: string[];
  hints: string[];
}

export async function collectRequest(ctx: CollectContext, id: string, input: RangeInput): Promise<Collected> {
  const searched = resolveRange(input, ctx.now ?? Date.now(), ctx.settings.maxRangeMs);
  const catalog = await ctx.discovery.catalog(ctx.loki, searched, ctx.signal);
  const queries = requestQueries(catalog.label, id);
  await guard(ctx, catalog, queries, searched);
  const sighting = await firstSighting(ctx, queries, searched, id);
  if (sighting.first === undefined)
    throw notFound(id, searched, queries[0]!, sighting.rejected, ctx.settings.maxRangeMs);
  const { beforeMs, afterMs, requestMaxLines } = ctx.settings;
  const start = sighting.first - BigInt(beforeMs) * NS_PER_MS;
  const read = { start: start < 0n ? 0n : start, end: sighting.first + BigInt(afterMs) * NS_PER_MS };
  const out = enricher(catalog, ctx.patterns);
  const result = await readLegs(ctx, queries, read, requestMaxLines, (entry) => {
    const parsed = parseLine(entry);
    if (!carriesId(entry, parsed.fields, id)) return false;
    out.add(entry, parsed, id);
    return true;
  });
  const hints = [
    `Searched ${isoFromNs(searched.start)} to ${isoFromNs(searched.end)} for ${id}: first seen at ${isoFromNs(sighting.first)}; read every service from ${formatMs(beforeMs)} before to ${formatMs(afterMs)} after it.`,
  ];
  if (result.truncated) {
    hints.push(
      `The id's lines passed the cap of ${requestMaxLines.toLocaleString("en-US")} lines read; read up to ${isoFromNs(result.last ?? read.end)}: the rest of the request is not in this answer.`,
    );
  }
  if (result.rejected > 0) {
    hints.push(`${result.rejected} line(s) held ${id} only inside a longer id or word and were left out.`);
  }
  return {
    lines: out.finish(),
    knownServices: catalog.services.map((s) => s.name),
    searched,
    read,
    stats: { ...result, rejected: result.rejected + sighting.rejected },
    queries,
    hints,
  };
}

export async function collectWindow(ctx: CollectContext, input: RangeInput, services?: string[]): Promise<Collected> {
  const range = resolveRange(input, ctx.now ?? Date.now(), ctx.settings.maxRangeMs);
  const catalog = await ctx.discovery.catalog(ctx.loki, range, ctx.signal);
  const { matcher, hints } = resolveServices(catalog, services);
  const q = windowQueries(catalog.label, matcher);
  const queries = [q.ids, q.metadata, q.problems];
  await guard(ctx, catalog, queries, range);
  const out = enricher(catalog, ctx.patterns);
  const cap = ctx.settings.windowMaxLines;
  const result = await readLegs(ctx, queries, range, cap, (entry, leg) => {
    // A problem line with an id in structured metadata comes from the metadata leg too: kept from there.
    if (leg === 2 && hasMetadataId(entry)) return false;
    const parsed = parseLine(entry);
    const id = idOf(entry, parsed);
    // Lines without an id are kept when they are problems (troubleshoot's check): an origin may log no ids.
    if ((leg === 2 || id === undefined) && !keepLine("troubleshoot", parsed, entry.line)) return false;
    out.add(entry, parsed, id);
    return true;
  });
  hints.unshift(
    `Read ${result.kept.toLocaleString("en-US")} lines from ${isoFromNs(range.start)} to ${isoFromNs(result.truncated ? (result.last ?? range.end) : range.end)}: the lines of ${services?.length ? services.join(", ") : "every service"} that carry an id (trace_id, traceId, correlation_id, request_id, x-request-id, traceparent; in the text or structured metadata), and the problem lines without one.`,
  );
  if (result.truncated) {
    hints.push(
      `The window passed the cap of ${cap.toLocaleString("en-US")} lines read, so its end (${isoFromNs(result.last ?? range.end)} to ${isoFromNs(range.end)}) is not in this answer: shorten the range or name services (service=…).`,
    );
  }
  return {
    lines: out.finish(),
    knownServices: catalog.services.map((s) => s.name),
    searched: range,
    read: range,
    stats: result,
    queries,
    hints,
  };
}

const METADATA_ID_NAMES = [...ID_METADATA, TRACEPARENT_METADATA] as readonly string[];
const hasMetadataId = (entry: LogEntry) => METADATA_ID_NAMES.some((k) => Boolean(entry.metadata[k]));

/** The cost guardrail of /query: Loki's estimate of the bytes of the selected streams over the range. */
async function guard(ctx: CollectContext, catalog: ServiceCatalog, queries: string[], range: ResolvedRange) {
  const selectors = [...new Set(queries.flatMap(selectorsOf))];
  const known = catalogBytes(catalog, selectors);
  await refuseCostly(ctx.loki, selectors, range, catalog.label, ctx.settings.maxBytes, ctx.signal, known);
}

/** How many lines of each leg the first sighting reads (the oldest), to get past a longer id holding the text. */
const SIGHTING_LINES = 100;

/** The time of the oldest line in the range that carries the id (each leg read forward, its oldest lines). */
async function firstSighting(ctx: CollectContext, queries: string[], range: ResolvedRange, id: string) {
  let first: Nanos | undefined;
  let rejected = 0;
  await Promise.all(
    queries.map(async (query) => {
      const data = await ctx.loki.queryRange(
        { query, start: range.start, end: range.end, limit: SIGHTING_LINES, direction: "forward" },
        { signal: ctx.signal },
      );
      if (data.resultType !== "streams") return;
      const entries = entriesOf(data.result).sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
      const hit = entries.find((e) => carriesId(e, parseLine(e).fields, id));
      if (!hit) rejected += entries.length;
      else if (first === undefined || hit.ts < first) first = hit.ts;
    }),
  );
  return { first, rejected: first === undefined ? rejected : 0 };
}

interface ReadResult {
  returned: number;
  kept: number;
  rejected: number;
  calls: number;
  truncated: boolean;
  /** The newest line read. */
  last: Nanos | undefined;
}

/**
 * Reads the legs forward over the range as one timeline (pages of 5,000 past Loki's line limit, the next page
 * asked for while this one is used) until they end or `cap` lines were read. `take` keeps a line (true) or
 * rejects it (false); `leg` is the index of the query it came from.
 */
async function readLegs(
  ctx: CollectContext,
  queries: string[],
  range: ResolvedRange,
  cap: number,
  take: (entry: LogEntry, leg: number) => boolean,
): Promise<ReadResult> {
  const stats: PageStats = { calls: 0, unreadAtOneTimestamp: 0 };
  const legOf = new WeakMap<LogEntry, number>();
  const legs = queries.map((query, i) =>
    tagged(
      forwardPages(
        ctx.loki,
        { query, start: range.start, end: range.end, maxPage: ctx.settings.pageSize, signal: ctx.signal },
        stats,
      ),
      (e) => legOf.set(e, i),
    ),
  );
  const r: ReadResult = { returned: 0, kept: 0, rejected: 0, calls: 0, truncated: false, last: undefined };
  const merged = mergeForward(legs);
  try {
    for await (const page of merged) {
      for (const entry of page) {
        if (r.returned >= cap) {
          r.truncated = true;
          break;
        }
        r.returned++;
        r.last = entry.ts;
        if (take(entry, legOf.get(entry) ?? 0)) r.kept++;
        else r.rejected++;
      }
      if (r.truncated) break;
    }
  } finally {
    await merged.return(undefined);
  }
  r.calls = stats.calls;
  return r;
}

async function* tagged(pages: AsyncGenerator<LogEntry[]>, mark: (e: LogEntry) => void): AsyncGenerator<LogEntry[]> {
  try {
    for await (const page of pages) {
      for (const e of page) mark(e);
      yield page;
    }
  } finally {
    await pages.return(undefined);
  }
}

function notFound(id: string, searched: ResolvedRange, logql: string, rejected: number, maxRangeMs: number) {
  const span = Number((searched.end - searched.start) / NS_PER_MS);
  const longer = rejected > 0 ? ` (${rejected} line(s) held it only inside a longer id or word)` : "";
  return new CorrelateError(
    "not_found",
    "trace-not-found",
    "No line carries this id",
    `No line of any service carries ${id} between ${isoFromNs(searched.start)} and ${isoFromNs(searched.end)}${longer}; searched with ${logql} and the id fields of structured metadata.`,
    `Widen the search (it covered ${formatMs(span)}): since=${formatMs(Math.min(maxRangeMs, Math.max(span * 24, 86_400_000)))}, or start=…&end=… around when the request ran (at most ${formatMs(maxRangeMs)}). Check the id is whole (of a W3C traceparent, the trace id is the 2nd part).`,
  );
}
