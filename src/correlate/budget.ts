import { budgetTooSmall, costOf, fitAndStamp, type Step, tokensOf } from "../query/budget.ts";
import { CorrelateError } from "./errors.ts";
import type { CorrelateAnswer } from "./schemas.ts";

/**
 * Fitting a /correlate answer into max_tokens, cheapest loss first: the origin's alternatives, extra error
 * templates of the quietest services, evidence past the first two lines, bottlenecks past the first, then (in a
 * big graph) the edges with the fewest calls and the services left without an edge — never those on the origin's
 * chain or the critical path —, the remaining templates and evidence, the hints past the first (the first says
 * what was searched), the Mermaid text, long origin texts, the bottlenecks, and last the narrative's tail. The
 * Mermaid text is drawn again from what is left of the graph (`redraw`). Every removal is counted in `dropped`.
 */
export type Graph = CorrelateAnswer["graph"];

export function fitAnswer(
  answer: CorrelateAnswer,
  maxTokens: number,
  redraw: (graph: Graph) => string,
): CorrelateAnswer {
  const result = fitAndStamp(answer, maxTokens, steps(answer, redraw), () => {});
  if (!result.fits) {
    throw new CorrelateError(
      "refused",
      "budget-too-small",
      "max_tokens too small",
      ...budgetTooSmall(result.need, maxTokens, "name fewer services (window mode) or a shorter range"),
    );
  }
  return answer;
}

function steps(a: CorrelateAnswer, redraw: (graph: Graph) => string): Step[] {
  const d = a.dropped;
  const detail = (kind: string, text: string) => (removed: unknown) => {
    d.details++;
    note(d.notes, kind, text);
    return costOf(removed);
  };
  const nodesByQuiet = () => [...a.graph.nodes].sort((x, y) => x.errors - y.errors || x.lines - y.lines);
  const templatesOver = (keep: number) => () => {
    const n = nodesByQuiet().find((x) => x.error_templates.length > keep);
    return n ? detail("templates", "error templates of the quietest services")(n.error_templates.pop()) : false;
  };
  const listOver =
    <T>(list: () => T[] | undefined, keep: number, kind: string, text: string) =>
    () => {
      const l = list();
      return l && l.length > keep ? detail(kind, text)(l.pop()) : false;
    };
  return [
    listOver(() => a.origin?.alternatives, 0, "alternatives", "the origin's alternatives"),
    templatesOver(1),
    listOver(() => a.origin?.evidence, 2, "evidence", "origin evidence past the first"),
    listOver(() => a.bottlenecks, 1, "bottlenecks", "bottlenecks past the first"),
    graphTrimmer(a, redraw),
    templatesOver(0),
    listOver(() => a.origin?.evidence, 1, "evidence", "origin evidence past the first"),
    listOver(() => a.hints, 1, "hints", "hints past the first"),
    () =>
      clip(
        a,
        "mermaid",
        () => a.mermaid,
        (t) => (a.mermaid = t),
        0,
      ),
    () => clipOrigin(a),
    listOver(() => a.bottlenecks, 0, "bottlenecks", "bottlenecks"),
    () =>
      clip(
        a,
        "narrative",
        () => a.narrative,
        (t) => (a.narrative = t),
        160,
      ),
  ];
}

/** Cuts the origin's long texts: its evidence line, the remediation, the reason. */
function clipOrigin(a: CorrelateAnswer): number | false {
  const o = a.origin;
  if (!o) return false;
  const first = o.evidence[0];
  if (first !== undefined && first.length > 200)
    return clip(
      a,
      "evidence",
      () => first,
      (t) => (o.evidence[0] = t),
      200,
    );
  const rec = o.recommendation;
  if (rec && rec.remediation.length > 160) {
    return clip(
      a,
      "recommendation",
      () => rec.remediation,
      (t) => (rec.remediation = t),
      160,
    );
  }
  return o.reason.length > 200
    ? clip(
        a,
        "reason",
        () => o.reason,
        (t) => (o.reason = t),
        200,
      )
    : false;
}

/** Drops the weakest edge (fewest calls) off the origin chain and critical path, then services left alone. */
function graphTrimmer(a: CorrelateAnswer, redraw: (graph: Graph) => string): Step {
  const keep = new Set([...(a.origin?.chain ?? []), ...a.critical_path.map((c) => c.service)]);
  return () => {
    const g = a.graph;
    const linked = new Set(g.edges.flatMap((e) => [e.source, e.target]));
    const lonely = g.nodes.findIndex((n) => !keep.has(n.id) && !linked.has(n.id) && g.nodes.length > 1);
    let removed: unknown;
    if (lonely >= 0) {
      removed = g.nodes.splice(lonely, 1)[0];
      a.dropped.nodes++;
    } else {
      let weakest = -1;
      g.edges.forEach((e, i) => {
        if (keep.has(e.source) && keep.has(e.target)) return;
        if (weakest < 0 || e.calls < g.edges[weakest]!.calls) weakest = i;
      });
      if (weakest < 0) return false;
      removed = g.edges.splice(weakest, 1)[0];
      a.dropped.edges++;
    }
    note(
      a.dropped.notes,
      "graph",
      `${a.dropped.edges} weakest edge(s), ${a.dropped.nodes} unlinked service(s); origin chain and critical path kept`,
    );
    const before = tokensOf(a.mermaid);
    a.mermaid = redraw(g);
    return costOf(removed) + Math.max(0, before - tokensOf(a.mermaid));
  };
}

/** Cuts a text to `max` characters (0: empties it), noting it; false when it is short enough already. */
function clip(a: CorrelateAnswer, kind: string, get: () => string, set: (t: string) => void, max: number) {
  const text = get();
  if (text.length <= max) return false;
  const before = tokensOf(text);
  const cut = max === 0 ? "" : `${text.slice(0, max - 1)}…`;
  set(cut);
  a.dropped.details++;
  note(a.dropped.notes, kind, max === 0 ? "removed (the graph has the same)" : `cut to ${max} characters`);
  return Math.max(1, before - tokensOf(cut));
}

/** One note per kind of removal, updated in place. */
function note(notes: string[], kind: string, text: string) {
  const prefix = `${kind}: `;
  const i = notes.findIndex((n) => n.startsWith(prefix));
  if (i >= 0) notes[i] = prefix + text;
  else notes.push(prefix + text);
}
