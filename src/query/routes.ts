import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  alignRange,
  alignStepFor,
  bypassRequested,
  cached,
  cacheKey,
  type ParamObject,
  setCacheStatus,
  ttlFor,
} from "../cache/index.ts";
import type { Deps } from "../deps.ts";
import { requestSignal } from "../http/deadline.ts";
import { API_PREFIX } from "../http/paths.ts";
import { problemResponse } from "../http/problem.ts";
import { lokiFor, tenantOf } from "../http/tenant.ts";
import { msFromNs } from "../loki/time.ts";
import { queryAnswerSchema, queryParamsSchema, servicesAnswerSchema, servicesParamsSchema } from "./schemas.ts";
import { runQuery } from "./service.ts";
import { listServices } from "./services.ts";
import { keepWithinMax, type RangeInput, resolveRange } from "./time.ts";

const errors = {
  400: problemResponse("Invalid parameters (the hint says how to fix the call)"),
  401: problemResponse("Missing or unknown API key"),
  403: problemResponse("The API key lacks the read scope"),
  422: problemResponse("Refused by a guardrail or a Loki limit (the hint says how to narrow the query)"),
  429: problemResponse("Rate limit exceeded (see Retry-After)"),
  503: problemResponse("Loki unavailable"),
  504: problemResponse("Loki or the request timed out"),
};

const cacheHeaders = {
  "X-Cache": {
    description: "HIT, MISS or BYPASS (send Cache-Control: no-cache to bypass)",
    schema: { type: "string" as const },
  },
};

const queryRoute = createRoute({
  method: "get",
  path: `${API_PREFIX}/query`,
  tags: ["query"],
  summary: "Mode-based log query with an answer shaped for AI agents",
  description:
    "Builds safe LogQL from a mode and filters (or validates and scopes raw LogQL), reads the range past Loki's line limit by time-sliced paging up to a scan cap, and answers within max_tokens: every answer has logql, range, stats, dropped and hints. Answers are cached per tenant with a TTL that depends on how recent the range is.",
  request: { query: queryParamsSchema },
  responses: {
    200: {
      description: "The answer",
      headers: cacheHeaders,
      content: { "application/json": { schema: queryAnswerSchema } },
    },
    ...errors,
  },
});

const servicesRoute = createRoute({
  method: "get",
  path: `${API_PREFIX}/services`,
  tags: ["query"],
  summary: "Services with volumes, the label scheme, and levels seen",
  description:
    "Counts lines over every stream, so it is a heavy call: its range is at most SERVICES_MAX_RANGE (1d by default), it is refused (422) when Loki estimates more than QUERY_MAX_BYTES, and Cache-Control: no-cache is not honoured (answers are cached for the cache TTL).",
  request: { query: servicesParamsSchema },
  responses: {
    200: {
      description: "Services",
      headers: cacheHeaders,
      content: { "application/json": { schema: servicesAnswerSchema } },
    },
    ...errors,
  },
});

/**
 * Runs `compute` through the cache: the key is tenant + endpoint + the other
 * parameters + the resolved range aligned to a step (so "the last 15m" asked
 * twice a moment apart hits), the TTL follows how recent the range's end is.
 */
async function withCache<T>(
  c: Context,
  deps: Deps,
  endpoint: string,
  params: Record<string, unknown> & RangeInput,
  compute: (range: { start: string; end: string }, signal: AbortSignal) => Promise<T>,
  limits: { maxRangeMs?: number; honourNoCache?: boolean } = {},
): Promise<T> {
  const now = Date.now();
  // The range limit applies to the range as asked; alignment may not push it over (since=7d stays allowed).
  const maxRangeMs = limits.maxRangeMs ?? deps.querySettings.maxRangeMs;
  const resolved = resolveRange(params, now, maxRangeMs);
  const step = alignStepFor(resolved);
  const range = keepWithinMax(resolved, alignRange(resolved, step), step, maxRangeMs);
  const { start: _s, end: _e, since: _since, ...rest } = params;
  const key = cacheKey({ tenant: tenantOf(c, deps), endpoint, params: rest as ParamObject, range, alignMs: step });
  const ttl = ttlFor(msFromNs(range.end), now, deps.config.CACHE_TTL_TABLE);
  const { value, status } = await cached(
    deps.cache,
    key,
    ttl,
    // Shared work runs on the flight's own signal; this request's deadline only makes it stop waiting.
    (signal) => compute({ start: String(range.start), end: String(range.end) }, signal),
    { bypass: limits.honourNoCache !== false && bypassRequested(c), signal: requestSignal(c) },
  );
  setCacheStatus(c, status);
  return value;
}

export function registerQuery(app: OpenAPIHono, deps: Deps) {
  const read = deps.auth.requireScope("read");
  app.use(queryRoute.getRoutingPath(), read);
  app.use(servicesRoute.getRoutingPath(), read);

  app.openapi(queryRoute, async (c) => {
    const params = c.req.valid("query");
    const loki = lokiFor(c, deps);
    const answer = await withCache(c, deps, "query", params, (range, signal) =>
      runQuery(
        {
          loki,
          discovery: deps.discovery,
          settings: deps.querySettings,
          patterns: deps.patterns,
          signal,
        },
        { ...params, ...range, since: undefined },
      ),
    );
    return c.json(answer, 200);
  });

  app.openapi(servicesRoute, async (c) => {
    const params = c.req.valid("query");
    const loki = lokiFor(c, deps);
    // /services counts every stream: its own range cap and the byte budget; no-cache is not honoured (the
    // answer is cached at most a cache TTL, 30 s for recent ranges), so nobody can make it recount on demand.
    const maxRangeMs = Math.min(deps.config.SERVICES_MAX_RANGE, deps.querySettings.maxRangeMs);
    const maxBytes = deps.querySettings.maxBytes;
    const answer = await withCache(
      c,
      deps,
      "services",
      params,
      (range, signal) => listServices({ loki, discovery: deps.discovery, maxRangeMs, maxBytes, signal }, range),
      { maxRangeMs, honourNoCache: false },
    );
    return c.json(answer, 200);
  });
}
