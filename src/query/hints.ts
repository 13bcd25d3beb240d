import { type Matcher, render } from "../logql/index.ts";
import { isoFromNs, type Nanos, NS_PER_S } from "../loki/time.ts";
import type { ServiceCatalog } from "./discovery.ts";
import { entriesOf } from "./entry.ts";
import type { Mode } from "./modes.ts";
import type { AnalyzedEntry } from "./summarize.ts";
import type { QueryContext, QueryParams } from "./types.ts";

/** What an answer suggests: why it is empty, and the next calls worth making. */

export async function emptyHints(
  ctx: QueryContext,
  logql: string,
  range: { start: Nanos; end: Nanos },
  matcher: Matcher | undefined,
  catalog: ServiceCatalog,
): Promise<string[]> {
  const hints = ["Nothing matched in this range."];
  if (!matcher) return hints;
  // When did this selector last have a line? Look back up to 7 days before the range.
  const selector = render({ kind: "log", selector: { matchers: [matcher] } });
  const lookback = 7n * 86_400n * NS_PER_S;
  try {
    const data = await ctx.loki.queryRange(
      { query: selector, start: range.start - lookback, end: range.end, limit: 1, direction: "backward" },
      { signal: ctx.signal },
    );
    const last = data.resultType === "streams" ? entriesOf(data.result)[0] : undefined;
    if (last) {
      hints.push(
        last.ts >= range.start
          ? `${selector} has lines in the range, but none passed the filters of ${logql}: loosen them (mode, level, contains, regex).`
          : `${selector} last had a line at ${isoFromNs(last.ts)}: widen the range to include it (e.g. start=${isoFromNs(last.ts - 15n * 60n * NS_PER_S)}).`,
      );
    } else {
      hints.push(
        `${selector} has no line in the 7 days before this range either; services that exist: ${catalog.services
          .map((s) => s.name)
          .slice(0, 30)
          .join(", ")}.`,
      );
    }
  } catch {
    // The hint is best effort.
  }
  return hints;
}

export function nextCalls(
  mode: Mode | undefined,
  origin: string | undefined,
  analyzed: AnalyzedEntry[],
  p: QueryParams,
): string[] {
  const range = p.since
    ? `since=${p.since}`
    : [p.start && `start=${p.start}`, p.end && `end=${p.end}`].filter(Boolean).join("&") || "since=1h";
  const calls: string[] = [];
  if (origin) {
    calls.push(`GET /api/v1/ai_logs/query?mode=troubleshoot&service=${encodeURIComponent(origin)}&${range}`);
    const trace = analyzed.find((a) => a.service === origin && a.parsed.traceId)?.parsed.traceId;
    if (trace) calls.push(`GET /api/v1/ai_logs/query?trace_id=${encodeURIComponent(trace)}&${range}&format=lines`);
  }
  if (mode !== "performance")
    calls.push(
      `GET /api/v1/ai_logs/query?mode=performance&${range}${origin ? `&service=${encodeURIComponent(origin)}` : ""}`,
    );
  return calls;
}
