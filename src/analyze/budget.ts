import { budgetTooSmall, costOf, fitAndStamp, type Step } from "../query/budget.ts";
import { AnalyzeError } from "./errors.ts";
import type { AnalyzeAnswer, Finding } from "./schemas.ts";

/**
 * Fits an /analyze answer into max_tokens, least valuable first: steady findings (lowest ranked first),
 * then examples beyond the first of each finding, spike series, the remaining examples, and finally the
 * lowest-ranked findings. `dropped` counts and names what went.
 */
/** Steady templates, and known failures at their baseline rate (ranked among them, severity low). */
const isSteady = (f: Finding) => f.kind === "steady" || (f.kind === "library" && f.severity === "low");

export function fitAnalyze(answer: AnalyzeAnswer, maxTokens: number): AnalyzeAnswer {
  const counts = { steady: 0, findings: 0, examples: 0, series: 0 };
  const dropLastWhere =
    (keep: (i: number) => boolean, counter: "steady" | "findings"): Step =>
    () => {
      for (let i = answer.findings.length - 1; i >= 0; i--) {
        if (keep(i)) continue;
        const [gone] = answer.findings.splice(i, 1);
        counts[counter]++;
        return costOf(gone);
      }
      return false;
    };
  const dropExample =
    (keepAtLeast: number): Step =>
    () => {
      for (let i = answer.findings.length - 1; i >= 0; i--) {
        const ex = answer.findings[i]!.evidence.examples;
        if (ex.length <= keepAtLeast) continue;
        counts.examples++;
        return costOf(ex.pop());
      }
      return false;
    };
  const dropSeries: Step = () => {
    for (let i = answer.findings.length - 1; i >= 0; i--) {
      const e = answer.findings[i]!.evidence;
      if (!e.values) continue;
      const cost = costOf(e.values) + 3;
      delete e.values;
      counts.series++;
      return cost;
    }
    return false;
  };
  const steps: Step[] = [
    dropLastWhere((i) => !isSteady(answer.findings[i]!), "steady"),
    dropExample(1),
    dropSeries,
    dropExample(0),
    dropLastWhere((i) => i === 0, "findings"),
  ];
  const settle = () => {
    answer.dropped.findings = counts.steady + counts.findings;
    answer.dropped.examples = counts.examples;
    const notes: string[] = [];
    if (counts.steady) notes.push(`${counts.steady} steady findings (present at the same rate in the baseline)`);
    if (counts.examples) notes.push(`${counts.examples} example lines`);
    if (counts.series) notes.push(`the bucket values of ${counts.series} spikes`);
    if (counts.findings) notes.push(`${counts.findings} lowest-ranked findings`);
    answer.dropped.notes = notes;
  };
  const result = fitAndStamp(answer, maxTokens, steps, settle);
  if (!result.fits) {
    const [detail, hint] = budgetTooSmall(result.need, maxTokens, "name fewer services");
    throw new AnalyzeError("refused", "budget-too-small", "max_tokens too small", detail, hint);
  }
  return answer;
}
