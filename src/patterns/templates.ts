import { isoFromNs, msFromNs, type Nanos } from "../loki/time.ts";
import { clipExample } from "../query/lines.ts";
import { PLACEHOLDER, type TemplateMiner } from "./miner/index.ts";

/**
 * Per-template statistics of one service's lines over a range (a pure core):
 * count, a time series of counts, first/last seen, example lines and the
 * most frequent values of each `<*>`.
 */

export interface TemplateLine {
  ts: Nanos;
  /** The raw line (for examples). */
  line: string;
  /** The text the miner reads (`minedText` in message.ts: the message, its fields as `key=<*>`). */
  message: string;
  /** The values `key=<*>` stands for in `message`, in order; parameter samples show them. */
  values?: readonly string[] | undefined;
}

/** Fixed-width buckets over the range: bucket i covers [startMs + i·stepMs, startMs + (i+1)·stepMs). */
export interface Buckets {
  startMs: number;
  stepMs: number;
  count: number;
}

export interface ParamSample {
  /** Which `<*>` of the template, from 0. */
  position: number;
  /** Distinct values seen (counting stops at MAX_DISTINCT). */
  distinct: number;
  /** The most frequent values, with how many lines had them (one example when every value differs). */
  top: Array<{ value: string; count: number }>;
}

export interface TemplateStats {
  template: string;
  count: number;
  /** Counts per bucket (see Buckets). */
  series: number[];
  first_seen: string;
  last_seen: string;
  examples: string[];
  params: ParamSample[];
}

export interface TemplateOptions {
  /** Examples per template (default 3). */
  examples?: number;
  /** Values listed per parameter (default 3). */
  topValues?: number;
}

export const MAX_DISTINCT = 1_000;
const MAX_VALUE_CHARS = 120;

/**
 * The buckets for a range and step, aligned to multiples of the step (as
 * Loki aligns its pattern samples), so both series line up bucket for bucket.
 */
export function bucketsFor(range: { start: Nanos; end: Nanos }, stepMs: number): Buckets {
  const startMs = Math.floor(msFromNs(range.start) / stepMs) * stepMs;
  const spanMs = Math.max(1, msFromNs(range.end) - startMs);
  return { startMs, stepMs, count: Math.max(1, Math.ceil(spanMs / stepMs)) };
}

/** The bucket a time (ms) falls in, clamped to the range. */
export function bucketOf(b: Buckets, ms: number): number {
  return Math.min(b.count - 1, Math.max(0, Math.floor((ms - b.startMs) / b.stepMs)));
}

interface Acc {
  count: number;
  series: number[];
  first: Nanos;
  last: Nanos;
  /** Newest lines first. */
  examples: Array<{ ts: Nanos; line: string }>;
  values: Array<Map<string, number>>;
}

/**
 * Groups lines by their template in `scratch` (a miner that may already know
 * templates from earlier lines; it learns these lines too, so pass a copy to
 * keep the original untouched). Two passes: the first lets templates settle,
 * the second reads each line's parameters against its settled template.
 */
export function templateStats(
  scratch: TemplateMiner,
  lines: readonly TemplateLine[],
  buckets: Buckets,
  options: TemplateOptions = {},
): TemplateStats[] {
  const exampleCount = options.examples ?? 3;
  const topValues = options.topValues ?? 3;
  for (const l of lines) scratch.train(l.message);
  const mined = lines.map((l) => scratch.add(l.message));
  const groups = new Map<string, Acc>();
  lines.forEach((l, i) => {
    const r = mined[i]!;
    const template = scratch.templateOf(r.clusterId) ?? r.template;
    let g = groups.get(template);
    if (!g) {
      g = { count: 0, series: new Array(buckets.count).fill(0), first: l.ts, last: l.ts, examples: [], values: [] };
      groups.set(template, g);
    }
    g.count++;
    g.series[bucketOf(buckets, msFromNs(l.ts))]!++;
    if (l.ts < g.first) g.first = l.ts;
    if (l.ts > g.last) g.last = l.ts;
    addExample(g.examples, l, exampleCount);
    // Parameters read against a template that changed later no longer line up: skip them.
    if (r.template === template) {
      withValues(r.params, l.values).forEach((value, at) => {
        const counts = g.values[at] ?? new Map<string, number>();
        g.values[at] = counts;
        const v = value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS - 1)}…` : value;
        const n = counts.get(v);
        if (n !== undefined) counts.set(v, n + 1);
        else if (counts.size < MAX_DISTINCT) counts.set(v, 1);
      });
    }
  });
  return [...groups.entries()]
    .sort(([, a], [, b]) => b.count - a.count || (a.first < b.first ? -1 : a.first > b.first ? 1 : 0))
    .map(([template, g]) => ({
      template,
      count: g.count,
      series: g.series,
      first_seen: isoFromNs(g.first),
      last_seen: isoFromNs(g.last),
      examples: g.examples.map((e) => clipExample(e.line)),
      params: paramSamples(template, g.values, topValues),
    }));
}

/**
 * The parameters with each `<*>` the line's text held put back to the value it stands for (in order), so samples
 * show `42`, not `<*>`; unchanged when the counts differ (a line that held `<*>` itself).
 */
export function withValues(params: string[], values: readonly string[] | undefined): string[] {
  if (values === undefined || values.length === 0) return params;
  let holes = 0;
  for (const p of params) holes += p.split(PLACEHOLDER).length - 1;
  if (holes !== values.length) return params;
  let k = 0;
  return params.map((p) =>
    p.includes(PLACEHOLDER) ? p.split(PLACEHOLDER).reduce((acc, piece) => acc + values[k++] + piece) : p,
  );
}

/** Keeps the newest distinct lines, newest first. */
function addExample(examples: Array<{ ts: Nanos; line: string }>, l: TemplateLine, max: number) {
  if (max <= 0 || examples.some((e) => e.line === l.line)) return;
  if (examples.length >= max && l.ts <= examples.at(-1)!.ts) return;
  examples.push({ ts: l.ts, line: l.line });
  examples.sort((a, b) => (a.ts > b.ts ? -1 : a.ts < b.ts ? 1 : 0));
  if (examples.length > max) examples.pop();
}

function paramSamples(template: string, values: Array<Map<string, number>>, top: number): ParamSample[] {
  const holes = template.split(PLACEHOLDER).length - 1;
  const out: ParamSample[] = [];
  values.forEach((counts, position) => {
    if (position >= holes || counts.size === 0) return;
    const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    // Every value different (an id, a timestamp): one example says as much as three.
    const keep = sorted.length > 1 && sorted[0]![1] === 1 ? 1 : top;
    out.push({
      position,
      distinct: counts.size,
      top: sorted.slice(0, keep).map(([value, count]) => ({ value, count })),
    });
  });
  return out;
}
