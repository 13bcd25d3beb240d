import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "../deps.ts";
import { API_PREFIX } from "../http/paths.ts";
import { problemResponse } from "../http/problem.ts";
import { queryAnswerSchema, queryParamsSchema, servicesAnswerSchema, servicesParamsSchema } from "./schemas.ts";
import { runQuery } from "./service.ts";
import { listServices } from "./services.ts";

const errors = {
  400: problemResponse("Invalid parameters (the hint says how to fix the call)"),
  422: problemResponse("A Loki limit was hit (named in the title)"),
  503: problemResponse("Loki unavailable"),
  504: problemResponse("Loki or the request timed out"),
};

const queryRoute = createRoute({
  method: "get",
  path: `${API_PREFIX}/query`,
  tags: ["query"],
  summary: "Mode-based log query with an answer shaped for AI agents",
  description:
    "Builds safe LogQL from a mode and filters (or validates and scopes raw LogQL), reads the range past Loki's line limit by time-sliced paging up to a scan cap, and answers within max_tokens: every answer has logql, range, stats, dropped and hints.",
  request: { query: queryParamsSchema },
  responses: {
    200: { description: "The answer", content: { "application/json": { schema: queryAnswerSchema } } },
    ...errors,
  },
});

const servicesRoute = createRoute({
  method: "get",
  path: `${API_PREFIX}/services`,
  tags: ["query"],
  summary: "Services with volumes, the label scheme, and levels seen",
  request: { query: servicesParamsSchema },
  responses: {
    200: { description: "Services", content: { "application/json": { schema: servicesAnswerSchema } } },
    ...errors,
  },
});

export function registerQuery(app: OpenAPIHono, deps: Deps) {
  app.openapi(queryRoute, async (c) => {
    const answer = await runQuery(
      { loki: deps.loki, discovery: deps.discovery, settings: deps.querySettings, signal: c.req.raw.signal },
      c.req.valid("query"),
    );
    return c.json(answer as never, 200);
  });
  app.openapi(servicesRoute, async (c) => {
    const answer = await listServices(
      {
        loki: deps.loki,
        discovery: deps.discovery,
        maxRangeMs: deps.querySettings.maxRangeMs,
        signal: c.req.raw.signal,
      },
      c.req.valid("query"),
    );
    return c.json(answer, 200);
  });
}
