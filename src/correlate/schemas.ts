import { z } from "@hono/zod-openapi";
import { queryParamsSchema } from "../query/schemas.ts";

/** GET /correlate: one id's request (trace_id), or a window's dependency map (no trace_id). */
export const correlateParamsSchema = queryParamsSchema
  .pick({ start: true, end: true, since: true, max_tokens: true })
  .extend({
    trace_id: z.string().max(4096, "trace_id must be at most 256 characters (an id, not a line)").optional().openapi({
      description:
        "The request's id, whatever kind: trace_id, traceId, correlation_id, request_id, x-request-id, or a W3C traceparent (its trace id, the 2nd part, is searched). 4–256 characters, no spaces or control characters. Without it: window mode.",
      example: "4bf92f3577b34da6a3ce929d0e0e4736",
    }),
    service: queryParamsSchema.shape.service.openapi({
      description: "Window mode only: the services to map (repeatable or comma-separated). Default: every service.",
      example: "checkout",
    }),
  });
export type CorrelateParams = z.output<typeof correlateParamsSchema>;

const node = z
  .object({
    id: z.string().openapi({ description: "The service name" }),
    first_seen: z.string(),
    last_seen: z.string(),
    lines: z.number(),
    levels: z.record(z.string(), z.number()),
    errors: z.number(),
    error_templates: z.array(z.object({ template: z.string(), count: z.number(), pattern: z.string().optional() })),
    self_ms: z
      .number()
      .nullable()
      .openapi({ description: "ms spent here and not in what it called (window mode: mean per request)" }),
    requests: z.number().optional().openapi({ description: "Requests seen (window mode)" }),
    silent: z
      .boolean()
      .optional()
      .openapi({ description: "Logged nothing for this request: known only from its callers" }),
  })
  .openapi("ServiceNode");

const edge = z
  .object({
    source: z.string().openapi({ description: "The caller" }),
    target: z.string().openapi({ description: "The service called" }),
    calls: z.number(),
    latency_ms: z.number().nullable().openapi({ description: "Mean latency of the calls when known" }),
    errors: z.number(),
    error_rate: z.number(),
    evidence: z
      .array(z.enum(["field", "span", "url", "mention", "timing"]))
      .openapi({ description: "How the edge is known, strongest first" }),
  })
  .openapi("CallEdge");

const origin = z
  .object({
    service: z.string(),
    reason: z.string(),
    confidence: z.number().openapi({ description: "0–1" }),
    evidence: z.array(z.string()).openapi({ description: "Lines and facts that point at the origin" }),
    chain: z.array(z.string()).openapi({ description: "Services from the origin to the entry point" }),
    recommendation: z
      .object({ pattern: z.string(), title: z.string(), remediation: z.string() })
      .optional()
      .openapi({ description: "From the pattern library, when the origin's error matches a known pattern" }),
    alternatives: z.array(z.object({ service: z.string(), score: z.number() })).optional(),
  })
  .openapi("ErrorOrigin");

export const correlateAnswerSchema = z
  .object({
    mode: z.enum(["request", "window"]),
    graph: z.object({ nodes: z.array(node), edges: z.array(edge) }),
    origin: origin.nullable(),
    critical_path: z
      .array(z.object({ service: z.string(), ms: z.number() }))
      .openapi({ description: "Where the request's time went, entry first" }),
    bottlenecks: z.array(
      z.object({
        service: z.string(),
        self_ms: z.number().nullable(),
        centrality: z.number(),
        reason: z.string(),
      }),
    ),
    mermaid: z.string().openapi({ description: "A Mermaid flowchart of the graph" }),
    narrative: z.string().openapi({ description: "What happened, in a few sentences" }),
    tokens: z.number().openapi({ description: "Tokens of this answer (o200k)" }),
    dropped: z
      .object({
        nodes: z.number(),
        edges: z.number(),
        details: z.number().openapi({ description: "Evidence lines, templates, alternatives and bottlenecks removed" }),
        notes: z.array(z.string()),
      })
      .openapi({ description: "What the token budget removed" }),
    hints: z.array(z.string()).openapi({ description: "The window searched, caps reached, what to call next" }),
  })
  .openapi("Correlation");
export type CorrelateAnswer = z.infer<typeof correlateAnswerSchema>;
