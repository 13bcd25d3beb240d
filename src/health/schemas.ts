import { z } from "@hono/zod-openapi";

/** The documented shape of GET /health; the report's types come from it. */

export const componentCheckSchema = z.object({
  status: z.enum(["up", "down"]),
  latency_ms: z.number(),
  error: z.string().optional().openapi({ description: "Why the component is down" }),
});

export const healthSchema = z
  .object({
    status: z.enum(["ok", "degraded", "down"]).openapi({
      description: "ok: all up; degraded: usable but Redis is down (served uncached); down: Loki unusable",
    }),
    version: z.string().openapi({ description: "Logsleuth's version" }),
    uptime_s: z.number(),
    loki: componentCheckSchema.extend({
      url: z.string(),
      version: z.string().optional().openapi({ description: "Loki's version from its build info" }),
      ready_message: z.string().optional(),
    }),
    cache: componentCheckSchema.extend({ kind: z.enum(["redis", "memory"]) }),
    failing: z.array(z.string()).openapi({ description: "The parts that make the API unusable" }),
  })
  .openapi("Health");
