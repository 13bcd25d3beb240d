// GET /query in raw mode (cache bypassed) against a direct Loki query_range of the same LogQL
// over the same ≥ 10,000 lines (paged by 5,000, Loki's per-query limit, as any client must),
// measured in the same run: median latency ratio (target ≤ 1.10). And the troubleshoot
// summary's tokens against the raw lines' tokens for the same window (target ≥ 10× fewer).
import { countTokens } from "gpt-tokenizer";
import { NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { median, startApiEnv, timeIt } from "./api-env.ts";
import type { BenchReport } from "./types.ts";

export const name = "query";
const RUNS = Math.max(3, Number(process.env["BENCH_RUNS"]) || 9);
const LOGQL = '{env="prod"}';

export async function run(log: (m: string) => void): Promise<BenchReport> {
  const env = await startApiEnv(log, { QUERY_SCAN_CAP: "100000" });
  try {
    const end = nowNs();
    const start = end - 30n * 60n * NS_PER_S;

    // Anchor: Loki's query_range, paged backwards by 5,000 lines, JSON parsed.
    const direct = async () => {
      let hi = end;
      let total = 0;
      for (;;) {
        const url = `${env.loki.url}/loki/api/v1/query_range?${new URLSearchParams({ query: LOGQL, start: String(start), end: String(hi), limit: "5000", direction: "backward" })}`;
        const body = (await (await fetch(url)).json()) as {
          data: { result: Array<{ values: Array<[string, string]> }> };
        };
        const values = body.data.result.flatMap((s) => s.values);
        total += values.length;
        if (values.length < 5000) return total;
        hi = values.reduce((min, v) => (BigInt(v[0]) < min ? BigInt(v[0]) : min), hi);
      }
    };
    const ours = async () => {
      const url = `${env.base}/api/v1/ai_logs/query?${new URLSearchParams({ mode: "raw", logql: LOGQL, start: String(start), end: String(end), format: "compact" })}`;
      const res = await fetch(url, { headers: { "Cache-Control": "no-cache" } });
      const body = (await res.json()) as { stats: { lines_scanned: number } };
      if (res.status !== 200) throw new Error(`/query answered ${res.status}: ${JSON.stringify(body)}`);
      return body.stats.lines_scanned;
    };
    const directLines = await direct();
    const ourLines = await ours();
    log(`direct query_range read ${directLines} lines, /query scanned ${ourLines}`);
    if (directLines < 10_000) throw new Error(`only ${directLines} lines in the window; need ≥ 10,000`);
    const tDirect: number[] = [];
    const tOurs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Interleaved so both see the same machine state.
      tDirect.push(await timeIt(direct));
      tOurs.push(await timeIt(ours));
    }

    // Tokens: the troubleshoot summary vs the raw lines of the same window.
    const sumUrl = `${env.base}/api/v1/ai_logs/query?${new URLSearchParams({ mode: "troubleshoot", start: String(start), end: String(end) })}`;
    const summary = (await (await fetch(sumUrl)).json()) as { tokens: number; stats: { lines_returned: number } };
    const rawUrl = `${env.base}/api/v1/ai_logs/query?${new URLSearchParams({ mode: "troubleshoot", start: String(start), end: String(end), format: "lines", limit: "5000", max_tokens: "200000" })}`;
    const raw = (await (await fetch(rawUrl)).json()) as { lines: Array<{ line: string }> };
    const rawTokens = countTokens(raw.lines.map((l) => l.line).join("\n"));

    const mOurs = median(tOurs);
    const mDirect = median(tDirect);
    return {
      name,
      description: `GET /query (raw mode, cache bypassed) vs a direct Loki query_range of the same LogQL over ${directLines.toLocaleString("en-US")} lines; summary tokens vs raw lines`,
      oursLabel: "/query",
      anchorLabel: "Loki direct",
      measurements: [
        {
          label: `median latency, ${directLines} lines (ms)`,
          unit: "ms",
          ours: mOurs,
          anchor: mDirect,
          ratio: mOurs / mDirect,
          target: 1.1,
          better: "lower",
          digits: 1,
        },
        {
          label: `tokens: raw lines per summary token (${raw.lines.length} problem lines)`,
          unit: "tokens",
          ours: rawTokens / summary.tokens,
          anchor: 1,
          ratio: rawTokens / summary.tokens,
          target: 10,
          digits: 1,
        },
      ],
      tables: [
        {
          title: "runs (ms)",
          columns: ["run", "/query", "Loki direct"],
          rows: tOurs.map((t, i) => [String(i + 1), t.toFixed(1), tDirect[i]!.toFixed(1)]),
        },
        {
          title: "tokens (o200k)",
          columns: ["what", "tokens"],
          rows: [
            ["troubleshoot summary", String(summary.tokens)],
            [`the same window's ${raw.lines.length} problem lines, raw`, String(rawTokens)],
          ],
        },
      ],
      notes: [
        "both read every line of the window: Loki answers at most 5,000 lines per query_range, so the anchor pages like /query does",
        "/query runs with Cache-Control: no-cache (X-Cache: BYPASS): Loki is queried every time",
      ],
      data: { tOurs, tDirect, directLines, ourLines, rawTokens, summaryTokens: summary.tokens },
    };
  } finally {
    await env.stop();
  }
}
