import type { DirectedGraph } from "graphology";
import { betweenness } from "graphology-metrics/centrality/index.js";
import type { Attributes } from "graphology-types";
import type { Correlation } from "../types.ts";
import { type CallGraph, isFailing, type NodeData } from "./model.ts";

/**
 * Where a request's time went (pure): a service's busy time is [start, end] of its lines (widened by the
 * durations it reports); the time it waited on a callee is the callee's busy time and the calls it reported,
 * clipped to its own (so a few ms of clock skew between them do not count); self time is what remains.
 */

type Interval = [number, number];

const length = (n: NodeData) => (Number.isFinite(n.start) ? n.end - n.start : Number.NaN);

/** Length of the union of intervals clipped to [lo, hi] (O(m log m)). */
export function coveredMs(intervals: Interval[], lo: number, hi: number): number {
  const clipped = intervals
    .map(([a, b]): Interval => [Math.max(a, lo), Math.min(b, hi)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let cur: Interval | undefined;
  for (const iv of clipped) {
    if (cur && iv[0] <= cur[1]) cur[1] = Math.max(cur[1], iv[1]);
    else {
      if (cur) total += cur[1] - cur[0];
      cur = [iv[0], iv[1]];
    }
  }
  return cur ? total + cur[1] - cur[0] : total;
}

/** The intervals in which `source` waited on `target`. */
function waitIntervals(graph: CallGraph, source: string, target: string): Interval[] {
  const callee = graph.getNodeAttributes(target);
  const e = graph.getDirectedEdgeAttributes(source, target);
  const out: Interval[] = [...e.callIntervals];
  if (Number.isFinite(callee.start)) out.push([callee.start, callee.end]);
  return out;
}

/** ms `source` spent waiting on `target` (0 when neither side says). */
export function waitMs(graph: CallGraph, source: string, target: string): number {
  const caller = graph.getNodeAttributes(source);
  const ivs = waitIntervals(graph, source, target);
  if (!Number.isFinite(caller.start)) return coveredMs(ivs, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  return coveredMs(ivs, caller.start, caller.end);
}

/** Self time of every service with a known busy time (ms, ≥ 0); null for a silent one. */
export function selfTimes(graph: CallGraph): Map<string, number | null> {
  const out = new Map<string, number | null>();
  graph.forEachNode((id, n) => {
    const total = length(n);
    if (Number.isNaN(total)) {
      out.set(id, null);
      return;
    }
    const waits = graph.outNeighbors(id).flatMap((t) => waitIntervals(graph, id, t));
    out.set(id, round(Math.max(0, total - coveredMs(waits, n.start, n.end))));
  });
  return out;
}

/** Mean latency of an edge: the durations the caller reported, else the callee's busy time per call. */
export function edgeLatency(graph: CallGraph, source: string, target: string, calls: number): number | null {
  const e = graph.getDirectedEdgeAttributes(source, target);
  if (e.durationCount > 0) return round(e.durationSum / e.durationCount);
  const total = length(graph.getNodeAttributes(target));
  return Number.isNaN(total) ? null : round(total / Math.max(1, calls));
}

/** From the entry, at each step the callee that took the most time (a failing one on ties). */
export function criticalPath(graph: CallGraph, entry: string | undefined): Correlation["critical_path"] {
  if (entry === undefined) return [];
  const first = length(graph.getNodeAttributes(entry));
  const path = [{ service: entry, ms: round(Number.isNaN(first) ? 0 : first) }];
  const seen = new Set([entry]);
  for (let at = entry; ; ) {
    let best: { id: string; ms: number; failing: boolean } | undefined;
    for (const next of graph.outNeighbors(at)) {
      if (seen.has(next)) continue;
      const c = { id: next, ms: waitMs(graph, at, next), failing: isFailing(graph, next) };
      if (!best || c.ms > best.ms || (c.ms === best.ms && c.failing && !best.failing)) best = c;
    }
    if (!best) return path;
    path.push({ service: best.id, ms: round(best.ms) });
    seen.add(best.id);
    at = best.id;
  }
}

/** Services by self time, betweenness centrality as the second signal (top `limit`). */
export function bottlenecks<N extends Attributes, E extends Attributes>(
  graph: DirectedGraph<N, E>,
  self: Map<string, number | null>,
  o: { limit?: number; total?: number | undefined; unit?: string } = {},
): Correlation["bottlenecks"] {
  const central = graph.order > 2 && graph.size > 0 ? betweenness(graph, { normalized: true }) : {};
  const rows = graph.nodes().map((service) => ({
    service,
    self_ms: self.get(service) ?? null,
    centrality: round(central[service] ?? 0),
  }));
  rows.sort((a, b) => (b.self_ms ?? -1) - (a.self_ms ?? -1) || b.centrality - a.centrality);
  return rows
    .filter((r) => (r.self_ms ?? 0) > 0 || r.centrality > 0)
    .slice(0, o.limit ?? 5)
    .map((r) => ({ ...r, reason: bottleneckReason(r, o.total, o.unit ?? "") }));
}

function bottleneckReason(r: { self_ms: number | null; centrality: number }, total?: number, unit = ""): string {
  const parts: string[] = [];
  if (r.self_ms !== null && r.self_ms > 0) {
    const share = total && total > 0 ? ` (${Math.round((r.self_ms / total) * 100)}% of ${round(total)} ms)` : "";
    parts.push(`${round(r.self_ms)} ms of its own time${unit}${share}`);
  }
  if (r.centrality > 0) parts.push(`on ${Math.round(r.centrality * 100)}% of the call paths between other services`);
  return parts.join("; ");
}

export const round = (x: number) => Math.round(x * 10) / 10;
