import type { Level } from "../query/lines.ts";

/**
 * The shared shapes of correlation (issue 13). The pure core (graph building and analysis over graphology)
 * takes CorrelatedLine[] and returns Correlation; collection (reading Loki) produces the lines; the route
 * budgets the answer. /query's likely_origin uses the same core.
 */

/** One log line of a request (or of a window), as collection hands it to the core. */
export interface CorrelatedLine {
  /** Unix ns. */
  ts: bigint;
  service: string;
  level: Level;
  message: string;
  line: string;
  /** The line's JSON/logfmt fields, structured metadata and labels merged (fields win). */
  fields: Record<string, unknown>;
  /** The correlation id this line carries (undefined for window lines without one). */
  id?: string | undefined;
  /** The miner's template of the message, when collection mined it. */
  template?: string | undefined;
  /** The pattern library's best match of the line. */
  pattern?: { id: string; title: string; severity: string; remediation: string } | undefined;
}

export type EdgeEvidence = "field" | "span" | "url" | "mention" | "timing";

export interface ServiceNode {
  /** The service name. */
  id: string;
  first_seen: string;
  last_seen: string;
  lines: number;
  levels: Record<string, number>;
  errors: number;
  /** Distinct error templates with their counts (up to a few). */
  error_templates: Array<{ template: string; count: number; pattern?: string | undefined }>;
  /** ms spent in this service and not in what it called (request mode), or mean per request (window mode). */
  self_ms: number | null;
  /** Requests seen (window mode). */
  requests?: number | undefined;
  /** True when the service logged no line: it is in the graph only because its callers name it. */
  silent?: boolean | undefined;
}

export interface CallEdge {
  source: string;
  target: string;
  calls: number;
  /** Mean latency of the calls (ms) when known. */
  latency_ms: number | null;
  errors: number;
  error_rate: number;
  /** How the edge is known, strongest first. */
  evidence: EdgeEvidence[];
}

export interface OriginFinding {
  service: string;
  reason: string;
  /** 0–1 */
  confidence: number;
  evidence: string[];
  /** Services from the origin to the entry point. */
  chain: string[];
  /** From the pattern library when the origin's error matches a known pattern. */
  recommendation?: { pattern: string; title: string; remediation: string } | undefined;
  alternatives: Array<{ service: string; score: number }>;
}

export interface Correlation {
  mode: "request" | "window";
  graph: { nodes: ServiceNode[]; edges: CallEdge[] };
  origin: OriginFinding | null;
  /** Services along where the request's time went, entry first, each with its ms. */
  critical_path: Array<{ service: string; ms: number }>;
  bottlenecks: Array<{ service: string; self_ms: number | null; centrality: number; reason: string }>;
  mermaid: string;
  narrative: string;
}
