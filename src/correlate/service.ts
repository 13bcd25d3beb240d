import { isoFromNs } from "../loki/time.ts";
import { fitAnswer } from "./budget.ts";
import { type CollectContext, type Collected, collectRequest, collectWindow } from "./collect.ts";
import { CorrelateError } from "./errors.ts";
import { correlateRequest, correlateWindow, mermaid } from "./graph/index.ts";
import { requestedId } from "./ids.ts";
import type { CorrelateAnswer, CorrelateParams } from "./schemas.ts";
import type { Correlation } from "./types.ts";

/**
 * GET /correlate: guard the parameters, collect the lines (one id's request, or a window), correlate them with
 * the graph core, fit the answer into max_tokens, and say in hints what was searched and what to call next.
 */
export interface CorrelateContext extends CollectContext {
  defaultMaxTokens: number;
}

export async function runCorrelate(ctx: CorrelateContext, p: CorrelateParams): Promise<CorrelateAnswer> {
  const asked = guard(p);
  const collected = asked
    ? await collectRequest(ctx, asked.id, p)
    : await collectWindow(ctx, p, p.service?.length ? p.service : undefined);
  const o = { knownServices: collected.knownServices, id: asked?.id };
  const correlation = asked ? correlateRequest(collected.lines, o) : correlateWindow(collected.lines, o);
  const answer = toAnswer(correlation, hintsOf(collected, correlation, asked));
  return fitAnswer(answer, p.max_tokens ?? ctx.defaultMaxTokens, (graph) => mermaid(graph, correlation.origin));
}

/** The id asked for (request mode), or undefined (window mode); 400 for a bad id or a parameter of the other mode. */
function guard(p: CorrelateParams): ReturnType<typeof requestedId> | undefined {
  if (p.trace_id === undefined) return undefined;
  if (p.service?.length) {
    throw new CorrelateError(
      "invalid",
      "service-with-trace-id",
      "service applies to window mode",
      "service was given with trace_id: a request is followed across every service it reached",
      "Drop service to follow the request everywhere, or drop trace_id for a window's dependency map of those services.",
    );
  }
  return requestedId(p.trace_id);
}

function toAnswer(c: Correlation, hints: string[]): CorrelateAnswer {
  return {
    mode: c.mode,
    graph: {
      nodes: c.graph.nodes.map((n) => ({ ...n, error_templates: n.error_templates.map((t) => ({ ...t })) })),
      edges: c.graph.edges.map((e) => ({ ...e, evidence: [...e.evidence] })),
    },
    origin: c.origin && {
      service: c.origin.service,
      reason: c.origin.reason,
      confidence: c.origin.confidence,
      evidence: [...c.origin.evidence],
      chain: [...c.origin.chain],
      ...(c.origin.recommendation ? { recommendation: c.origin.recommendation } : {}),
      alternatives: [...c.origin.alternatives],
    },
    critical_path: c.critical_path,
    bottlenecks: [...c.bottlenecks],
    mermaid: c.mermaid,
    narrative: c.narrative,
    tokens: 0,
    dropped: { nodes: 0, edges: 0, details: 0, notes: [] },
    hints,
  };
}

function hintsOf(collected: Collected, c: Correlation, asked: ReturnType<typeof requestedId> | undefined): string[] {
  const hints = [...collected.hints];
  if (asked?.from === "traceparent") hints.push(`trace_id was a W3C traceparent: searched its trace id ${asked.id}.`);
  if (collected.lines.length === 0) {
    hints.push(
      "No line in this range carries an id or reports a problem: widen the range (since=…) or check GET /api/v1/ai_logs/services.",
    );
  }
  if (c.origin) {
    const range = `start=${isoFromNs(collected.read.start)}&end=${isoFromNs(collected.read.end)}`;
    hints.push(
      `Next: GET /api/v1/ai_logs/query?mode=troubleshoot&service=${encodeURIComponent(c.origin.service)}&${range} for the origin's own problems.`,
    );
  }
  return hints;
}
