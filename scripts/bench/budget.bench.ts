// Trimming an answer to max_tokens against one tokenization of the whole answer (the anchor), in
// the same run: a troubleshoot summary of 2,000 template groups (~430k tokens) cut to
// max_tokens=80,000 and to 2,000. Trimming costs each removed item once and counts the whole
// answer a few times, so the ratio stays a small constant (target ≤ 8×) however much is cut; the
// quadratic trimming it replaced re-counted the whole answer per removed item (minutes here).

import { tokensOf } from "../../src/query/budget.ts";
import { budget, summarySteps } from "../../src/query/trim.ts";
import { bigSummary } from "./big-answers.ts";
import type { BenchReport, Measurement } from "./types.ts";

export const name = "budget";
const RUNS = Math.max(3, Number(process.env["BENCH_RUNS"]) || 5);
const GROUPS = 2000;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const msSince = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** Median ms of trimming a fresh answer to `maxTokens`, and of one count of the whole answer. */
function measure(maxTokens: number): { trim: number; whole: number; tokens: number; kept: number } {
  const trim: number[] = [];
  const whole: number[] = [];
  let tokens = 0;
  let kept = 0;
  for (let r = 0; r < RUNS; r++) {
    const { answer, groups } = bigSummary(GROUPS);
    let start = process.hrtime.bigint();
    tokens = tokensOf(answer);
    whole.push(msSince(start));
    start = process.hrtime.bigint();
    budget(answer, maxTokens, summarySteps(answer, groups));
    trim.push(msSince(start));
    kept = groups.length;
  }
  return { trim: median(trim), whole: median(whole), tokens, kept };
}

export async function run(log: (m: string) => void): Promise<BenchReport> {
  measure(80_000); // warm-up (JIT, the tokenizer's tables)
  const rows: string[][] = [];
  const measurements: Measurement[] = [];
  for (const maxTokens of [80_000, 2_000]) {
    log(`trimming ${GROUPS} groups to max_tokens=${maxTokens}`);
    const m = measure(maxTokens);
    measurements.push({
      label: `trim to ${maxTokens.toLocaleString("en-US")} tokens (ms)`,
      unit: "ms",
      ours: m.trim,
      anchor: m.whole,
      ratio: m.trim / m.whole,
      target: 8,
      better: "lower",
      digits: 1,
    });
    rows.push([maxTokens.toLocaleString("en-US"), m.tokens.toLocaleString("en-US"), String(m.kept)]);
  }
  return {
    name,
    description: `budget() trimming a ${GROUPS.toLocaleString("en-US")}-group troubleshoot summary vs one tokenization of the whole answer`,
    oursLabel: "trim",
    anchorLabel: "one whole count",
    measurements,
    tables: [{ title: "answers", columns: ["max_tokens", "tokens before", "groups kept"], rows }],
    notes: [`median of ${RUNS} runs, each on a fresh answer; synchronous CPU work, no I/O`],
    data: { measurements },
  };
}
