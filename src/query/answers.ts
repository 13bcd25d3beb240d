import { type ConversationSummary, summarizeConversations } from "../ai/conversation.ts";
import type { Direction } from "../loki/client.ts";
import { isoFromNs, type Nanos } from "../loki/time.ts";
import { tokensOf } from "./budget.ts";
import { type CursorKeys, encodeCursor } from "./cursor.ts";
import { streamKey } from "./entry.ts";
import { clipExample, LINE_MAX_CHARS } from "./lines.ts";
import { type LatencyRow, slowest } from "./performance.ts";
import { type Boundary, type ScanResult, seenAt } from "./scan.ts";
import { type AnalyzedEntry, summarize } from "./summarize.ts";
import { budget, dropLast, fitList } from "./trim.ts";
import type { QueryAnswer, QueryParams } from "./types.ts";

/**
 * The answer shapes of /query that are not a template summary: one page of lines, lines by stream,
 * latency (performance) and conversations. Each fills the skeleton `answer` from the analyzed lines and
 * fits it into `maxTokens`.
 */

export const rangeOut = (r: { start: Nanos; end: Nanos }) => ({ start: isoFromNs(r.start), end: isoFromNs(r.end) });

export interface PageContext {
  fingerprint: string;
  cursorKeys: CursorKeys;
  boundary: Boundary | undefined;
  result: ScanResult;
  direction: Direction;
}

/** format=lines: one entry per line; over budget the page ends early and next_cursor continues right after it. */
export function linesAnswer(answer: QueryAnswer, analyzed: AnalyzedEntry[], maxTokens: number, page: PageContext) {
  const { fingerprint, cursorKeys, boundary, result, direction } = page;
  const all = analyzed.map((a) => ({
    ts: isoFromNs(a.entry.ts),
    ts_ns: String(a.entry.ts),
    service: a.service,
    level: a.parsed.level,
    line: clipExample(a.entry.line, LINE_MAX_CHARS),
    ...(Object.keys(a.entry.metadata).length ? { metadata: a.entry.metadata } : {}),
  }));
  const finish = (k: number) => {
    answer.lines = all.slice(0, k);
    answer.dropped.lines = all.length - k;
    answer.dropped.notes =
      k < all.length
        ? [`lines: the page was cut after ${k} of ${all.length} lines to fit max_tokens; continue with next_cursor`]
        : [];
    const last = analyzed[k - 1];
    delete answer.next_cursor;
    if (k < all.length && last) {
      const seen = seenAt(
        last.entry.ts,
        analyzed.slice(0, k).map((a) => a.entry),
        boundary,
      );
      answer.next_cursor = encodeCursor(fingerprint, { ts: last.entry.ts, seen }, cursorKeys);
    } else if (result.next) {
      answer.next_cursor = encodeCursor(fingerprint, result.next, cursorKeys);
    }
    if (answer.next_cursor && last) {
      answer.range = rangeOut(
        direction === "backward"
          ? { start: last.entry.ts, end: result.covered.end }
          : { start: result.covered.start, end: last.entry.ts },
      );
    }
  };
  return fitList(answer, all.length, maxTokens, finish, (i) => tokensOf(all[i]) + 1);
}

/** format=compact: labels once per stream; over budget the oldest lines go first. */
export function compactAnswer(answer: QueryAnswer, analyzed: AnalyzedEntry[], maxTokens: number) {
  const order = analyzed.map((_, i) => i).sort((x, y) => (analyzed[x]!.entry.ts > analyzed[y]!.entry.ts ? -1 : 1));
  const finish = (k: number) => {
    const keep = new Set(order.slice(0, k));
    const streams = new Map<string, { labels: Record<string, string>; lines: Array<[string, string]> }>();
    analyzed.forEach((a, i) => {
      if (!keep.has(i)) return;
      const key = streamKey(a.entry.labels);
      const st = streams.get(key) ?? { labels: a.entry.labels, lines: [] };
      st.lines.push([isoFromNs(a.entry.ts), a.entry.line]);
      streams.set(key, st);
    });
    answer.streams = [...streams.values()];
    answer.dropped.lines = analyzed.length - k;
    answer.dropped.notes =
      k < analyzed.length ? [`lines: the ${analyzed.length - k} oldest lines, to fit max_tokens`] : [];
  };
  return fitList(answer, analyzed.length, maxTokens, finish, (i) => {
    const a = analyzed[order[i]!]!;
    return tokensOf([isoFromNs(a.entry.ts), a.entry.line]) + 1;
  });
}

/** mode=performance: counts, latency percentiles per service (from Loki), the slowest requests. */
export function performanceAnswer(
  answer: QueryAnswer,
  analyzed: AnalyzedEntry[],
  latency: LatencyRow[],
  maxTokens: number,
) {
  answer.counts = summarize(analyzed, [], { start: 0, end: 0 }).counts;
  answer.latency = latency;
  const slow = slowest(analyzed);
  answer.slowest = slow;
  if (latency.length === 0) {
    answer.hints.push("No duration field (duration_ms, latency, elapsed, took, …) was found in these services' lines.");
  }
  answer.next_calls = slow[0]?.trace_id
    ? [
        `GET /api/v1/ai_logs/query?trace_id=${encodeURIComponent(slow[0].trace_id)}&format=lines&start=${encodeURIComponent(slow[0].ts)}`,
      ]
    : [];
  return budget(answer, maxTokens, [() => dropLast(slow, answer.dropped, "slowest requests")]);
}

/** mode=conversation: one conversation's turns, or a workspace's conversations with totals. */
export function conversationAnswer(answer: QueryAnswer, analyzed: AnalyzedEntry[], p: QueryParams, maxTokens: number) {
  const conversations = summarizeConversations(
    analyzed.map((a) => ({
      ts: isoFromNs(a.entry.ts),
      level: a.parsed.level,
      message: a.parsed.message,
      fields: { ...a.entry.metadata, ...a.parsed.fields },
    })),
  ).filter((c) => !p.conversation_id || c.conversation_id === p.conversation_id);
  const items = conversations.map(({ turns, ...rest }) => rest);
  answer.conversation = p.conversation_id
    ? (conversations[0] ?? { conversation_id: p.conversation_id, turns: [] })
    : { workspace_id: p.workspace_id, conversations: conversations.length, totals: totalsOf(conversations), items };
  const turns = conversations[0]?.turns ?? [];
  return budget(answer, maxTokens, [
    () =>
      p.conversation_id
        ? dropLast(turns, answer.dropped, "oldest turns")
        : dropLast(items, answer.dropped, "conversations"),
  ]);
}

function totalsOf(list: ConversationSummary[]) {
  const t = { turns: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0, errors: 0 };
  for (const c of list) {
    t.turns += c.totals.turns;
    t.prompt_tokens += c.totals.prompt_tokens;
    t.completion_tokens += c.totals.completion_tokens;
    t.cost_usd = Math.round((t.cost_usd + c.totals.cost_usd) * 1e6) / 1e6;
    t.errors += c.totals.errors;
  }
  return t;
}
