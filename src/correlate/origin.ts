/**
 * Likely origin of a failure (pure). In real incidents the loudest or first
 * error is rarely the cause: callers fail because of what they call, and the
 * service at fault may log late, quietly, at warn level, or not at all. So the
 * answer follows the evidence of what called what:
 *
 * 1. Each problem line that names another service (in its message or in a
 *    field such as `upstream`) is an edge caller → callee.
 * 2. In each trace, services whose problems are explained by a failing
 *    downstream call are callers; the sinks of those edges (failing, and not
 *    explained by anything further down) are origin candidates.
 * 3. Candidates are ranked by how much of the failure points at them; without
 *    any edge, the service whose problems started the burst earliest wins,
 *    and a steady background error (present before the burst) is discounted.
 */
export interface ProblemLine {
  service: string;
  /** ms since epoch */
  ts: number;
  level: string;
  message: string;
  traceId?: string | undefined;
  /** Other services this line names as its callee (from fields or text); filled by `findMentions`. */
  mentions?: string[];
}

export interface Origin {
  service: string;
  reason: string;
  evidence: string[];
  /** 0–1: share of the failure evidence that points at this service. */
  confidence: number;
  /** Other candidates, best first. */
  alternatives: Array<{ service: string; score: number }>;
}

import { normalizeLevel } from "../query/lines.ts";
import { blame } from "./graph/blame.ts";
import { buildCallGraph, type SignalledLine } from "./graph/build.ts";
import type { EdgeEvidence } from "./types.ts";

export { CALLEE_FIELDS, calleeFieldMentions, findMentions, messageMentions } from "./mentions.ts";

export function likelyOrigin(lines: ProblemLine[], window?: { start: number; end: number }): Origin | undefined {
  const evidence = new OriginEvidence();
  for (const l of lines) evidence.add(l);
  return evidence.origin(window);
}

/** What one trace's problem lines say: the services that logged, the callees named and the services naming one. */
interface TraceEvidence {
  lines: ProblemLine[];
  services: Set<string>;
  callees: Set<string>;
  callers: Set<string>;
}

/**
 * `likelyOrigin` one line at a time: `add` records each line's evidence (in the lines' order), `origin`
 * weighs it. The answer is `likelyOrigin` of the lines added, so a caller can add lines as it reads them.
 */
/** Failing traces whose call graph is built one by one (more are sampled evenly). */
export const MAX_BLAMED_TRACES = 200;

export class OriginEvidence {
  private readonly lines: ProblemLine[] = [];
  private readonly total = new Map<string, number>();
  private readonly pointedAtBy = new Map<string, Map<string, number>>(); // callee → caller → lines
  private readonly explained = new Map<string, number>(); // service → its problem lines that name a failing callee
  private readonly byTrace = new Map<string, TraceEvidence>();

  add(l: ProblemLine): void {
    this.lines.push(l);
    this.total.set(l.service, (this.total.get(l.service) ?? 0) + 1);
    const mentions = l.mentions ?? [];
    // Edges from mentions.
    for (const callee of mentions) {
      const callers = this.pointedAtBy.get(callee) ?? new Map<string, number>();
      callers.set(l.service, (callers.get(l.service) ?? 0) + 1);
      this.pointedAtBy.set(callee, callers);
      this.explained.set(l.service, (this.explained.get(l.service) ?? 0) + 1);
    }
    if (!l.traceId) return;
    let trace = this.byTrace.get(l.traceId);
    if (!trace) {
      trace = { lines: [], services: new Set(), callees: new Set(), callers: new Set() };
      this.byTrace.set(l.traceId, trace);
    }
    trace.lines.push(l);
    trace.services.add(l.service);
    for (const callee of mentions) trace.callees.add(callee);
    if (mentions.length > 0) trace.callers.add(l.service);
  }

  origin(window?: { start: number; end: number }): Origin | undefined {
    const { lines, total, pointedAtBy, explained } = this;
    if (lines.length === 0) return undefined;
    const score = new Map<string, number>();
    const add = (s: string, v: number) => score.set(s, (score.get(s) ?? 0) + v);
    const isExplained = (s: string) => (explained.get(s) ?? 0) / Math.max(1, total.get(s) ?? 0) >= 0.5;

    // Per trace: the origin the correlation graph finds among the services the trace's lines name.
    const chained = [...this.byTrace.values()].filter((t) => t.callees.size > 0);
    const tracesWithChain = chained.length;
    const traceSinks = new Map<string, number>();
    // Each trace's graph costs a little; past MAX_BLAMED_TRACES an even sample of them speaks for all, weighted up.
    const step = Math.max(1, chained.length / MAX_BLAMED_TRACES);
    for (let at = 0; at < chained.length; at += step) {
      const shares = blamedShares(chained[Math.floor(at)]!.lines);
      for (const [service, share] of shares) add(service, 2 * share * step);
      const top = [...shares].sort((a, b) => b[1] - a[1])[0]?.[0];
      if (top !== undefined) traceSinks.set(top, (traceSinks.get(top) ?? 0) + step);
    }
    for (const [service, n] of traceSinks) traceSinks.set(service, Math.round(n));

    // Without traces: the global mention graph's sinks.
    for (const [callee, callers] of pointedAtBy) {
      const inbound = [...callers.values()].reduce((a, b) => a + b, 0);
      if (!isExplained(callee)) add(callee, inbound * (tracesWithChain ? 0.1 : 1));
    }

    if (score.size === 0) return earliestBurst(lines, total, window);
    return explain(lines, score, pointedAtBy, traceSinks, tracesWithChain);
  }
}

/**
 * One trace's problem lines as a call graph (edges: the services each line names) and the graph core's blame: the
 * share of the trace's failure each named service explains (services nobody names are not candidates here).
 */
function blamedShares(lines: ProblemLine[]): Map<string, number> {
  const items: SignalledLine[] = [...lines]
    .sort((a, b) => a.ts - b.ts)
    .map((l) => ({
      line: {
        ts: BigInt(Math.round(l.ts * 1000)) * 1000n,
        service: l.service,
        level: normalizeLevel(l.level) ?? "unknown",
        message: l.message,
        line: l.message,
        fields: {},
      },
      signals: { callees: new Map((l.mentions ?? []).map((m): [string, EdgeEvidence] => [m, "mention"])), callers: [] },
    }));
  const rg = buildCallGraph(items, { timing: false });
  const named = [...blame(rg).scores].filter(([s, v]) => v > 0 && rg.graph.inDegree(s) > 0);
  const sum = named.reduce((a, [, v]) => a + v, 0);
  return new Map(named.map(([s, v]) => [s, v / sum]));
}

/** The best-scored service, why, and the evidence for it. */
function explain(
  lines: ProblemLine[],
  score: Map<string, number>,
  pointedAtBy: Map<string, Map<string, number>>,
  traceSinks: Map<string, number>,
  tracesWithChain: number,
): Origin {
  const ranked = [...score.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const [best, bestScore] = ranked[0]!;
  const sum = ranked.reduce((a, [, v]) => a + v, 0);
  const own = lines.filter((l) => l.service === best);
  const callers = [...(pointedAtBy.get(best) ?? new Map<string, number>()).entries()].sort((a, b) => b[1] - a[1]);
  const evidence: string[] = [];
  for (const [caller, n] of callers.slice(0, 3)) {
    const example = lines.find((l) => l.service === caller && l.mentions?.includes(best));
    evidence.push(`${caller}: ${n} problem line(s) name ${best}${example ? `, e.g. "${clip(example.message)}"` : ""}`);
  }
  if (own.length > 0) {
    const first = own.reduce((a, b) => (b.ts < a.ts ? b : a));
    const levels = countBy(own.map((l) => l.level));
    evidence.push(
      `${best}: ${own.length} own problem line(s) (${Object.entries(levels)
        .map(([k, v]) => `${v} ${k}`)
        .join(
          ", ",
        )}), none explained by a failing downstream call; first at ${new Date(first.ts).toISOString()}: "${clip(first.message)}"`,
    );
  } else {
    evidence.push(`${best} logged no problem of its own in the range: its callers' failures are the only trace of it`);
  }
  if (traceSinks.get(best)) {
    evidence.push(
      `${best} is the deepest failing service in ${traceSinks.get(best)} of ${tracesWithChain} failing trace(s)`,
    );
  }
  const firstCaller = callers[0]?.[0];
  const reason = firstCaller
    ? `${best} is where the failure chain ends: its callers (${callers.map(([c]) => c).join(", ")}) fail when calling it, and its own problems are not explained by a failing downstream call`
    : `${best} has problems that nothing further down explains`;
  return {
    service: best,
    reason,
    evidence,
    confidence: round(bestScore / sum),
    alternatives: ranked.slice(1, 4).map(([service, s]) => ({ service, score: round(s / sum) })),
  };
}

/** No call evidence: the service whose problem burst began first, steady background errors discounted. */
function earliestBurst(lines: ProblemLine[], total: Map<string, number>, window?: { start: number; end: number }) {
  const start = window?.start ?? Math.min(...lines.map((l) => l.ts));
  const end = window?.end ?? Math.max(...lines.map((l) => l.ts));
  const span = Math.max(1, end - start);
  const candidates = [...total.keys()].map((service) => {
    const own = lines
      .filter((l) => l.service === service)
      .map((l) => l.ts)
      .sort((a, b) => a - b);
    // Steadiness: share of the range's quarters that contain this service's problems.
    const quarters = new Set(own.map((t) => Math.min(3, Math.floor(((t - start) / span) * 4)))).size;
    return { service, first: own[0]!, count: own.length, steady: quarters === 4 && own.length > 4 };
  });
  const bursts = candidates.filter((c) => !c.steady);
  const pool = bursts.length ? bursts : candidates;
  pool.sort((a, b) => a.first - b.first || b.count - a.count);
  const best = pool[0]!;
  const steady = candidates.filter((c) => c.steady).map((c) => c.service);
  const evidence = [
    `${best.service}: first problem at ${new Date(best.first).toISOString()} (${best.count} problem line(s)); no line names a failing callee`,
  ];
  if (steady.length) evidence.push(`steady background errors discounted: ${steady.join(", ")}`);
  return {
    service: best.service,
    reason: `${best.service}'s problems began first and no call evidence points elsewhere`,
    evidence,
    confidence: round(1 / pool.length),
    alternatives: pool.slice(1, 4).map((c) => ({ service: c.service, score: round(1 / pool.length) })),
  } satisfies Origin;
}

const clip = (s: string, n = 120) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const round = (x: number) => Math.round(x * 100) / 100;
function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
