import { clipExample } from "../../query/lines.ts";
import type { OriginFinding } from "../types.ts";
import { type CallGraph, type EdgeData, isFailing, type LinePattern, type RequestGraph } from "./model.ts";

/**
 * Error origin of one request (pure). A failing service whose failure is explained by a failing callee passes the
 * blame on; the origin is where it stops. Each failing service holds one unit of "failure" (the entry two: the
 * request's own outcome); the units flow down failing call edges, split by how much the caller's problem lines
 * name each failing callee, to the services with no failing callee. What a service receives is the share of the
 * request's failure it explains: callers logging many lines add nothing of their own, a late or warn-only or
 * silent origin still receives its callers' share, and a failure off the failing path keeps only its own unit.
 */

export interface Blame {
  /** service → share of the failure it explains (unnormalised). */
  scores: Map<string, number>;
  failing: Set<string>;
}

const EVIDENCE_CHARS = 300;

export function blame(rg: RequestGraph): Blame {
  const { graph, entry } = rg;
  const failing = new Set(graph.filterNodes((id) => isFailing(graph, id)));
  const order = topologicalOrder(graph, failing, entry);
  const pos = new Map(order.map((id, i) => [id, i]));
  const mass = new Map(order.map((id) => [id, id === entry ? 2 : 1]));
  const scores = new Map<string, number>();
  const give = (m: Map<string, number>, id: string, v: number) => {
    m.set(id, (m.get(id) ?? 0) + v);
  };
  for (const s of order) {
    const have = mass.get(s) ?? 0;
    const callees = graph.outNeighbors(s).filter((t) => failing.has(t) && pos.get(t)! > pos.get(s)!);
    if (callees.length === 0) {
      give(scores, s, have);
      continue;
    }
    const edges = callees.map((t) => graph.getDirectedEdgeAttributes(s, t));
    const named = edges.some((e) => e.blameError + e.blameWarn > 0);
    const weights = edges.map((e) => weight(e, named));
    const sum = weights.reduce((a, b) => a + b, 0);
    const keep = named ? 0 : retained(graph, s, callees);
    if (keep > 0) give(scores, s, have * keep);
    for (const [i, t] of callees.entries()) give(mass, t, (have * (1 - keep) * weights[i]!) / sum);
  }
  return { scores, failing };
}

/** How strongly a caller's failure points at one failing callee. */
function weight(e: EdgeData, callerNamesSome: boolean): number {
  const namedHere = e.blameError + e.blameWarn > 0;
  const base = namedHere ? 1 + 2 * e.blameError + 0.5 * e.blameWarn : callerNamesSome ? 0.25 : 1;
  return base + e.failedCalls.size;
}

/**
 * A caller whose problem lines name none of its failing callees keeps part of the blame: more when it logged
 * errors and its callees only warned.
 */
function retained(graph: CallGraph, s: string, callees: string[]): number {
  const n = graph.getNodeAttributes(s);
  if (n.errors + n.warns === 0) return 0;
  const calleesOnlyWarn = callees.every((t) => graph.getNodeAttributes(t).errors === 0);
  return n.errors > 0 && calleesOnlyWarn ? 0.6 : 0.3;
}

/** Failing services, callers before callees (depth-first from the entry, then the rest by first line; back edges ignored). */
function topologicalOrder(graph: CallGraph, failing: Set<string>, entry: string | undefined): string[] {
  const roots = [...failing].sort((a, b) => graph.getNodeAttributes(a).first - graph.getNodeAttributes(b).first);
  if (entry !== undefined && failing.has(entry)) roots.unshift(entry);
  const done = new Set<string>();
  const post: string[] = [];
  for (const root of roots) {
    if (done.has(root)) continue;
    done.add(root);
    const stack: Array<{ id: string; next: string[] }> = [{ id: root, next: graph.outNeighbors(root) }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const child = top.next.pop();
      if (child === undefined) {
        post.push(stack.pop()!.id);
      } else if (failing.has(child) && !done.has(child)) {
        done.add(child);
        stack.push({ id: child, next: graph.outNeighbors(child) });
      }
    }
  }
  return post.reverse();
}

/** The origin with its chain to the entry, confidence, evidence and recommendation; null when nothing failed. */
export function findOrigin(rg: RequestGraph): OriginFinding | null {
  const { scores, failing } = blame(rg);
  const ranked = [...scores.entries()].filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (ranked.length === 0) return null;
  const [service, score] = ranked[0]!;
  const sum = ranked.reduce((a, [, v]) => a + v, 0);
  const { graph } = rg;
  const timingOnly =
    graph.inDegree(service) > 0 && graph.everyInEdge(service, (_k, e) => e.kinds.size === 1 && e.kinds.has("timing"));
  return {
    service,
    reason: reasonFor(graph, service, failing),
    confidence: round2((score / sum) * (timingOnly ? 0.75 : 1)),
    evidence: evidenceFor(graph, service, failing),
    chain: chainToEntry(graph, service, rg.entry, failing),
    recommendation: recommendationFor(graph, service),
    alternatives: ranked.slice(1, 4).map(([s, v]) => ({ service: s, score: round2(v / sum) })),
  };
}

function failingCallers(graph: CallGraph, service: string, failing: Set<string>): Array<[string, EdgeData]> {
  const out: Array<[string, EdgeData]> = [];
  graph.forEachInEdge(service, (_k, e, source) => {
    if (failing.has(source)) out.push([source, e]);
  });
  return out.sort((a, b) => b[1].blameError + b[1].blameWarn - (a[1].blameError + a[1].blameWarn));
}

function reasonFor(graph: CallGraph, service: string, failing: Set<string>): string {
  const callers = failingCallers(graph, service, failing).map(([c]) => c);
  const by = callers.length > 0 ? `; ${callers.join(", ")} failed after calling it` : "";
  if (graph.getNodeAttributes(service).silent) {
    return `${service} logged nothing, but its callers (${callers.join(", ")}) name it in their failures and nothing it calls explains them`;
  }
  const calls = graph.outDegree(service) > 0 ? "nothing it calls failed" : "it calls no other service";
  return `${service} failed and ${calls}${by}`;
}

function evidenceFor(graph: CallGraph, service: string, failing: Set<string>): string[] {
  const node = graph.getNodeAttributes(service);
  const out: string[] = [];
  const callers = failingCallers(graph, service, failing);
  for (const [caller, e] of callers.slice(0, 2)) {
    const n = e.blameError + e.blameWarn;
    const how = [...e.kinds].join("+");
    const example = e.examples[0];
    out.push(
      `${caller} → ${service} (${how})${n > 0 ? `: ${n} problem line(s) name ${service}` : ""}${example ? `, e.g. ${clipExample(example.line, EVIDENCE_CHARS)}` : ""}`,
    );
  }
  if (node.silent) {
    out.push(`${service} logged no line: it exists in the graph only because its callers name it`);
  }
  for (const l of node.problems) {
    out.push(`${service} ${l.level}: ${clipExample(l.line, EVIDENCE_CHARS)}`);
  }
  return out;
}

/** From the origin up to the entry along callers, through failing ones when possible. */
export function chainToEntry(
  graph: CallGraph,
  origin: string,
  entry: string | undefined,
  failing: Set<string>,
): string[] {
  for (const failingOnly of [true, false]) {
    const via = new Map<string, string>([[origin, origin]]);
    const queue = [origin];
    let top = origin;
    for (let i = 0; i < queue.length; i++) {
      const at = queue[i]!;
      if (graph.inDegree(at) === 0 && top === origin) top = at;
      for (const caller of graph.inNeighbors(at)) {
        if (via.has(caller) || (failingOnly && !failing.has(caller))) continue;
        via.set(caller, at);
        queue.push(caller);
      }
    }
    const end = entry !== undefined && via.has(entry) ? entry : failingOnly ? undefined : top;
    if (end === undefined) continue;
    const path = [end];
    while (path[path.length - 1] !== origin) path.push(via.get(path[path.length - 1]!)!);
    return path.reverse();
  }
  return [origin];
}

/** The library pattern most of the origin's problem lines match (or, when it is silent, its callers' lines about it). */
function recommendationFor(graph: CallGraph, service: string): OriginFinding["recommendation"] {
  const counts = new Map(graph.getNodeAttributes(service).patterns);
  if (counts.size === 0) {
    graph.forEachInEdge(service, (_k, e) => {
      for (const l of e.examples) if (l.pattern) bump(counts, l.pattern);
    });
  }
  let best: { count: number; pattern: LinePattern } | undefined;
  for (const c of counts.values()) if (!best || c.count > best.count) best = c;
  if (!best) return undefined;
  return { pattern: best.pattern.id, title: best.pattern.title, remediation: best.pattern.remediation };
}

function bump(counts: Map<string, { count: number; pattern: LinePattern }>, p: LinePattern): void {
  const had = counts.get(p.id);
  if (had) had.count++;
  else counts.set(p.id, { count: 1, pattern: p });
}

const round2 = (x: number) => Math.round(x * 100) / 100;
