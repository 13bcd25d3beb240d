import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "../deps.ts";
import { requestSignal } from "../http/deadline.ts";
import { API_PREFIX } from "../http/paths.ts";
import { problemResponse } from "../http/problem.ts";
import { lokiFor } from "../http/tenant.ts";
import { CORRELATE_DEFAULTS } from "./collect.ts";
import { correlateAnswerSchema, correlateParamsSchema } from "./schemas.ts";
import { runCorrelate } from "./service.ts";

const correlateRoute = createRoute({
  method: "get",
  path: `${API_PREFIX}/correlate`,
  tags: ["correlate"],
  summary: "One request's path through the services, or a window's dependency map, with the error origin",
  description:
    "With trace_id (any id kind: trace_id, traceId, correlation_id, request_id, x-request-id, a W3C traceparent): finds the id's first line within start/end/since (default the last hour), reads every service from 1 minute before it to 10 minutes after (up to 20,000 lines, each confirmed to carry the id), and answers the request's call graph, critical path, bottlenecks, error origin with its chain to the entry, a Mermaid flowchart and a narrative. Without trace_id (window mode): the range's id-bearing and problem lines (up to 120,000 read), aggregated into a service dependency map with call counts, error rates and latency per edge, and the likely origin of the window's errors. Every answer fits max_tokens; `dropped` says what the budget removed, `hints` which window was searched.",
  request: { query: correlateParamsSchema },
  responses: {
    200: { description: "The correlation", content: { "application/json": { schema: correlateAnswerSchema } } },
    400: problemResponse(
      "Invalid parameters: a bad id (too long, control characters, spaces), bad times, service with trace_id",
    ),
    401: problemResponse("Missing or unknown API key"),
    403: problemResponse("The API key lacks the read scope"),
    404: problemResponse("No line carries the id in the range searched (the hint says how to widen it)"),
    422: problemResponse("Refused by a guardrail (estimated bytes) or max_tokens too small"),
    429: problemResponse("Rate limit exceeded (see Retry-After)"),
    503: problemResponse("Loki unavailable"),
    504: problemResponse("Loki or the request timed out"),
  },
});

export function registerCorrelate(app: OpenAPIHono, deps: Deps) {
  app.use(correlateRoute.getRoutingPath(), deps.auth.requireScope("read"));
  app.openapi(correlateRoute, async (c) => {
    const params = c.req.valid("query");
    const s = deps.querySettings;
    const answer = await runCorrelate(
      {
        loki: lokiFor(c, deps),
        discovery: deps.discovery,
        patterns: deps.patterns,
        signal: requestSignal(c),
        defaultMaxTokens: s.defaultMaxTokens,
        settings: { maxRangeMs: s.maxRangeMs, maxBytes: s.maxBytes, pageSize: s.pageSize, ...CORRELATE_DEFAULTS },
      },
      params,
    );
    return c.json(answer, 200);
  });
}
