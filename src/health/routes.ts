import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Deps } from "../deps.ts";
import { API_PREFIX } from "../http/paths.ts";
import { checkHealth } from "./service.ts";

const check = z.object({
  status: z.enum(["up", "down"]),
  latency_ms: z.number(),
  error: z.string().optional().openapi({ description: "Why the component is down" }),
});

const healthSchema = z
  .object({
    status: z.enum(["ok", "degraded", "down"]).openapi({
      description: "ok: all up; degraded: usable but Redis is down (served uncached); down: Loki unusable",
    }),
    version: z.string().openapi({ description: "Logsleuth's version" }),
    uptime_s: z.number(),
    loki: check.extend({
      url: z.string(),
      version: z.string().optional().openapi({ description: "Loki's version from its build info" }),
      ready_message: z.string().optional(),
    }),
    cache: check.extend({ kind: z.enum(["redis", "memory"]) }),
    failing: z.array(z.string()).openapi({ description: "The parts that make the API unusable" }),
  })
  .openapi("Health");

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
  app.openapi(route, async (c) => {
    const report = await checkHealth(deps, deps.config.HEALTH_TIMEOUT_MS);
    c.header("Cache-Control", "no-store");
    return report.status === "down" ? c.json(report, 503) : c.json(report, 200);
  });
}
