import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "../deps.ts";
import { API_PREFIX } from "../http/paths.ts";
import { healthSchema } from "./schemas.ts";
import { sharedHealthCheck } from "./service.ts";

const route = createRoute({
  method: "get",
  path: `${API_PREFIX}/health`,
  tags: ["health"],
  summary: "Is the API usable: Loki ready (and its version), cache reachable",
  description:
    "Answers within HEALTH_TIMEOUT_MS even when Loki hangs. 200 when usable (Redis down only degrades), 503 naming the failing part otherwise.",
  responses: {
    200: { description: "Usable", content: { "application/json": { schema: healthSchema } } },
    503: {
      description: "Not usable; `failing` names the part",
      content: { "application/json": { schema: healthSchema } },
    },
  },
});

export function registerHealth(app: OpenAPIHono, deps: Deps) {
  // /health is never rate-limited: probes share one check (HEALTH_CACHE_MS), so they cannot load Loki or Redis.
  const check = sharedHealthCheck(deps, deps.config.HEALTH_TIMEOUT_MS, deps.config.HEALTH_CACHE_MS);
  app.openapi(route, async (c) => {
    const report = await check();
    c.header("Cache-Control", "no-store");
    return report.status === "down" ? c.json(report, 503) : c.json(report, 200);
  });
}
