import type { DirectedGraph } from "graphology";
import type { CorrelatedLine, EdgeEvidence } from "../types.ts";

/** The shapes of one request's call graph (see build.ts) and small helpers over it. */
export interface NodeData {
  /** True when the service logged nothing: it exists only because callers named it. */
  silent: boolean;
  lines: number;
  levels: Record<string, number>;
  /** error and fatal lines */
  errors: number;
  warns: number;
  /** Problem lines (warn and above) naming no callee. */
  unattributed: number;
  /** ms: first and last own line (for a silent node: first and last line naming it). */
  first: number;
  last: number;
  /** ms: the time the service was busy: own lines widened by durations they report; NaN when unknown. */
  start: number;
  end: number;
  templates: Map<string, { count: number; pattern?: string | undefined }>;
  /** The first few problem lines, in time order. */
  problems: CorrelatedLine[];
  /** Library patterns the problem lines matched, with counts. */
  patterns: Map<string, { count: number; pattern: LinePattern }>;
}

export type LinePattern = NonNullable<CorrelatedLine["pattern"]>;

export interface EdgeData {
  kinds: Set<EdgeEvidence>;
  /** Caller lines naming the callee. */
  naming: number;
  /** Caller error/fatal and warn lines naming the callee. */
  blameError: number;
  blameWarn: number;
  durationSum: number;
  durationCount: number;
  /** [start, end] ms of calls whose duration the caller reported. */
  callIntervals: Array<[number, number]>;
  /** Distinct calls seen on the callee's side (span ids), and those with a problem line. */
  calls: Set<string>;
  failedCalls: Set<string>;
  /** Caller problem lines naming the callee (a few). */
  examples: CorrelatedLine[];
  first: number;
  last: number;
}

export type CallGraph = DirectedGraph<NodeData, EdgeData>;

export interface RequestGraph {
  graph: CallGraph;
  /** The service the request entered by (no caller; reaches most; earliest). */
  entry: string | undefined;
  lines: number;
}

export function emptyEdge(t: number): EdgeData {
  return {
    kinds: new Set(),
    naming: 0,
    blameError: 0,
    blameWarn: 0,
    durationSum: 0,
    durationCount: 0,
    callIntervals: [],
    calls: new Set(),
    failedCalls: new Set(),
    examples: [],
    first: t,
    last: t,
  };
}

export const isErrorLevel = (level: string) => level === "error" || level === "fatal";
export const isProblemLevel = (level: string) => isErrorLevel(level) || level === "warn";
/** A node is failing when it logged a problem or a caller's problem line names it. */
export function isFailing(graph: CallGraph, id: string): boolean {
  const n = graph.getNodeAttributes(id);
  if (n.errors + n.warns > 0) return true;
  return graph.someInEdge(id, (_k, e) => e.blameError + e.blameWarn > 0);
}

/** Services reachable from `from` along call edges (not counting `from`). */
export function reachable(graph: CallGraph, from: string): Set<string> {
  const seen = new Set<string>([from]);
  const stack = [from];
  while (stack.length > 0) {
    for (const next of graph.outNeighbors(stack.pop()!)) {
      if (!seen.has(next)) {
        seen.add(next);
        stack.push(next);
      }
    }
  }
  seen.delete(from);
  return seen;
}
