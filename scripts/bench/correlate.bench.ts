// GET /correlate against the Loki queries it needs, measured in the same run on the same Loki.
// Request mode: one request spanning 24 services and ≥ 5,000 lines (scripts/datagen/wide.ts) among the demo's
// ≥ 100,000 lines of the hour; the anchor is the same LogQL sent straight to Loki — the id's first sighting
// (its two legs, forward, 100 lines each) and then the two legs over [first − 1m, first + 10m] paged forward
// by 5,000, JSON parsed — which is the least any client must do to get those lines. Window mode: the whole
// hour (≥ 100,000 lines carrying ids); the anchor is the window's three legs read the same way, concurrently.
// The ratio is /correlate's median latency over the anchor's (target ≤ 1.5×, as for troubleshoot).

import { requestQueries, windowQueries } from "../../src/correlate/queries.ts";
import { isoFromNs, type Nanos, NS_PER_MS } from "../../src/loki/time.ts";
import type { Generated } from "../datagen/generator.ts";
import { demoScenarios } from "../datagen/seed.ts";
import { wideRequest } from "../datagen/wide.ts";
import { median, startApiEnv, timeIt } from "./api-env.ts";
import type { BenchReport, Measurement } from "./types.ts";

export const name = "correlate";
const RUNS = Math.max(3, Number(process.env["BENCH_RUNS"]) || 5);
const SCALE = 1.1;
const LABEL = "service_name";

interface Answer {
  mode: string;
  graph: { nodes: Array<{ id: string; lines: number }>; edges: unknown[] };
  origin: { service: string } | null;
  hints: string[];
  tokens: number;
}

export async function run(log: (m: string) => void): Promise<BenchReport> {
  let wide: ReturnType<typeof wideRequest> | undefined;
  const env = await startApiEnv(
    log,
    {},
    {
      scenarios: (now) => {
        wide = wideRequest({ start: now - 30 * 60_000, services: 24, steps: 215 });
        const extra: Generated = { records: wide.records, requests: 1, failed: 1, incidents: [] };
        return [...demoScenarios(now, SCALE), extra];
      },
    },
  );
  try {
    const req = wide!;
    if (req.records.length < 5_000) throw new Error(`the wide request has ${req.records.length} lines; need ≥ 5,000`);
    const end: Nanos = BigInt(Date.now() + 1_000) * NS_PER_MS;
    const start: Nanos = end - 62n * 60_000n * NS_PER_MS;
    const range = { start: isoFromNs(start), end: isoFromNs(end) };

    const correlate = async (params: Record<string, string>) => {
      const url = `${env.base}/api/v1/ai_logs/correlate?${new URLSearchParams({ ...params, max_tokens: "200000" })}`;
      const t0 = performance.now();
      const res = await fetch(url);
      const body = (await res.json()) as Answer;
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`/correlate answered ${res.status}: ${JSON.stringify(body)}`);
      return { ms, body };
    };
    const direct = (query: string, from: Nanos, to: Nanos) => readForward(env.loki.url, query, from, to);

    // What each mode needs from Loki, sent straight to it.
    const [textLeg, metaLeg] = requestQueries(LABEL, req.id);
    const requestAnchor = async () => {
      const firsts = await Promise.all([textLeg!, metaLeg!].map((q) => direct(q, start, end).firstTs(100)));
      const first = firsts.filter((t): t is Nanos => t !== undefined).reduce((a, b) => (a < b ? a : b));
      const lo = first - 60_000n * NS_PER_MS;
      const hi = first + 600_000n * NS_PER_MS;
      const legs = await Promise.all([textLeg!, metaLeg!].map((q) => direct(q, lo, hi).all()));
      return legs.reduce((n, l) => n + l, 0);
    };
    const w = windowQueries(LABEL);
    const windowAnchor = async () => {
      const legs = await Promise.all([w.ids, w.metadata, w.problems].map((q) => direct(q, start, end).all()));
      return legs.reduce((n, l) => n + l, 0);
    };

    const first = await correlate({ trace_id: req.id, ...range });
    const nodes = first.body.graph.nodes;
    const requestLines = nodes.reduce((n, x) => n + x.lines, 0);
    log(`request: ${nodes.length} services, ${requestLines} lines, origin ${first.body.origin?.service}`);
    if (nodes.length < 20 || requestLines < 5_000)
      throw new Error("the request spans fewer than 20 services or 5,000 lines");
    const window = await correlate(range);
    const windowLines = Number(/^Read ([\d,]+) lines/.exec(window.body.hints[0] ?? "")?.[1]?.replaceAll(",", "") ?? 0);
    log(`window: ${windowLines} lines read, origin ${window.body.origin?.service}`);
    if (windowLines < 100_000) throw new Error(`the window read ${windowLines} lines; need ≥ 100,000`);
    const anchorLines = { request: await requestAnchor(), window: await windowAnchor() };

    const t = {
      request: [] as number[],
      requestAnchor: [] as number[],
      window: [] as number[],
      windowAnchor: [] as number[],
    };
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, the order alternating, so both sides see the same machine state.
      const pairs: Array<() => Promise<void>> = [
        async () => void t.request.push((await correlate({ trace_id: req.id, ...range })).ms),
        async () => void t.requestAnchor.push(await timeIt(requestAnchor)),
        async () => void t.window.push((await correlate(range)).ms),
        async () => void t.windowAnchor.push(await timeIt(windowAnchor)),
      ];
      const order = i % 2 === 0 ? [0, 1, 2, 3] : [1, 0, 3, 2];
      for (const k of order) await pairs[k]!();
    }
    const m = (label: string, ours: number[], anchor: number[]): Measurement => {
      const o = median(ours);
      const a = median(anchor);
      return { label, unit: "ms", ours: o, anchor: a, ratio: o / a, target: 1.5, better: "lower", digits: 1 };
    };
    return {
      name,
      description: `GET /correlate vs the Loki queries it needs (same LogQL, paged forward by 5,000, JSON parsed), on ${env.lines.toLocaleString("en-US")} lines of the last hour`,
      oursLabel: "/correlate",
      anchorLabel: "its Loki queries",
      measurements: [
        m(
          `request: ${nodes.length} services, ${requestLines.toLocaleString("en-US")} lines (ms)`,
          t.request,
          t.requestAnchor,
        ),
        m(`window: ${windowLines.toLocaleString("en-US")} lines (ms)`, t.window, t.windowAnchor),
      ],
      tables: [
        {
          title: "runs (ms)",
          columns: ["run", "request", "its queries", "window", "its queries"],
          rows: t.request.map((x, i) => [
            String(i + 1),
            x.toFixed(1),
            t.requestAnchor[i]!.toFixed(1),
            t.window[i]!.toFixed(1),
            t.windowAnchor[i]!.toFixed(1),
          ]),
        },
        {
          title: "answers",
          columns: ["mode", "services", "edges", "origin", "seeded origin", "tokens", "Loki lines (anchor)"],
          rows: [
            [
              "request",
              String(nodes.length),
              String(first.body.graph.edges.length),
              first.body.origin?.service ?? "none",
              req.origin,
              String(first.body.tokens),
              String(anchorLines.request),
            ],
            [
              "window",
              String(window.body.graph.nodes.length),
              String(window.body.graph.edges.length),
              window.body.origin?.service ?? "none",
              "—",
              String(window.body.tokens),
              String(anchorLines.window),
            ],
          ],
        },
      ],
      notes: [
        `request legs: ${textLeg}  +  ${metaLeg}`,
        `window legs: ${w.ids}  +  ${w.metadata}  +  ${w.problems}`,
        "the API instance is warm (its service catalog cached for a minute); /correlate has no answer cache",
      ],
      data: { t, anchorLines, requestLines, windowLines, lines: env.lines },
    };
  } finally {
    await env.stop();
  }
}

/** A query read forward from Loki in pages of 5,000 (exact at shared timestamps), as any client must. */
function readForward(lokiUrl: string, query: string, from: Nanos, to: Nanos) {
  const page = async (lo: Nanos, limit: number) => {
    const params = { query, start: String(lo), end: String(to), limit: String(limit), direction: "forward" };
    const res = await fetch(`${lokiUrl}/loki/api/v1/query_range?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { data: { result: Array<{ values: Array<[string, string]> }> } };
    return body.data.result.flatMap((s) => s.values.map(([ts, line]) => ({ ts: BigInt(ts), line })));
  };
  return {
    firstTs: async (limit: number) => {
      const lines = await page(from, limit);
      return lines.reduce<Nanos | undefined>((min, l) => (min === undefined || l.ts < min ? l.ts : min), undefined);
    },
    all: async () => {
      let lo = from;
      let n = 0;
      let seen = new Set<string>();
      for (;;) {
        const lines = (await page(lo, 5000)).sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
        const fresh = lines.filter((l) => !(l.ts === lo && seen.has(l.line)));
        n += fresh.length;
        if (lines.length < 5000) return n;
        const last = lines[lines.length - 1]!.ts;
        seen = new Set(lines.filter((l) => l.ts === last).map((l) => l.line));
        lo = last;
      }
    },
  };
}
