import type { CallEdge, Correlation, OriginFinding, ServiceNode } from "../types.ts";

/**
 * Text views of a correlation (pure): a Mermaid flowchart and a short narrative for agents. Service names are
 * caller data: in Mermaid they only appear inside quoted labels, stripped of everything Mermaid (or a renderer's
 * HTML) would interpret; node ids are generated (n0, n1, …).
 */

export const MERMAID_MAX_NODES = 60;
const LABEL_CHARS = 60;

/** A name made safe for a quoted Mermaid label: letters, digits and ` _.:/@+-` only. */
export function mermaidLabel(text: string): string {
  const safe = text
    .replace(/[^A-Za-z0-9 _.:/@+-]/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return (safe.length > LABEL_CHARS ? `${safe.slice(0, LABEL_CHARS - 1)}~` : safe) || "unnamed";
}

/**
 * `mermaid(correlation)`, or `mermaid(graph, origin)` for a graph trimmed after the fact (the route's budget).
 * At most MERMAID_MAX_NODES services: the origin's chain and the critical path first; a comment says what is left out.
 */
export function mermaid(input: Correlation | Correlation["graph"], originArg?: OriginFinding | null): string {
  const c: Pick<Correlation, "graph" | "origin" | "critical_path"> =
    "nodes" in input ? { graph: input, origin: originArg ?? null, critical_path: [] } : input;
  const { nodes, edges } = c.graph;
  const shown = pickNodes(c, MERMAID_MAX_NODES);
  const ids = new Map(shown.map((n, i) => [n.id, `n${i}`]));
  const out = ["flowchart LR"];
  const kept = edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  if (shown.length < nodes.length) {
    out.push(
      `  %% ${nodes.length - shown.length} of ${nodes.length} services and ${edges.length - kept.length} calls not shown (the least involved)`,
    );
  }
  for (const n of shown) out.push(`  ${ids.get(n.id)}["${nodeLabel(n)}"]`);
  for (const e of kept) {
    const arrow = e.errors > 0 ? "==>" : e.evidence.length === 1 && e.evidence[0] === "timing" ? "-.->" : "-->";
    out.push(`  ${ids.get(e.source)} ${arrow}|"${edgeLabel(e)}"| ${ids.get(e.target)}`);
  }
  out.push("  classDef origin fill:#ffd6d6,stroke:#c00000,stroke-width:3px");
  out.push("  classDef failing fill:#fff1d6,stroke:#b36b00");
  out.push("  classDef silent stroke-dasharray:5 5");
  const classed = (name: string, pick: (n: ServiceNode) => boolean) => {
    const list = shown.filter(pick).map((n) => ids.get(n.id));
    if (list.length > 0) out.push(`  class ${list.join(",")} ${name}`);
  };
  const origin = c.origin?.service;
  classed("failing", (n) => n.id !== origin && n.errors > 0);
  classed("silent", (n) => n.silent === true);
  classed("origin", (n) => n.id === origin);
  return out.join("\n");
}

/** The origin's chain and the critical path first, then the services with most errors and lines. */
function pickNodes(c: Pick<Correlation, "graph" | "origin" | "critical_path">, max: number): ServiceNode[] {
  const nodes = c.graph.nodes;
  if (nodes.length <= max) return nodes;
  const first = new Set([...(c.origin?.chain ?? []), ...c.critical_path.map((p) => p.service)]);
  const ranked = [...nodes].sort(
    (a, b) =>
      Number(first.has(b.id)) - Number(first.has(a.id)) ||
      b.errors - a.errors ||
      (b.requests ?? b.lines) - (a.requests ?? a.lines),
  );
  return ranked.slice(0, max);
}

function nodeLabel(n: ServiceNode): string {
  const parts = [mermaidLabel(n.id)];
  if (n.silent) parts.push("no lines");
  if (n.errors > 0) parts.push(`${n.errors} err`);
  if ((n.levels.warn ?? 0) > 0) parts.push(`${n.levels.warn} warn`);
  if (n.self_ms !== null && n.self_ms > 0) parts.push(`self ${duration(n.self_ms)}`);
  return parts.join(", ");
}

function edgeLabel(e: CallEdge): string {
  const parts = [`${e.calls} call${e.calls === 1 ? "" : "s"}`];
  if (e.errors > 0) parts.push(`${e.errors} err`);
  if (e.latency_ms !== null) parts.push(duration(e.latency_ms));
  return parts.join(", ");
}

/** "120 ms", "5.1 s". */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * One to three sentences: where the request failed and why, the path from the entry to the origin, and where the
 * time went; in window mode, the dependency map's size and the likely origin of the window's errors.
 */
export function narrative(c: Correlation, id?: string): string {
  if (c.mode === "window") return windowNarrative(c);
  const who = id ? `request ${id.length > 12 ? `${id.slice(0, 8)}…` : id}` : "the request";
  const parts: string[] = [];
  const o = c.origin;
  if (o) {
    const what = failureText(c, o.service);
    const failed = c.graph.nodes.some((n) => n.errors > 0);
    const verb = failed ? "failed at" : "logged no error; its warnings start at";
    parts.push(`${who} ${verb} ${o.service}${what ? `: ${what}` : ""}`);
    if (o.chain.length > 1) parts.push([...o.chain].reverse().join(" → "));
  } else {
    parts.push(`${who} shows no failure across ${c.graph.nodes.length} service(s)`);
    if (c.critical_path.length > 1) parts.push(c.critical_path.map((p) => p.service).join(" → "));
  }
  const time = timeText(c);
  if (time) parts.push(time);
  return `${parts.join("; ")}.`;
}

function windowNarrative(c: Correlation): string {
  const errors = c.graph.nodes.reduce((a, n) => a + n.errors, 0);
  const head = `${c.graph.nodes.length} service(s) and ${c.graph.edges.length} call edge(s) in the window, ${errors} error line(s)`;
  const o = c.origin;
  const origin = o ? `; errors most likely start at ${o.service} (confidence ${o.confidence}): ${o.reason}` : "";
  const slow = [...c.graph.edges].sort((a, b) => (b.latency_ms ?? 0) - (a.latency_ms ?? 0))[0];
  const slowest = slow?.latency_ms
    ? `; slowest call ${slow.source} → ${slow.target} (mean ${duration(slow.latency_ms)})`
    : "";
  return `${head}${origin}${slowest}.`;
}

/** The origin's top error template, or (silent origin) its caller's about it. */
function failureText(c: Correlation, service: string): string {
  const node = c.graph.nodes.find((n) => n.id === service);
  const own = node?.error_templates[0]?.template;
  const caller = c.origin?.chain[1];
  const text = own ?? c.graph.nodes.find((n) => n.id === caller)?.error_templates[0]?.template;
  if (!text) return "";
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > 100 ? `${oneLine.slice(0, 99)}…` : oneLine;
}

/** "5.0 s of 5.1 s spent waiting on payments": the deepest service on the critical path holding most of the time. */
function timeText(c: Correlation): string {
  const path = c.critical_path;
  const total = path[0]?.ms ?? 0;
  if (path.length < 2 || total <= 0) return "";
  const deep = [...path].reverse().find((p, i) => i < path.length - 1 && p.ms >= total / 2);
  if (!deep) return `${duration(total)} in total, most of it in ${path[0]!.service} itself`;
  return `${duration(deep.ms)} of ${duration(total)} spent waiting on ${deep.service}`;
}
