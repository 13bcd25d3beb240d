import { DirectedGraph } from "graphology";
import type { CorrelatedLine, EdgeEvidence } from "../types.ts";
import { type CallGraph, type EdgeData, emptyEdge, type NodeData, type RequestGraph, reachable } from "./model.ts";
import { type LineSignals, lineSignals, type ServiceIndex, toMs } from "./signals.ts";
import { addTimingEdges, dropWeakReverseEdges } from "./timing.ts";

/**
 * One request's call graph (pure, over graphology): a node per service with what its lines say, an edge per
 * caller → callee with the evidence that made it. Built in one pass over the lines (sorted once), then the span
 * links are resolved, weaker reverse edges dropped and nesting in time fills in callers nothing else names.
 */
const EXAMPLES = 3;
const TEMPLATES = 5;
const isError = (l: CorrelatedLine) => l.level === "error" || l.level === "fatal";
const isProblem = (l: CorrelatedLine) => isError(l) || l.level === "warn";

/** `timing: false` for lines of many requests (window lines without an id): nesting in time means nothing there. */
export function buildRequestGraph(
  input: CorrelatedLine[],
  services: ServiceIndex,
  o: { timing?: boolean } = {},
): RequestGraph {
  const lines = [...input].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  return buildCallGraph(
    lines.map((line) => ({ line, signals: lineSignals(line, services) })),
    o,
  );
}

/** A line with what it says about calls, read already (see signals.ts). */
export interface SignalledLine {
  line: CorrelatedLine;
  signals: LineSignals;
}

/** The graph of lines whose signals are known, in time order (for callers that found the callees themselves). */
export function buildCallGraph(items: SignalledLine[], o: { timing?: boolean } = {}): RequestGraph {
  const graph: CallGraph = new DirectedGraph<NodeData, EdgeData>();
  const spanOwner = new Map<string, string>();
  const parentLinks: Array<{ service: string; parent: string; call: string; problem: boolean; t: number }> = [];
  for (const { line: l, signals: s } of items) {
    const t = toMs(l.ts);
    addLine(graph, l, t, s);
    if (s.spanId && !spanOwner.has(s.spanId)) spanOwner.set(s.spanId, l.service);
    const call = s.spanId ?? s.parentSpanId ?? "";
    for (const caller of s.callers) calleeSide(edgeOf(graph, caller, l.service, t), "field", call, isProblem(l));
    if (s.parentSpanId && s.parentSpanId !== s.spanId) {
      parentLinks.push({ service: l.service, parent: s.parentSpanId, call, problem: isProblem(l), t });
    }
  }
  for (const p of parentLinks) {
    const owner = spanOwner.get(p.parent);
    if (owner && owner !== p.service) calleeSide(edgeOf(graph, owner, p.service, p.t), "span", p.call, p.problem);
  }
  finishSilentNodes(graph);
  dropWeakReverseEdges(graph);
  if (o.timing !== false) addTimingEdges(graph);
  return { graph, entry: entryOf(graph), lines: items.length };
}

/** Records one line on its service's node and on the edges to the callees it names. */
function addLine(graph: CallGraph, l: CorrelatedLine, t: number, s: LineSignals): void {
  const node = nodeOf(graph, l.service, t);
  if (node.silent) Object.assign(node, { silent: false, first: t, start: t, end: t });
  node.lines++;
  node.levels[l.level] = (node.levels[l.level] ?? 0) + 1;
  node.last = t;
  node.end = Math.max(node.end, t);
  const problem = isProblem(l);
  if (isError(l)) node.errors++;
  else if (l.level === "warn") node.warns++;
  if (problem) {
    if (s.callees.size === 0) node.unattributed++;
    if (node.problems.length < EXAMPLES) node.problems.push(l);
    countTemplate(node, l);
  }
  const d = s.durationMs;
  // A duration on a line naming one callee is that call's; on a line naming none, the service's own handling.
  if (d !== undefined && s.callees.size === 0) node.start = Math.min(node.start, t - d);
  for (const [callee, kind] of s.callees) {
    const e = edgeOf(graph, l.service, callee, t);
    e.kinds.add(kind);
    e.naming++;
    if (isError(l)) e.blameError++;
    else if (l.level === "warn") e.blameWarn++;
    if (problem && e.examples.length < EXAMPLES) e.examples.push(l);
    if (d !== undefined && s.callees.size === 1) {
      e.durationSum += d;
      e.durationCount++;
      e.callIntervals.push([t - d, t]);
    }
  }
}

/** A call seen from the callee's side (its caller field or its parent span). */
function calleeSide(e: EdgeData, kind: EdgeEvidence, call: string, problem: boolean): void {
  e.kinds.add(kind);
  e.calls.add(call);
  if (problem) e.failedCalls.add(call);
}

function countTemplate(node: NodeData, l: CorrelatedLine): void {
  const key = l.template ?? l.message;
  const had = node.templates.get(key);
  if (had) had.count++;
  else if (node.templates.size < TEMPLATES * 4) node.templates.set(key, { count: 1, pattern: l.pattern?.id });
  if (l.pattern) {
    const p = node.patterns.get(l.pattern.id);
    if (p) p.count++;
    else node.patterns.set(l.pattern.id, { count: 1, pattern: l.pattern });
  }
}

function nodeOf(graph: CallGraph, service: string, t: number): NodeData {
  if (graph.hasNode(service)) return graph.getNodeAttributes(service);
  const node: NodeData = {
    silent: true,
    lines: 0,
    levels: {},
    errors: 0,
    warns: 0,
    unattributed: 0,
    first: t,
    last: t,
    start: Number.NaN,
    end: Number.NaN,
    templates: new Map(),
    problems: [],
    patterns: new Map(),
  };
  graph.addNode(service, node);
  return node;
}

function edgeOf(graph: CallGraph, source: string, target: string, t: number): EdgeData {
  nodeOf(graph, source, t);
  nodeOf(graph, target, t);
  const key = graph.edge(source, target);
  if (key !== undefined) {
    const e = graph.getEdgeAttributes(key);
    e.last = Math.max(e.last, t);
    return e;
  }
  const e = emptyEdge(t);
  graph.addDirectedEdge(source, target, e);
  return e;
}

/** A silent node's times are those of the lines naming it; its busy time that of the calls reported to it. */
function finishSilentNodes(graph: CallGraph): void {
  graph.forEachNode((_, node) => {
    if (!node.silent) return;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    let start = Number.POSITIVE_INFINITY;
    let end = Number.NEGATIVE_INFINITY;
    graph.forEachInEdge(_, (_e, e) => {
      first = Math.min(first, e.first);
      last = Math.max(last, e.last);
      for (const [a, b] of e.callIntervals) {
        start = Math.min(start, a);
        end = Math.max(end, b);
      }
    });
    Object.assign(node, {
      first,
      last,
      start: start <= end ? start : Number.NaN,
      end: start <= end ? end : Number.NaN,
    });
  });
}

/** Roots (no caller), the one reaching most services first, then the earliest. */
function entryOf(graph: CallGraph): string | undefined {
  let best: { id: string; reach: number; first: number } | undefined;
  graph.forEachNode((id, node) => {
    if (graph.inDegree(id) > 0) return;
    const reach = reachable(graph, id).size;
    if (!best || reach > best.reach || (reach === best.reach && node.first < best.first)) {
      best = { id, reach, first: node.first };
    }
  });
  return best?.id ?? graph.nodes()[0];
}
