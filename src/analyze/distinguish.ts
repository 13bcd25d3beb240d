import { eq, labelFilter, logQuery, type Matcher, rangeAgg, render, sumBy } from "../logql/index.ts";
import type { LokiClient } from "../loki/client.ts";
import { NS_PER_MS } from "../loki/time.ts";
import { clipExample } from "../query/lines.ts";
import type { Finding } from "./schemas.ts";
import type { Span, Spike } from "./spikes.ts";
import { binomialUpperTail, bonferroni } from "./stats.ts";
import { type ProblemLine, RISING_ALPHA } from "./templates.ts";

/**
 * What distinguishes an error spike (log rate analysis): the stream label values over-represented among the
 * spike's error lines against all of the service's lines in the baseline. For each value, a = spike lines
 * carrying it of n in the spike, and its share p of the baseline's lines (counted by Loki, smoothed); the
 * one-sided binomial test P(X ≥ a | n, p), Bonferroni-corrected over every value tested.
 */

export interface ValueStat {
  label: string;
  value: string;
  spike: number;
  spikeTotal: number;
  reference: number;
  referenceTotal: number;
  ratio: number;
  pValue: number;
}

/** Least share ratio reported (a significant but tiny difference is not what distinguishes a spike). */
const MIN_RATIO = 1.5;
/** Labels never tested: they name the service, or every line carries a different value. */
const SKIP = new Set([
  "service_name",
  "job",
  "app",
  "service",
  "detected_level",
  "level",
  "filename",
  "__stream_shard__",
]);

/** Over-represented values (pure): counts per `label=value` in the spike and in the reference. */
export function overRepresented(
  spike: Map<string, number>,
  spikeTotal: number,
  reference: Map<string, number>,
  referenceTotal: number,
): ValueStat[] {
  const tested = spike.size;
  const out: ValueStat[] = [];
  for (const [key, a] of spike) {
    const b = reference.get(key) ?? 0;
    const share = (b + 0.5) / (referenceTotal + 1);
    const ratio = a / spikeTotal / share;
    const pValue = bonferroni(binomialUpperTail(a, spikeTotal, share), tested);
    if (pValue >= RISING_ALPHA || ratio < MIN_RATIO) continue;
    const [label, value] = splitKey(key);
    out.push({ label, value, spike: a, spikeTotal, reference: b, referenceTotal, ratio, pValue });
  }
  return out.sort((x, y) => x.pValue - y.pValue || y.ratio - x.ratio);
}

const keyOf = (label: string, value: string) => `${label}\u0000${value}`;
const splitKey = (key: string): [string, string] => {
  const i = key.indexOf("\u0000");
  return [key.slice(0, i), key.slice(i + 1)];
};

const isError = (l: ProblemLine) => l.level === "error" || l.level === "fatal";

/** The distinguishing findings of each error spike, from the window's lines and Loki's baseline counts. */
export async function distinguishSpikes(
  loki: LokiClient,
  spikes: readonly Spike[],
  window: readonly ProblemLine[],
  baseline: Span,
  matcherOf: (service: string) => Matcher,
  serviceLabel: string,
  signal?: AbortSignal,
): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const spike of spikes.filter((s) => s.what === "errors").slice(0, 3)) {
    const lines = window.filter(
      (l) => l.service === spike.service && isError(l) && l.ts >= spike.firstBucket && l.ts < spike.lastBucket,
    );
    const counts = new Map<string, number>();
    for (const l of lines) {
      for (const [label, value] of Object.entries(l.labels)) {
        if (SKIP.has(label) || label === serviceLabel) continue;
        counts.set(keyOf(label, value), (counts.get(keyOf(label, value)) ?? 0) + 1);
      }
    }
    const labels = [...new Set([...counts.keys()].map((k) => splitKey(k)[0]))];
    if (lines.length === 0 || labels.length === 0) continue;
    const ref = await referenceCounts(loki, matcherOf(spike.service), labels, baseline, signal);
    for (const v of overRepresented(counts, lines.length, ref.counts, ref.total).slice(0, 3)) {
      const examples = lines.filter((l) => l.labels[v.label] === v.value).slice(0, 3);
      out.push(findingOf(spike, v, matcherOf(spike.service), examples));
    }
  }
  return out;
}

/** The baseline's lines of a service per `label=value`, one instant query grouped by the labels. */
async function referenceCounts(
  loki: LokiClient,
  matcher: Matcher,
  labels: string[],
  baseline: Span,
  signal?: AbortSignal,
): Promise<{ counts: Map<string, number>; total: number }> {
  const query = render(
    sumBy(labels, rangeAgg("count_over_time", logQuery({ matchers: [matcher] }), baseline.end - baseline.start)),
  );
  const data = await loki.query({ query, time: BigInt(baseline.end) * NS_PER_MS }, { signal });
  const counts = new Map<string, number>();
  let total = 0;
  if (data.resultType !== "vector") return { counts, total };
  for (const s of data.result) {
    const n = Number(s.value[1]);
    total += n;
    for (const label of labels) {
      const value = s.metric[label];
      if (value !== undefined) counts.set(keyOf(label, value), (counts.get(keyOf(label, value)) ?? 0) + n);
    }
  }
  return { counts, total };
}

function findingOf(spike: Spike, v: ValueStat, matcher: Matcher, examples: ProblemLine[]): Finding {
  const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
  const errors = labelFilter({ type: "string", label: "detected_level", op: "=~", value: "error|critical|fatal" });
  return {
    kind: "distinguishing",
    service: spike.service,
    severity: "medium",
    summary: `${v.label}=${v.value} carries ${v.spike} of the spike's ${v.spikeTotal} error lines at ${spike.service} (${pct(v.spike / v.spikeTotal)}), against ${pct(v.reference / Math.max(1, v.referenceTotal))} of its lines in the baseline.`,
    evidence: {
      logql: render(logQuery({ matchers: [matcher, eq(v.label, v.value)] }, errors)),
      examples: examples.map((l) => clipExample(l.line, 300)),
      count: v.spike,
      baseline_count: v.reference,
      ratio: Math.round(v.ratio * 100) / 100,
      p_value: Number(v.pValue.toPrecision(3)),
    },
    recommendation: `Look at what sets ${v.label}=${v.value} apart (a deploy, a node, a zone, a client): the spike's errors concentrate there.`,
  };
}
