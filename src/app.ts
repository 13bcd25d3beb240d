import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { requestId } from "hono/request-id";
import { registerAnalyze } from "./analyze/routes.ts";
import { RedisCache } from "./cache/index.ts";
import { registerCorrelate } from "./correlate/routes.ts";
import type { Deps } from "./deps.ts";
import { registerExport } from "./export/routes.ts";
import { registerHealth } from "./health/routes.ts";
import { deadline } from "./http/deadline.ts";
import { errorHandler, notFoundHandler, validationHook } from "./http/errors.ts";
import { API_PREFIX, OPENAPI_PATH, REFERENCE_PATH } from "./http/paths.ts";
import { classifyByPath, keyOfAuth, rateLimit } from "./http/rate-limit/index.ts";
import { registerPatterns } from "./patterns/routes.ts";
import { registerQuery } from "./query/routes.ts";
import { registerStream, streamTokenPaths, streamTokensFor } from "./stream/routes.ts";
import { apiVersion } from "./version.ts";

/**
 * Builds the whole HTTP app from its dependencies. No I/O happens here, so
 * tests can build a fresh app against any Loki and Redis.
 */
export function createApp(deps: Deps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.use(
    requestId({
      headerName: "X-Request-Id",
      // Accept a caller's id when it is sane, otherwise generate one.
      generator: () => crypto.randomUUID(),
    }),
  );
  // Answers 504 at REQUEST_TIMEOUT_MS and aborts the Loki calls behind it (routes pass requestSignal(c) on).
  app.use("/api/*", deadline(deps.config.REQUEST_TIMEOUT_MS));

  // A key header everywhere; on WS /stream a single-use `?token=` (POST /stream/token) may stand in, for browsers.
  const streamTokens = streamTokensFor(deps);
  app.use(`${API_PREFIX}/*`, deps.auth.withTokens(streamTokenPaths(streamTokens)));
  app.use(
    `${API_PREFIX}/*`,
    rateLimit({
      redis: deps.cache instanceof RedisCache ? deps.cache.client : undefined,
      cheap: deps.config.RATE_LIMIT_CHEAP,
      heavy: deps.config.RATE_LIMIT_HEAVY,
      classify: classifyByPath,
      keyOf: keyOfAuth,
      logger: deps.logger,
    }),
  );

  registerHealth(app, deps);
  registerQuery(app, deps);
  registerPatterns(app, deps, deps.learned);
  registerStream(app, deps, streamTokens);
  registerExport(app, deps);
  registerCorrelate(app, deps);
  registerAnalyze(app, deps);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key (npm run keys -- create); its tenant scopes every Loki call. Not needed with AUTH=off.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKeyHeader", {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
  });
  app.doc31(OPENAPI_PATH, {
    security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
    openapi: "3.1.0",
    info: {
      title: "Logsleuth API",
      version: apiVersion(),
      description:
        "AI-oriented log analysis on Grafana Loki. Every error is application/problem+json with a `hint` on how to fix the call.",
    },
    servers: [{ url: "/" }],
  });
  app.get(REFERENCE_PATH, Scalar({ url: OPENAPI_PATH, pageTitle: "Logsleuth API reference" }));
  app.get("/", (c) => c.redirect(REFERENCE_PATH));

  app.notFound(notFoundHandler(app));
  app.onError(errorHandler(deps.logger));
  return app;
}
