// GET /query?mode=troubleshoot, cold (a fresh API instance per run, Cache-Control: no-cache), on the
// demo's last hour scaled to ≥ 100,000 lines, against the fastest plain Loki query that returns the
// same problem lines (paged by 5,000 as any client must), measured in the same run: median latency
// ratio (target ≤ 1.5). And the answer's groups and likely origin against the pushdown used before
// issue 10 (one case-insensitive regex), computed in the same run from the same Loki.

import { msFromNs, type Nanos, NS_PER_MS } from "../../src/loki/time.ts";
import { ServiceDiscovery } from "../../src/query/discovery.ts";
import { parseLine } from "../../src/query/lines.ts";
import { keepLine } from "../../src/query/modes.ts";
import { scan } from "../../src/query/scan.ts";
import { serviceOf } from "../../src/query/service.ts";
import { type AnalyzedEntry, type Group, summarize } from "../../src/query/summarize.ts";
import { demoScenarios } from "../datagen/seed.ts";
import { median, startApiEnv, timeIt } from "./api-env.ts";
import type { BenchReport } from "./types.ts";

export const name = "troubleshoot";
const RUNS = Math.max(3, Number(process.env["BENCH_RUNS"]) || 5);
const SCALE = 1.1; // the demo's rates × 1.1: about 107,000 lines in the hour

/** The troubleshoot pushdown before issue 10: one `(?i)` regex with classes and anchors. */
const OLD_ERROR = 'err|eror|fatal|crit|panic|exception|fail|traceback|stack ?trace|emerg|alert|"level":\\s*[56][0-9]';
const OLD_TROUBLE = `(?i)(${OLD_ERROR}|"level":\\s*4[0-9]|warn|timeout|timed out|deadline|refused|unavailable|unreachable|exhausted|denied|expired|reset by peer|too many|rejected|cannot|could not|unable|(status|code)["=: ]+5[0-9][0-9]|(^|[ /(])5[0-9][0-9]([ ,;)]|$))`;

const SEL = '{service_name=~".+"}';
/** Plain queries a person would send Loki for the problem lines; the fastest that returns the same lines is the anchor. */
const CANDIDATES = [
  `${SEL} | detected_level=~"error|warn|fatal|critical"`,
  `${SEL} |= "ERROR" or "WARN" or "level=error" or "level=warn" or "\\"level\\":\\"error\\"" or "\\"level\\":\\"warn\\""`,
  `${SEL} |~ "(?i)error|warn|fatal"`,
];

type Line = { ts: bigint; line: string };
/** What this bench reads of a /query answer. */
interface Answer {
  stats: { lines_returned: number };
  groups: Group[];
  likely_origin?: { service?: string } | null;
  logql: string;
  dropped: { groups: number };
  lines?: Array<{ ts_ns: string; line: string }>;
  next_cursor?: string;
}
const keyOf = (l: Line) => `${l.ts}\u0000${l.line}`;

export async function run(log: (m: string) => void): Promise<BenchReport> {
  const concurrency = process.env["QUERY_CONCURRENCY"];
  const env = await startApiEnv(log, concurrency ? { QUERY_CONCURRENCY: concurrency } : {}, {
    scenarios: (now) => demoScenarios(now, SCALE),
  });
  try {
    const end: Nanos = BigInt(Date.now() + 1_000) * NS_PER_MS;
    const start: Nanos = end - 62n * 60_000n * NS_PER_MS;
    if (env.lines < 100_000) throw new Error(`seeded only ${env.lines} lines; need ≥ 100,000 in the hour`);
    const range = { start: String(start), end: String(end) };

    // Ours, cold: a new API instance (nothing cached, no catalog) per run, cache bypassed.
    const troubleshoot = async (extra: Record<string, string> = {}) => {
      const api = await env.freshApi();
      try {
        const url = `${api.base}/api/v1/ai_logs/query?${new URLSearchParams({ mode: "troubleshoot", ...range, ...extra })}`;
        const t0 = performance.now();
        const res = await fetch(url, { headers: { "Cache-Control": "no-cache" } });
        const body = (await res.json()) as Answer;
        const ms = performance.now() - t0;
        if (res.status !== 200) throw new Error(`/query answered ${res.status}: ${JSON.stringify(body)}`);
        return { ms, body };
      } finally {
        await api.stop();
      }
    };
    // A plain Loki query, paged backwards by 5,000 lines, JSON parsed: what any client must do.
    const direct = async (query: string): Promise<Line[]> => {
      let hi = end;
      const out: Line[] = [];
      const seen = new Set<string>();
      for (;;) {
        const params = { query, start: String(start), end: String(hi), limit: "5000", direction: "backward" };
        const res = await fetch(`${env.loki.url}/loki/api/v1/query_range?${new URLSearchParams(params)}`);
        const body = (await res.json()) as { data: { result: Array<{ values: Array<[string, string]> }> } };
        const page = body.data.result.flatMap((s) => s.values.map(([ts, line]) => ({ ts: BigInt(ts), line })));
        for (const l of page) if (!seen.has(keyOf(l)) && seen.add(keyOf(l))) out.push(l);
        if (page.length < 5000) return out;
        hi = page.reduce((min, l) => (l.ts < min ? l.ts : min), hi) + 1n;
      }
    };

    // The answer's problem lines (every page of format=lines) and its full summary.
    const kept = await answerLines(env.base, range);
    log(`troubleshoot keeps ${kept.size} of ${env.lines} lines`);
    const full = (await troubleshoot({ max_tokens: "200000" })).body;
    if (full.dropped.groups > 0) throw new Error("the full summary dropped groups at max_tokens=200000");

    // Which candidates return exactly those lines, and how fast.
    const candidates = [];
    for (const query of CANDIDATES) {
      const lines = await direct(query);
      const same = lines.length === kept.size && lines.every((l) => kept.has(keyOf(l)));
      candidates.push({ query, lines: lines.length, same, ms: [] as number[] });
    }
    const equal = candidates.filter((c) => c.same);
    if (equal.length === 0) throw new Error("no candidate query returns the answer's problem lines");

    const tOurs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Interleaved so all see the same machine state; the order alternates.
      const order = i % 2 === 0 ? ["ours", "loki"] : ["loki", "ours"];
      for (const who of order) {
        if (who === "ours") tOurs.push((await troubleshoot()).ms);
        else for (const c of equal) c.ms.push(await timeIt(() => direct(c.query)));
      }
    }
    const anchor = equal.reduce((a, b) => (median(a.ms) <= median(b.ms) ? a : b));

    const before = await oldAnswer(env, start, end);
    const same = compareAnswers(full, before.summary);
    const mOurs = median(tOurs);
    const mAnchor = median(anchor.ms);
    return {
      name,
      description: `GET /query?mode=troubleshoot, cold, vs the fastest plain Loki query returning the same ${kept.size.toLocaleString("en-US")} problem lines, on ${env.lines.toLocaleString("en-US")} lines of the last hour`,
      oursLabel: "troubleshoot",
      anchorLabel: "Loki plain",
      measurements: [
        {
          label: "median latency, cold (ms)",
          unit: "ms",
          ours: mOurs,
          anchor: mAnchor,
          ratio: mOurs / mAnchor,
          target: 1.5,
          better: "lower",
          digits: 1,
        },
        {
          label: "the same pipeline with the old pushdown (ms, one run)",
          unit: "ms",
          ours: mOurs,
          anchor: before.ms,
          ratio: mOurs / before.ms,
          target: null,
          better: "lower",
          digits: 1,
        },
      ],
      tables: [
        {
          title: "plain Loki candidates (paged by 5,000)",
          columns: ["query", "lines", "same lines", "median ms"],
          rows: candidates.map((c) => [
            c.query,
            String(c.lines),
            c.same ? "yes" : "no",
            c.ms.length ? median(c.ms).toFixed(1) : "—",
          ]),
        },
        {
          title: "runs (ms)",
          columns: ["run", "troubleshoot (cold)", `anchor: ${anchor.query.slice(SEL.length + 1)}`],
          rows: tOurs.map((t, i) => [String(i + 1), t.toFixed(1), anchor.ms[i]!.toFixed(1)]),
        },
        {
          title: "answer unchanged from before the speed-up (old pushdown, same run)",
          columns: ["what", "now", "before", "identical"],
          rows: [
            ["lines kept", String(full.stats.lines_returned), String(before.kept), yes(same.lines)],
            [
              "groups (template, count, services, levels)",
              String(full.groups.length),
              String(before.summary.groups.length),
              yes(same.groups),
            ],
            [
              "likely origin",
              full.likely_origin?.service ?? "none",
              before.summary.likely_origin?.service ?? "none",
              yes(same.origin),
            ],
          ],
        },
      ],
      notes: [
        `anchor: ${anchor.query}`,
        "cold: each /query run is a new API instance (no response cache, no service catalog) and sends Cache-Control: no-cache; Loki's own state is shared by both sides",
        `/query reads the troubleshoot legs: ${String(full.logql).split("\n").join("  +  ")}`,
      ],
      data: { tOurs, anchor: anchor.ms, candidates, kept: kept.size, lines: env.lines, before: before.ms, same },
    };
  } finally {
    await env.stop();
  }
}

const yes = (b: boolean) => (b ? "yes" : "NO");

/** Every line of the troubleshoot answer, following next_cursor. */
async function answerLines(base: string, range: Record<string, string>): Promise<Set<string>> {
  const kept = new Set<string>();
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const extra = { format: "lines", limit: "5000", max_tokens: "200000", ...(cursor ? { cursor } : {}) };
    // One instance for every page: a cursor is signed by the instance that issued it.
    const url = `${base}/api/v1/ai_logs/query?${new URLSearchParams({ mode: "troubleshoot", ...range, ...extra })}`;
    const res = await fetch(url, { headers: { "Cache-Control": "no-cache" } });
    const body = (await res.json()) as Answer;
    if (res.status !== 200) throw new Error(`/query answered ${res.status}: ${JSON.stringify(body)}`);
    for (const l of body.lines ?? []) {
      kept.add(keyOf({ ts: BigInt(l.ts_ns), line: l.line }));
    }
    cursor = body.next_cursor;
    if (!cursor) return kept;
  }
  throw new Error("more than 100 pages of problem lines");
}

/** The summary as it was computed before issue 10: one sequential scan of the old regex, confirmed by keepLine. */
async function oldAnswer(env: Awaited<ReturnType<typeof startApiEnv>>, start: Nanos, end: Nanos) {
  const t0 = performance.now();
  const catalog = await new ServiceDiscovery().catalog(env.client, { start, end });
  const result = await scan(env.client, {
    query: `{${catalog.label}=~".+"} |~ ${JSON.stringify(OLD_TROUBLE)}`,
    start,
    end,
    direction: "backward",
    pageSize: 5000,
    maxLines: 20_000,
  });
  const analyzed: AnalyzedEntry[] = [];
  for (const entry of result.entries) {
    const parsed = parseLine(entry);
    if (keepLine("troubleshoot", parsed, entry.line))
      analyzed.push({ entry, parsed, service: serviceOf(entry, catalog) });
  }
  const summary = summarize(
    analyzed,
    catalog.services.map((s) => s.name),
    { start: msFromNs(start), end: msFromNs(end) },
  );
  return { summary, kept: analyzed.length, ms: performance.now() - t0 };
}

function compareAnswers(now: Answer, before: ReturnType<typeof summarize>) {
  const shape = (g: Group) =>
    JSON.stringify([g.template, g.count, [...g.services].sort(), Object.entries(g.levels).sort()]);
  const a = now.groups.map(shape).sort();
  const b = before.groups.map(shape).sort();
  return {
    lines: now.stats.lines_returned === before.groups.reduce((n, g) => n + g.count, 0),
    groups: JSON.stringify(a) === JSON.stringify(b),
    origin: JSON.stringify(now.likely_origin ?? null) === JSON.stringify(before.likely_origin ?? null),
  };
}
