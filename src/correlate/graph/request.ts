import type { CallEdge, CorrelatedLine, Correlation, EdgeEvidence, ServiceNode } from "../types.ts";
import { findOrigin } from "./blame.ts";
import { buildRequestGraph } from "./build.ts";
import type { CallGraph, EdgeData } from "./model.ts";
import { mermaid, narrative } from "./render.ts";
import { EVIDENCE_ORDER, serviceIndex } from "./signals.ts";
import { bottlenecks, criticalPath, edgeLatency, selfTimes } from "./time.ts";

export interface CorrelateOptions {
  /**
   * Every service of the tenant (not only those with lines): a service named by its callers but silent for this
   * request is only recognised when it is known.
   */
  knownServices: string[];
  /** The request's id, for the narrative. */
  id?: string | undefined;
}

/** One request's lines → its call graph, where its time went and where its failure started. */
export function correlateRequest(lines: CorrelatedLine[], o: CorrelateOptions): Correlation {
  const services = serviceIndex([...o.knownServices, ...lines.map((l) => l.service)]);
  const rg = buildRequestGraph(lines, services);
  const self = selfTimes(rg.graph);
  const path = criticalPath(rg.graph, rg.entry);
  const correlation: Correlation = {
    mode: "request",
    graph: { nodes: serviceNodes(rg.graph, self), edges: callEdges(rg.graph) },
    origin: findOrigin(rg),
    critical_path: path,
    bottlenecks: bottlenecks(rg.graph, self, { total: path[0]?.ms }),
    mermaid: "",
    narrative: "",
  };
  correlation.mermaid = mermaid(correlation);
  correlation.narrative = narrative(correlation, o.id ?? lines.find((l) => l.id)?.id);
  return correlation;
}

export function serviceNodes(graph: CallGraph, self: Map<string, number | null>): ServiceNode[] {
  return graph.mapNodes((id, n) => {
    const templates = [...n.templates.entries()]
      .sort((a, b) => b[1].count - a[1].count)
      .slice(0, 5)
      .map(([template, t]) => ({ template, count: t.count, ...(t.pattern ? { pattern: t.pattern } : {}) }));
    return {
      id,
      first_seen: iso(n.first),
      last_seen: iso(n.last),
      lines: n.lines,
      levels: { ...n.levels },
      errors: n.errors,
      error_templates: templates,
      self_ms: self.get(id) ?? null,
      ...(n.silent ? { silent: true } : {}),
    };
  });
}

/** Calls of an edge: distinct callee-side calls, else calls with a reported duration, else lines naming the callee. */
export function callsOf(e: EdgeData): number {
  return Math.max(1, e.calls.size || e.durationCount || e.naming);
}

export function errorsOf(e: EdgeData, calls: number): number {
  return Math.min(calls, Math.max(e.failedCalls.size, e.blameError + e.blameWarn));
}

export function callEdges(graph: CallGraph): CallEdge[] {
  return graph.mapEdges((_k, e, source, target) => {
    const calls = callsOf(e);
    const errors = errorsOf(e, calls);
    return {
      source,
      target,
      calls,
      latency_ms: edgeLatency(graph, source, target, calls),
      errors,
      error_rate: Math.round((errors / calls) * 100) / 100,
      evidence: sortEvidence(e.kinds),
    };
  });
}

export const sortEvidence = (kinds: Iterable<EdgeEvidence>) => {
  const set = new Set(kinds);
  return EVIDENCE_ORDER.filter((k) => set.has(k));
};

/** ms → ISO time; "" when unknown. */
export const iso = (ms: number) => (Number.isFinite(ms) ? new Date(Math.floor(ms)).toISOString() : "");
