/**
 * The correlation core (pure, over graphology): one request's lines or a window's → call graph, critical path,
 * bottlenecks, error origin, Mermaid and narrative. Collection (Loki) and the route live outside.
 */
export { type Blame, blame, chainToEntry, findOrigin } from "./blame.ts";
export { buildRequestGraph } from "./build.ts";
export type { CallGraph, EdgeData, NodeData, RequestGraph } from "./model.ts";
export { duration, MERMAID_MAX_NODES, mermaid, mermaidLabel, narrative } from "./render.ts";
export { type CorrelateOptions, correlateRequest } from "./request.ts";
export { type LineSignals, lineSignals, type ServiceIndex, serviceIndex } from "./signals.ts";
export { bottlenecks, criticalPath, selfTimes, waitMs } from "./time.ts";
export { correlateWindow } from "./window.ts";
