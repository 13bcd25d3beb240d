import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "../deps.ts";
import { requestSignal } from "../http/deadline.ts";
import { API_PREFIX } from "../http/paths.ts";
import { problemResponse } from "../http/problem.ts";
import { lokiFor } from "../http/tenant.ts";
import { analyzeAnswerSchema, analyzeParamsSchema } from "./schemas.ts";
import { runAnalyze } from "./service.ts";

const analyzeRoute = createRoute({
  method: "get",
  path: `${API_PREFIX}/analyze`,
  tags: ["analyze"],
  summary: "What changed: new, rising and steady templates, library hits and spikes, causes first",
  description:
    "Compares a window with a baseline (the same length before it, or the same time a day earlier): the problem lines (warn and worse) of both are mined with one template miner, so a template is new only when its shape is new; rising templates carry a ratio and a Bonferroni-corrected p-value; error and volume spikes per service come from Loki's count_over_time series (robust z on median/MAD). Findings are ranked causes first (a new template at the service that other services' new failures name), steady errors last, within max_tokens.",
  request: { query: analyzeParamsSchema },
  responses: {
    200: { description: "The findings", content: { "application/json": { schema: analyzeAnswerSchema } } },
    400: problemResponse("Invalid parameters (the hint says how to fix the call)"),
    401: problemResponse("Missing or unknown API key"),
    403: problemResponse("The API key lacks the read scope"),
    422: problemResponse("Refused by a guardrail or a Loki limit (the hint says how to narrow the query)"),
    429: problemResponse("Rate limit exceeded (see Retry-After)"),
    503: problemResponse("Loki unavailable"),
    504: problemResponse("Loki or the request timed out"),
  },
});

export function registerAnalyze(app: OpenAPIHono, deps: Deps) {
  app.use(analyzeRoute.getRoutingPath(), deps.auth.requireScope("read"));
  app.openapi(analyzeRoute, async (c) => {
    const params = c.req.valid("query");
    const answer = await runAnalyze(
      {
        loki: lokiFor(c, deps),
        discovery: deps.discovery,
        settings: deps.querySettings,
        patterns: deps.patterns,
        signal: requestSignal(c),
      },
      params,
    );
    return c.json(answer, 200);
  });
}
