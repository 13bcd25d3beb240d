import { DirectedGraph } from "graphology";
import { findMentions } from "../mentions.ts";
import { likelyOrigin, type ProblemLine } from "../origin.ts";
import type { CallEdge, CorrelatedLine, Correlation, EdgeEvidence, OriginFinding, ServiceNode } from "../types.ts";
import { findOrigin } from "./blame.ts";
import { buildRequestGraph } from "./build.ts";
import { isProblemLevel, type RequestGraph } from "./model.ts";
import { mermaid, narrative } from "./render.ts";
import { type CorrelateOptions, callEdges, serviceNodes, sortEvidence } from "./request.ts";
import { type ServiceIndex, serviceIndex, toMs } from "./signals.ts";
import { bottlenecks, round, selfTimes, waitMs } from "./time.ts";

/**
 * Window mode (pure): the lines of many requests, grouped by id, each correlated as a request; their graphs summed
 * into a dependency map (calls, error rates and mean latency per edge; requests, errors and mean self time per
 * service) and their origins voted into the likely origin of the window's errors (each request's vote weighted by
 * its confidence). Lines without an id add their services and named calls, and /query's ranking of them one vote
 * weighted by how many failing requests their problem lines amount to.
 */

interface NodeSum {
  node: ServiceNode;
  selfSum: number;
  selfN: number;
  busySum: number;
}
interface EdgeSum {
  edge: CallEdge;
  latencySum: number;
  latencyN: number;
  waitSum: number;
  requests: number;
  kinds: Set<EdgeEvidence>;
}
type WindowGraph = DirectedGraph<NodeSum, EdgeSum>;

interface Votes {
  weight: Map<string, number>;
  count: Map<string, number>;
  best: Map<string, OriginFinding>;
  /** Requests with an error line, and those that only warned. */
  failing: number;
  warnOnly: number;
  problemLines: number;
}

const WARN_ONLY_WEIGHT = 0.25;

export function correlateWindow(lines: CorrelatedLine[], o: CorrelateOptions): Correlation {
  const services = serviceIndex([...o.knownServices, ...lines.map((l) => l.service)]);
  const { byId, loose } = groupById(lines);
  const graph: WindowGraph = new DirectedGraph<NodeSum, EdgeSum>();
  const votes: Votes = {
    weight: new Map(),
    count: new Map(),
    best: new Map(),
    failing: 0,
    warnOnly: 0,
    problemLines: 0,
  };
  for (const group of byId.values()) {
    const rg = buildRequestGraph(group, services);
    addRequest(graph, rg, true);
    vote(votes, findOrigin(rg), group);
  }
  if (loose.length > 0) addRequest(graph, buildRequestGraph(loose, services, { timing: false }), false);
  const origin = windowOrigin(votes, loose, services);
  const correlation: Correlation = {
    mode: "window",
    graph: { nodes: graph.mapNodes((_, n) => finishNode(n)), edges: graph.mapEdges((_, e) => finishEdge(e)) },
    origin,
    critical_path: windowPath(graph),
    bottlenecks: bottlenecks(graph, new Map(graph.mapNodes((id, n) => [id, meanSelf(n)])), { unit: " per request" }),
    mermaid: "",
    narrative: "",
  };
  correlation.mermaid = mermaid(correlation);
  correlation.narrative = narrative(correlation);
  return correlation;
}

function groupById(lines: CorrelatedLine[]) {
  const byId = new Map<string, CorrelatedLine[]>();
  const loose: CorrelatedLine[] = [];
  for (const l of lines) {
    if (!l.id) {
      loose.push(l);
      continue;
    }
    const g = byId.get(l.id);
    if (g) g.push(l);
    else byId.set(l.id, [l]);
  }
  return { byId, loose };
}

/** Adds one request's graph (or the id-less lines' graph, `isRequest` false) to the window's sums. */
function addRequest(graph: WindowGraph, rg: RequestGraph, isRequest: boolean): void {
  const self = isRequest ? selfTimes(rg.graph) : new Map<string, number | null>();
  for (const n of serviceNodes(rg.graph, self)) {
    const sum = graph.hasNode(n.id) ? graph.getNodeAttributes(n.id) : newNode(graph, n);
    mergeNode(sum.node, n);
    if (isRequest) sum.node.requests = (sum.node.requests ?? 0) + 1;
    if (n.self_ms !== null) {
      sum.selfSum += n.self_ms;
      sum.selfN++;
    }
    const busy = rg.graph.getNodeAttributes(n.id);
    if (isRequest && Number.isFinite(busy.start)) sum.busySum += busy.end - busy.start;
  }
  for (const e of callEdges(rg.graph)) {
    const key = graph.edge(e.source, e.target);
    const sum = key !== undefined ? graph.getEdgeAttributes(key) : newEdge(graph, e);
    sum.edge.calls += e.calls;
    sum.edge.errors += e.errors;
    for (const k of e.evidence) sum.kinds.add(k);
    if (e.latency_ms !== null) {
      sum.latencySum += e.latency_ms * e.calls;
      sum.latencyN += e.calls;
    }
    if (isRequest) {
      sum.requests++;
      sum.waitSum += waitMs(rg.graph, e.source, e.target);
    }
  }
}

function newNode(graph: WindowGraph, n: ServiceNode): NodeSum {
  const node: ServiceNode = { ...n, lines: 0, levels: {}, errors: 0, error_templates: [], self_ms: null, requests: 0 };
  const sum = { node, selfSum: 0, selfN: 0, busySum: 0 };
  graph.addNode(n.id, sum);
  return sum;
}

function newEdge(graph: WindowGraph, e: CallEdge): EdgeSum {
  const edge: CallEdge = { ...e, calls: 0, errors: 0, evidence: [] };
  const sum = { edge, latencySum: 0, latencyN: 0, waitSum: 0, requests: 0, kinds: new Set<EdgeEvidence>() };
  graph.addDirectedEdge(e.source, e.target, sum);
  return sum;
}

function mergeNode(into: ServiceNode, n: ServiceNode): void {
  into.lines += n.lines;
  into.errors += n.errors;
  for (const [k, v] of Object.entries(n.levels)) into.levels[k] = (into.levels[k] ?? 0) + v;
  if (n.first_seen && (!into.first_seen || n.first_seen < into.first_seen)) into.first_seen = n.first_seen;
  if (n.last_seen > into.last_seen) into.last_seen = n.last_seen;
  if (!n.silent) delete into.silent;
  for (const t of n.error_templates) {
    const had = into.error_templates.find((x) => x.template === t.template);
    if (had) had.count += t.count;
    else if (into.error_templates.length < 20) into.error_templates.push({ ...t });
  }
}

const meanSelf = (n: NodeSum) => (n.selfN > 0 ? round(n.selfSum / n.selfN) : null);

function finishNode(n: NodeSum): ServiceNode {
  n.node.error_templates.sort((a, b) => b.count - a.count);
  n.node.error_templates.length = Math.min(5, n.node.error_templates.length);
  n.node.self_ms = meanSelf(n);
  return n.node;
}

function finishEdge(e: EdgeSum): CallEdge {
  const { edge } = e;
  edge.latency_ms = e.latencyN > 0 ? round(e.latencySum / e.latencyN) : null;
  edge.error_rate = edge.calls > 0 ? Math.round((edge.errors / edge.calls) * 100) / 100 : 0;
  edge.evidence = sortEvidence(e.kinds);
  return edge;
}

/** A request's origin votes with its confidence; a request that only warned (no error line) with a quarter of it. */
function vote(votes: Votes, origin: OriginFinding | null, group: CorrelatedLine[]): void {
  if (!origin) return;
  const failed = group.some((l) => l.level === "error" || l.level === "fatal");
  const s = origin.service;
  votes.weight.set(s, (votes.weight.get(s) ?? 0) + origin.confidence * (failed ? 1 : WARN_ONLY_WEIGHT));
  if (!failed) {
    votes.warnOnly++;
    return;
  }
  votes.failing++;
  votes.problemLines += group.filter((l) => isProblemLevel(l.level)).length;
  votes.count.set(s, (votes.count.get(s) ?? 0) + 1);
  const had = votes.best.get(s);
  if (!had || origin.confidence > had.confidence) votes.best.set(s, origin);
}

/** The service most often the requests' origin (weighted), with /query's ranking of the id-less lines as one more vote. */
function windowOrigin(votes: Votes, loose: CorrelatedLine[], services: ServiceIndex): OriginFinding | null {
  const looseOrigin = looseLinesOrigin(loose, services);
  if (looseOrigin) {
    const perRequest = votes.failing > 0 ? votes.problemLines / votes.failing : 1;
    const w = looseOrigin.confidence * Math.max(1, looseOrigin.problemLines / Math.max(1, perRequest));
    votes.weight.set(looseOrigin.service, (votes.weight.get(looseOrigin.service) ?? 0) + w);
  }
  const ranked = [...votes.weight.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (ranked.length === 0) return null;
  const [service, weight] = ranked[0]!;
  const sum = ranked.reduce((a, [, v]) => a + v, 0);
  const sample = votes.best.get(service);
  const reason = windowReason(service, votes, looseOrigin);
  const evidence = [reason, ...(sample?.evidence ?? looseOrigin?.evidence ?? []).slice(0, 4)];
  return {
    service,
    reason,
    confidence: Math.round((weight / sum) * 100) / 100,
    evidence,
    chain: sample?.chain ?? [service],
    recommendation: sample?.recommendation,
    alternatives: ranked.slice(1, 4).map(([s, v]) => ({ service: s, score: Math.round((v / sum) * 100) / 100 })),
  };
}

function windowReason(service: string, votes: Votes, looseOrigin: { service: string; reason: string } | undefined) {
  const n = votes.count.get(service) ?? 0;
  const fromLoose = looseOrigin?.service === service ? "; the lines without an id point at it too" : "";
  if (n > 0) return `${service} is the origin in ${n} of ${votes.failing} failing request(s)${fromLoose}`;
  if (looseOrigin?.service === service) return `the lines without an id point at ${service}: ${looseOrigin.reason}`;
  return `no request failed with an error; ${service} is where the warnings of ${votes.warnOnly} request(s) start`;
}

/** /query's likely origin over the problem lines without an id. */
function looseLinesOrigin(loose: CorrelatedLine[], services: ServiceIndex) {
  const problems: ProblemLine[] = loose
    .filter((l) => isProblemLevel(l.level))
    .map((l) => ({
      service: l.service,
      ts: toMs(l.ts),
      level: l.level,
      message: l.message,
      mentions: findMentions(l.service, l.message, l.fields, services.known),
    }));
  const o = likelyOrigin(problems);
  return o ? { ...o, problemLines: problems.length } : undefined;
}

/** From the root seen in most requests, the callee with the most mean waiting per request, ms as means. */
function windowPath(graph: WindowGraph): Correlation["critical_path"] {
  let entry: string | undefined;
  graph.forEachNode((id, n) => {
    if (graph.inDegree(id) > 0) return;
    const best = entry === undefined ? -1 : (graph.getNodeAttributes(entry).node.requests ?? 0);
    if ((n.node.requests ?? 0) > best) entry = id;
  });
  if (entry === undefined) return [];
  const root = graph.getNodeAttributes(entry);
  const path = [{ service: entry, ms: round(root.busySum / Math.max(1, root.node.requests ?? 0)) }];
  const seen = new Set([entry]);
  for (let at = entry; ; ) {
    let best: { id: string; ms: number } | undefined;
    graph.forEachOutEdge(at, (_k, e, _s, target) => {
      const ms = e.waitSum / Math.max(1, e.requests);
      if (!seen.has(target) && (!best || ms > best.ms)) best = { id: target, ms };
    });
    if (!best) return path;
    path.push({ service: best.id, ms: round(best.ms) });
    seen.add(best.id);
    at = best.id;
  }
}
