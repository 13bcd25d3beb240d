import type { Deps } from "../deps.ts";
import type { Logger } from "../log.ts";
import type { LokiClient } from "../loki/client.ts";
import { isoFromNs } from "../loki/time.ts";
import type { ServiceCatalog } from "../query/discovery.ts";
import type { LogEntry } from "../query/entry.ts";
import { selectorsOf } from "../query/guardrail.ts";
import { type ParsedLine, parseLine } from "../query/lines.ts";
import { keepLine } from "../query/modes.ts";
import { forwardPages, mergeForward, type PageStats } from "../query/pages.ts";
import { type LinePlan, planLineRead } from "../query/plan.ts";
import type { QueryContext } from "../query/types.ts";
import { createWriter } from "./formats/index.ts";
import { resolveColumns, toRow } from "./rows.ts";
import type { ExportParams } from "./schemas.ts";
import type { Column, ExportFailure, ExportRow } from "./types.ts";

/**
 * POST /export: the lines /query's parameters select, every one of them,
 * oldest first, streamed in the chosen format as they are read. Loki is read
 * forward in pages (exact at page boundaries, the next page fetched while
 * this one is written) only as fast as the client takes the bytes: the body
 * is a pull stream, so a slow client slows the reads and a client that leaves
 * cancels the Loki call in flight. Memory holds about one page per leg of the
 * mode, whatever the size of the export. A failure after the first byte ends
 * the output with an error record (each format has one), never a silent cut.
 */

export interface ExportSettings {
  /** Cost guardrail of an export (index/volume estimate of the bytes it reads). */
  maxBytes: number;
  /** Most lines per Loki call. */
  maxPage: number;
  /** Most lines one export may write (the caller's `limit` can only lower it). */
  maxLines: number;
}

export interface ExportContext extends QueryContext {
  exportSettings: ExportSettings;
  logger: Logger;
}

export interface StartedExport {
  plan: LinePlan;
  columns: Column[];
  contentType: string;
  filename: string;
  /** Loki's index/stats count of the entries in the selected streams over the range (before line filters): an upper bound. */
  estimatedLines: number | undefined;
  limit: number;
  body: ReadableStream<Uint8Array>;
}

/** The export context of a caller's tenant, from the process's deps (the route and `npm run export` alike). */
export function exportContext(
  deps: Pick<Deps, "loki" | "discovery" | "querySettings" | "config" | "logger">,
  tenant: string | undefined,
  signal?: AbortSignal,
): ExportContext {
  return {
    loki: deps.loki.withTenant(tenant),
    discovery: deps.discovery,
    settings: deps.querySettings,
    exportSettings: {
      maxBytes: deps.config.EXPORT_MAX_BYTES,
      maxPage: deps.config.QUERY_PAGE_SIZE,
      maxLines: deps.config.EXPORT_MAX_LINES,
    },
    logger: deps.logger,
    signal,
  };
}

export async function startExport(ctx: ExportContext, p: ExportParams): Promise<StartedExport> {
  const columns = resolveColumns(p.columns);
  const plan = await planLineRead(ctx, p, { pushdown: "fast", maxBytes: ctx.exportSettings.maxBytes, what: "export" });
  const indexed = await indexedLines(ctx.loki, plan, ctx.signal);
  const limit = Math.min(p.limit ?? ctx.exportSettings.maxLines, ctx.exportSettings.maxLines);
  const writer = createWriter(p.format, columns);
  const abort = new AbortController();
  const stats: PageStats = { calls: 0, unreadAtOneTimestamp: 0 };
  const legs = plan.queries.map((query) =>
    forwardPages(
      ctx.loki,
      {
        query,
        start: plan.range.start,
        end: plan.range.end,
        maxPage: ctx.exportSettings.maxPage,
        signal: abort.signal,
      },
      stats,
    ),
  );
  const batches = rowBatches(mergeForward(legs), plan.catalog, p, columns, limit);
  // The first page is read before answering: a Loki failure there is a plain error response, and its
  // mean line length turns the byte estimate into lines when Loki's index cannot count them (recent data).
  let first: IteratorResult<ExportRow[]>;
  try {
    first = await batches.next();
  } catch (err) {
    abort.abort();
    throw err;
  }
  const estimatedLines = estimate(indexed, plan.bytesEstimated, first.done ? [] : first.value);
  let rows = 0;
  let pending: IteratorResult<ExportRow[]> | undefined = first;
  const started = Date.now();
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        for (const chunk of writer.begin()) controller.enqueue(chunk);
      },
      async pull(controller) {
        try {
          // A stream does not pull again after a pull that enqueued nothing (a Parquet row group still filling):
          // read on until there are bytes to send, or the end.
          for (;;) {
            const next = pending ?? (await batches.next());
            pending = undefined;
            if (next.done) {
              for (const chunk of writer.end()) controller.enqueue(chunk);
              controller.close();
              ctx.logger.info("export done", { rows, calls: stats.calls, ms: Date.now() - started, format: p.format });
              return;
            }
            rows += next.value.length;
            const chunks = writer.write(next.value);
            for (const chunk of chunks) controller.enqueue(chunk);
            if (chunks.length > 0) return;
          }
        } catch (err) {
          if (abort.signal.aborted) return; // the client left: nobody reads an error record
          const failure: ExportFailure = { code: codeOf(err), message: messageOf(err), rows };
          ctx.logger.warn("export failed midway; ending it with an error record", { ...failure });
          for (const chunk of writer.end(failure)) controller.enqueue(chunk);
          controller.close();
        }
      },
      async cancel() {
        abort.abort(new Error("the client closed the export"));
        ctx.logger.info("export cancelled by the client", { rows, calls: stats.calls });
        await batches.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
  const stamp = isoFromNs(plan.range.start).replaceAll(":", "").slice(0, 15);
  return {
    plan,
    columns,
    contentType: writer.contentType,
    filename: `logsleuth-export-${stamp}.${writer.extension}${p.compression === "gzip" ? ".gz" : ""}`,
    estimatedLines,
    limit,
    body: p.compression === "gzip" ? body.pipeThrough(new CompressionStream("gzip")) : body,
  };
}

/** Kept lines as export rows, a page at a time, stopping at `limit`. */
async function* rowBatches(
  pages: AsyncGenerator<LogEntry[]>,
  catalog: ServiceCatalog,
  p: ExportParams,
  columns: readonly Column[],
  limit: number,
): AsyncGenerator<ExportRow[]> {
  const fields = columns.flatMap((c) => (c.kind === "field" ? [c.name] : []));
  // A line is parsed only when something reads what parsing finds: the mode, a level filter, or a column.
  const parse =
    p.mode !== undefined ||
    Boolean(p.level?.length) ||
    fields.length > 0 ||
    columns.some((c) => c.kind === "base" && (c.name === "level" || c.name === "message"));
  let left = limit;
  try {
    for await (const page of pages) {
      // Small batches: each is written and sent before the next is made, so little garbage lives long.
      for (let at = 0; at < page.length && left > 0; at += BATCH_ROWS) {
        const rows: ExportRow[] = [];
        for (const entry of page.slice(at, at + BATCH_ROWS)) {
          const parsed = parse ? parseLine(entry) : unparsed(entry.line);
          if (!keepLine(p.mode, parsed, entry.line, p.level)) continue;
          rows.push(toRow(entry, parsed, catalog, fields));
          if (--left === 0) break;
        }
        if (rows.length) yield rows;
      }
      if (left === 0) return;
    }
  } finally {
    await pages.return(undefined);
  }
}

const BATCH_ROWS = 1000;
const unparsed = (line: string): ParsedLine => ({ level: "unknown", message: line, fields: {} });

/** Loki's index count of entries in the selected streams (0 for data still in the ingesters), or undefined. */
async function indexedLines(loki: LokiClient, plan: LinePlan, signal?: AbortSignal): Promise<number | undefined> {
  try {
    const selectors = [...new Set(plan.queries.flatMap(selectorsOf))];
    const stats = await Promise.all(
      selectors.map((query) => loki.indexStats({ query, start: plan.range.start, end: plan.range.end }, { signal })),
    );
    return stats.reduce((n, s) => n + s.entries, 0);
  } catch {
    return undefined;
  }
}

/** Lines to expect (an upper bound: before line filters): the index count, else the byte estimate over the mean line. */
export function estimate(indexed: number | undefined, bytes: number, sample: readonly ExportRow[]): number | undefined {
  if (indexed !== undefined && indexed > 0) return indexed;
  if (sample.length === 0 || bytes <= 0) return indexed;
  const mean = sample.reduce((n, r) => n + Buffer.byteLength(r.line), 0) / sample.length;
  return Math.round(bytes / Math.max(1, mean));
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown; kind?: unknown })?.code ?? (err as { kind?: unknown })?.kind;
  return typeof code === "string" ? code : "export-failed";
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
