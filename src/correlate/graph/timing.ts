import type { EdgeEvidence } from "../types.ts";
import { type CallGraph, type EdgeData, emptyEdge, type NodeData, reachable } from "./model.ts";
import { evidenceRank } from "./signals.ts";

/** Clock skew tolerated between services when one's lines should nest inside another's (ms). */
export const SKEW_MS = 10;

const strongest = (e: EdgeData) => Math.min(...[...e.kinds].map(evidenceRank));

/**
 * A and B naming each other: keep the direction with the stronger evidence when the weaker one rests only on
 * a URL or a message mention ("request from gateway" is not a call to gateway); on equal mentions, the
 * service whose busy time encloses the other's is the caller.
 */
export function dropWeakReverseEdges(graph: CallGraph): void {
  const drop: string[] = [];
  graph.forEachEdge((key, e, source, target) => {
    if (source > target) return; // each pair once
    const back = graph.edge(target, source);
    if (back === undefined) return;
    const r = graph.getEdgeAttributes(back);
    const [a, b] = [strongest(e), strongest(r)];
    const weakOnly = (x: number) => x >= evidenceRank("url");
    if (a < b && weakOnly(b)) drop.push(back);
    else if (b < a && weakOnly(a)) drop.push(key);
    else if (a === b && weakOnly(a)) {
      const s = graph.getNodeAttributes(source);
      const t = graph.getNodeAttributes(target);
      if (encloses(s, t)) drop.push(back);
      else if (encloses(t, s)) drop.push(key);
    }
  });
  for (const key of drop) graph.dropEdge(key);
}

/**
 * Services with lines that no evidence gives a caller: the service whose busy time most tightly encloses theirs
 * (with SKEW_MS of tolerance) is taken as the caller, unless that would close a cycle. Longer intervals rank
 * first, so timing edges alone never form a cycle. O(k²) in the services, independent of the lines.
 */
export function addTimingEdges(graph: CallGraph): void {
  const ranked = graph
    .filterNodes((_, n) => !n.silent && Number.isFinite(n.start))
    .sort((a, b) => rankOrder(graph.getNodeAttributes(a), graph.getNodeAttributes(b), a, b));
  for (let i = 1; i < ranked.length; i++) {
    const id = ranked[i]!;
    if (graph.inDegree(id) > 0) continue;
    const node = graph.getNodeAttributes(id);
    const below = reachable(graph, id);
    for (let j = i - 1; j >= 0; j--) {
      const caller = ranked[j]!;
      if (below.has(caller) || !within(node, graph.getNodeAttributes(caller))) continue;
      addTimingEdge(graph, caller, id, node);
      break;
    }
  }
}

/** Longer busy time first, then the earlier start, then the name. */
function rankOrder(x: NodeData, y: NodeData, a: string, b: string): number {
  return y.end - y.start - (x.end - x.start) || x.start - y.start || (a < b ? -1 : a > b ? 1 : 0);
}

const within = (inner: NodeData, outer: NodeData) =>
  outer.start - SKEW_MS <= inner.start && inner.end <= outer.end + SKEW_MS;

function encloses(outer: NodeData, inner: NodeData): boolean {
  if (!Number.isFinite(outer.start) || !Number.isFinite(inner.start)) return false;
  return within(inner, outer) && outer.end - outer.start > inner.end - inner.start;
}

function addTimingEdge(graph: CallGraph, caller: string, callee: string, node: NodeData): void {
  const e = emptyEdge(node.first);
  e.kinds = new Set<EdgeEvidence>(["timing"]);
  e.last = node.last;
  e.calls.add("");
  if (node.errors + node.warns > 0) e.failedCalls.add("");
  graph.addDirectedEdge(caller, callee, e);
}
