import { assertScoped, type Matcher, render, scopeRawQuery } from "../logql/index.ts";
import type { Direction } from "../loki/client.ts";
import { isoFromNs, msFromNs, type Nanos, NS_PER_S } from "../loki/time.ts";
import { compactAnswer, conversationAnswer, linesAnswer, performanceAnswer, rangeOut } from "./answers.ts";
import { noneDropped } from "./budget.ts";
import { decodeCursor, queryFingerprint } from "./cursor.ts";
import {
  catalogBytes,
  resolveServices,
  SERVICE_LABEL_CANDIDATES,
  type ServiceCatalog,
  shortServiceName,
} from "./discovery.ts";
import type { LogEntry } from "./entry.ts";
import { QueryError } from "./errors.ts";
import { readRangeOf, refuseCostly, refuseMatchAll, refuseMetricInMode, selectorsOf } from "./guardrail.ts";
import { emptyHints, nextCalls } from "./hints.ts";
import { type ParsedLine, parseLine } from "./lines.ts";
import { buildLogQueries, hasFastPushdown, keepLine, type Mode, type Pushdown, shownLogql } from "./modes.ts";
import { latencyPercentiles } from "./performance.ts";
import { readLines } from "./read-lines.ts";
import { DEFAULT_QUERY_CONCURRENCY } from "./scan-many.ts";
import { type AnalyzedEntry, minedTextOf, summarize } from "./summarize.ts";
import { resolveRange } from "./time.ts";
import { budget, dropLast, summarySteps } from "./trim.ts";
import type { Format, QueryAnswer, QueryContext, QueryParams } from "./types.ts";

export async function runQuery(ctx: QueryContext, p: QueryParams): Promise<QueryAnswer> {
  const now = ctx.now ?? Date.now();
  const range = resolveRange(p, now, ctx.settings.maxRangeMs);
  const catalog = await ctx.discovery.catalog(ctx.loki, range, ctx.signal);
  const format: Format = p.format ?? (p.mode === undefined || p.mode === "raw" ? "lines" : "summary");
  const { matcher, hints } = resolveServices(catalog, p.service);

  const mode = p.mode ?? (p.logql ? "raw" : undefined);
  // One query, or one per leg of the mode (disjoint); `logql` shows them (see shownLogql).
  let queries: string[];
  let shown: string | undefined;
  /** The precise legs to read instead when lines without a level flood the fast read (summaries only). */
  let precise: { queries: string[]; shown: string } | undefined;
  if (mode === "raw" || p.logql) {
    if (!p.logql) {
      throw new QueryError(
        "invalid",
        "missing-logql",
        "mode=raw needs logql",
        "mode=raw was given without logql",
        'Add logql={service_name="checkout"} |= "timeout" (URL-encoded), or choose another mode.',
      );
    }
    queries = [await scopedRaw(ctx, p.logql, matcher ? [matcher] : [])];
  } else {
    if (mode === "conversation" && !p.conversation_id && !p.workspace_id) {
      throw new QueryError(
        "invalid",
        "missing-id",
        "conversation mode needs an id",
        "mode=conversation was given without conversation_id or workspace_id",
        "Add conversation_id=<id> (one conversation) or workspace_id=<id> (a workspace's conversations).",
      );
    }
    const filters = {
      contains: p.contains,
      regex: p.regex,
      traceId: p.trace_id,
      conversationId: p.conversation_id,
      workspaceId: p.workspace_id,
    };
    const build = (m: Mode | undefined, pushdown?: Pushdown) =>
      buildLogQueries(matcher ? [matcher] : [], catalog.label, m, filters, pushdown).map((q) => render(q));
    const plain = build(undefined)[0]!;
    queries = build(mode);
    shown = shownLogql(mode, queries, plain);
    if (hasFastPushdown(mode) && format !== "lines") {
      const legs = build(mode, "precise");
      precise = { queries: legs, shown: shownLogql(mode, legs, plain) };
    }
  }
  const logql = shown ?? queries.join("\n");

  // A caller's LogQL, in any mode: no match-all selector, lines only outside raw, its range vectors and offsets counted.
  if (p.logql) {
    refuseMatchAll(logql);
    if (mode !== "raw") refuseMetricInMode(mode ?? "raw", logql);
  }
  const selectors = [...new Set(queries.flatMap(selectorsOf))];
  const bytesEstimated = await refuseCostly(
    ctx.loki,
    selectors,
    p.logql ? readRangeOf(logql, range, ctx.settings.maxRangeMs) : range,
    catalog.label,
    ctx.settings.maxBytes,
    ctx.signal,
    p.logql ? undefined : catalogBytes(catalog, selectors),
  );

  const direction: Direction = p.direction ?? "backward";
  const fingerprint = queryFingerprint([logql, direction, mode, format, p.level]);
  const base = {
    mode: mode ?? ("search" as const),
    format,
    logql,
    hints,
    dropped: noneDropped(),
  };

  // A metric query (raw mode): pass the series through compactly.
  if (mode === "raw" && isMetricQuery(logql)) {
    const data = await ctx.loki.queryRange(
      { query: logql, start: range.start, end: range.end, step: stepFor(range) },
      { signal: ctx.signal },
    );
    const series = data.resultType === "matrix" ? data.result.map((s) => ({ labels: s.metric, values: s.values })) : [];
    const answer: QueryAnswer = {
      ...base,
      range: rangeOut(range),
      stats: {
        lines_scanned: 0,
        lines_returned: 0,
        truncated: false,
        scan_cap: ctx.settings.scanCap,
        pages: 1,
        bytes_estimated: bytesEstimated,
      },
      series,
    };
    return budget(answer, p.max_tokens ?? ctx.settings.defaultMaxTokens, [
      () => dropLast(answer.series as unknown[], answer.dropped, "series"),
    ]);
  }

  const lineLimit = format === "lines" ? Math.min(p.limit ?? 100, ctx.settings.scanCap) : ctx.settings.scanCap;
  const boundary = p.cursor ? decodeCursor(p.cursor, fingerprint, ctx.settings.cursorKeys, range) : undefined;
  // A compact search keeps every line as it is: no need to parse what nobody reads.
  const parse = format !== "compact" || (mode !== undefined && mode !== "raw") || Boolean(p.level?.length);
  const grouped = format === "summary" && mode !== "conversation" && mode !== "performance";
  const lines = parsedLines((entry, parsed) => keepLine(mode, parsed, entry.line, p.level), grouped);
  const read = await readLines(
    ctx.loki,
    {
      concurrency: ctx.settings.concurrency ?? DEFAULT_QUERY_CONCURRENCY,
      start: range.start,
      end: range.end,
      direction,
      pageSize: ctx.settings.pageSize,
      maxLines: lineLimit,
      boundary,
      signal: ctx.signal,
      onPage: parse ? lines.parseSoon : undefined,
    },
    { fast: queries, precise: precise?.queries },
    (entry) => keepLine(mode, lines.parsedOf(entry), entry.line, p.level),
  );
  const result = read.result;
  if (read.pushdown === "precise" && precise) {
    base.logql = precise.shown;
    hints.push(
      "Most lines Loki read carried no level it could detect, so the range was read again with text filters: name a service or add contains= to make it faster.",
    );
  }
  const analyzed: AnalyzedEntry[] = [];
  for (const entry of result.entries) {
    const parsed = parse ? lines.parsedOf(entry) : { level: "unknown" as const, message: entry.line, fields: {} };
    if (!keepLine(mode, parsed, entry.line, p.level)) continue;
    analyzed.push({
      entry,
      parsed,
      service: serviceOf(entry, catalog),
      mined: grouped ? lines.minedOf(entry) : undefined,
    });
  }
  const stats = {
    lines_scanned: result.entries.length,
    lines_returned: analyzed.length,
    truncated: result.truncated,
    scan_cap: ctx.settings.scanCap,
    pages: result.pages,
    bytes_estimated: bytesEstimated,
  };
  if (result.truncated && format !== "lines") {
    hints.push(
      `Read the newest ${result.entries.length} lines (the scan cap) and stopped at ${isoFromNs(result.covered.start)}: narrow the range or add filters to see all of it.`,
    );
  }
  if (analyzed.length === 0) hints.push(...(await emptyHints(ctx, logql, range, matcher, catalog)));

  const answer: QueryAnswer = { ...base, range: rangeOut(result.covered), stats };
  const maxTokens = p.max_tokens ?? ctx.settings.defaultMaxTokens;

  if (format === "lines") {
    return linesAnswer(answer, analyzed, maxTokens, {
      fingerprint,
      cursorKeys: ctx.settings.cursorKeys,
      boundary,
      result,
      direction,
    });
  }
  if (format === "compact") return compactAnswer(answer, analyzed, maxTokens);
  if (mode === "performance") {
    const latency = await latencyPercentiles(ctx.loki, matcher ? [matcher] : [], catalog.label, range, ctx.signal);
    return performanceAnswer(answer, analyzed, latency, maxTokens);
  }
  if (mode === "conversation") return conversationAnswer(answer, analyzed, p, maxTokens);
  const window = { start: msFromNs(range.start), end: msFromNs(range.end) };
  const summary = summarize(
    analyzed,
    catalog.services.map((s) => s.name),
    window,
    ctx.patterns,
  );
  Object.assign(answer, summary);
  answer.next_calls = nextCalls(mode, summary.likely_origin?.service, analyzed, p);
  return budget(answer, maxTokens, summarySteps(answer, summary.groups));
}

async function scopedRaw(ctx: QueryContext, logql: string, required: Matcher[]): Promise<string> {
  const scoped = scopeRawQuery(logql, required);
  if (scoped.selectors === 0) {
    // e.g. `max without (app) (1)`: reads no logs, yet Loki 3.7 can spend seconds on it.
    throw new QueryError(
      "invalid",
      "logql-no-selector",
      "LogQL without a stream selector",
      "the raw query selects no streams, so it reads no logs",
      'Include a stream selector, e.g. sum(count_over_time({service_name="checkout"}[5m])).',
    );
  }
  // Loki's formatter is the authority on syntax and its parse is checked for scope, but the
  // text that runs is ours: Loki 3.7.8's formatter drops `or` alternatives of long line filters.
  const formatted = await ctx.loki.formatQuery(scoped.logql, { signal: ctx.signal });
  assertScoped(formatted, required);
  return scoped.logql;
}

/** Log queries start with a selector; anything else (sum(...), rate(...)) is a metric query. */
const isMetricQuery = (logql: string): boolean => !logql.trimStart().startsWith("{");

function stepFor(range: { start: Nanos; end: Nanos }): string {
  const seconds = Number((range.end - range.start) / NS_PER_S);
  return `${Math.max(1, Math.ceil(seconds / 200))}s`;
}

export function serviceOf(entry: LogEntry, catalog: ServiceCatalog): string {
  const v = entry.labels[catalog.label];
  if (v) return shortServiceName(v);
  for (const l of SERVICE_LABEL_CANDIDATES) {
    const w = entry.labels[l];
    if (w) return shortServiceName(w);
  }
  return "unknown";
}

/**
 * Parsed lines by entry. `parseSoon` works on a page once the current task ends, so the pages already read
 * are parsed (and, for a summary, the kept lines' mined text made) while Loki reads the next one;
 * `parsedOf` and `minedOf` take a line's, making it now if need be.
 */
function parsedLines(keep: (entry: LogEntry, parsed: ParsedLine) => boolean, summary: boolean) {
  const parsed = new Map<LogEntry, ParsedLine>();
  const mined = new Map<LogEntry, string>();
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
      m = minedTextOf(entry, parsedOf(entry));
      mined.set(entry, m);
    }
    return m;
  };
  const parseSoon = (entries: LogEntry[]) => {
    setImmediate(() => {
      for (const e of entries) if (keep(e, parsedOf(e)) && summary) minedOf(e);
    });
  };
  return { parsedOf, minedOf, parseSoon };
}
