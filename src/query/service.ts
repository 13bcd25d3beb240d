import type { Direction } from "../loki/client.ts";
import { isoFromNs, msFromNs, type Nanos, NS_PER_S } from "../loki/time.ts";
import { compactAnswer, conversationAnswer, linesAnswer, performanceAnswer, rangeOut } from "./answers.ts";
import { noneDropped } from "./budget.ts";
import { decodeCursor, queryFingerprint } from "./cursor.ts";
import { SERVICE_LABEL_CANDIDATES, type ServiceCatalog, shortServiceName } from "./discovery.ts";
import type { LogEntry } from "./entry.ts";
import { emptyHints, nextCalls } from "./hints.ts";
import { keepLine } from "./modes.ts";
import { parsedLines } from "./parsed-lines.ts";
import { latencyPercentiles } from "./performance.ts";
import { planLineRead } from "./plan.ts";
import { readLines } from "./read-lines.ts";
import { DEFAULT_QUERY_CONCURRENCY, slicesOf } from "./scan-many.ts";
import type { AnalyzedEntry } from "./summarize.ts";
import { budget, dropLast, summarySteps } from "./trim.ts";
import type { Format, QueryAnswer, QueryContext, QueryParams } from "./types.ts";

export async function runQuery(ctx: QueryContext, p: QueryParams): Promise<QueryAnswer> {
  const format: Format = p.format ?? (p.mode === undefined || p.mode === "raw" ? "lines" : "summary");
  // One query, or one per leg of the mode (disjoint); `logql` shows them (see shownLogql). The precise legs are
  // read instead when lines without a level flood the fast read (summaries only; built when needed).
  const plan = await planLineRead(ctx, p, {
    pushdown: "fast",
    maxBytes: ctx.settings.maxBytes,
    metricsInRaw: true,
    preciseLegs: format !== "lines",
  });
  const { range, catalog, matcher, hints, mode, queries, logql, bytesEstimated, precise } = plan;

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
  const readOptions = {
    concurrency: ctx.settings.concurrency ?? DEFAULT_QUERY_CONCURRENCY,
    start: range.start,
    end: range.end,
    direction,
    pageSize: ctx.settings.pageSize,
    maxLines: lineLimit,
    boundary,
    signal: ctx.signal,
  };
  const lines = parsedLines(
    (entry, parsed) => keepLine(mode, parsed, entry.line, p.level),
    grouped
      ? {
          knownServices: catalog.services.map((s) => s.name),
          serviceOf: (entry) => serviceOf(entry, catalog),
          library: ctx.patterns,
          // One query over one slice: its pages arrive in the answer's order.
          inOrder: queries.length === 1 && slicesOf(readOptions).length === 1,
        }
      : undefined,
    ctx.signal,
  );
  const read = await readLines(
    ctx.loki,
    { ...readOptions, onPage: parse ? lines.parseSoon : undefined },
    { fast: queries, precise: precise && (() => precise!().queries) },
    (entry) => keepLine(mode, lines.parsedOf(entry), entry.line, p.level),
    lines.restart,
  );
  const result = read.result;
  if (read.pushdown === "precise" && precise) {
    base.logql = precise().shown;
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
  const summary = lines.summaryOf(analyzed, window);
  Object.assign(answer, summary);
  answer.next_calls = nextCalls(mode, summary.likely_origin?.service, analyzed, p);
  return budget(answer, maxTokens, summarySteps(answer, summary.groups));
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

/** `make`'s value, made on the first call only. */
