import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "../deps.ts";
import { requestSignal } from "../http/deadline.ts";
import { API_PREFIX } from "../http/paths.ts";
import { problemResponse } from "../http/problem.ts";
import { lokiFor } from "../http/tenant.ts";
import { patternsAnswerSchema, patternsParamsSchema } from "./schemas.ts";
import type { PatternsService } from "./service.ts";

export { createPatternsService, type PatternsService, type PatternsServiceOptions } from "./service.ts";

const route = createRoute({
  method: "get",
  path: `${API_PREFIX}/patterns`,
  tags: ["patterns"],
  summary: "The failure pattern library and the templates learned per service",
  description:
    "Without a service or range: the library (filter with category, severity, min_severity). With service and/or a range: the templates learned from those services' warn/error lines (one persistent miner per service), each with its count, a time series of counts, first/last seen, examples, parameter value samples and the library pattern it matches; Loki's own patterns beside them. Fits max_tokens; `dropped` says what was left out.",
  request: { query: patternsParamsSchema },
  responses: {
    200: {
      description: "The library and learned templates",
      content: { "application/json": { schema: patternsAnswerSchema } },
    },
    400: problemResponse("Invalid parameters (the hint says how to fix the call)"),
    401: problemResponse("No or unknown API key"),
    403: problemResponse("The API key lacks the read scope"),
    422: problemResponse("A Loki limit was hit, or max_tokens is too small"),
    503: problemResponse("Loki unavailable"),
    504: problemResponse("Loki or the request timed out"),
  },
});

/** Declares GET /api/v1/ai_logs/patterns on `app`. */
export function registerPatterns(app: OpenAPIHono, deps: Deps, patterns: PatternsService) {
  app.use(route.getRoutingPath(), deps.auth.requireScope("read"));
  app.openapi(route, async (c) => {
    // Loki calls and the learned miners are both the caller's tenant's.
    const answer = await patterns.list({ loki: lokiFor(c, deps), signal: requestSignal(c) }, c.req.valid("query"));
    return c.json(answer, 200);
  });
}
