import { z } from "@hono/zod-openapi";
import { LEVELS, rangeParams } from "../query/schemas.ts";
import { CATEGORIES, SEVERITIES } from "./library/index.ts";

/** Repeated (`x=a&x=b`) or comma-separated (`x=a,b`) values → a list, each checked against `allowed`. */
function list<T extends string>(name: string, description: string, example: string, allowed?: readonly T[]) {
  return z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const items = (Array.isArray(v) ? v : [v])
        .flatMap((s) => s.split(","))
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = allowed ? items.filter((i) => !(allowed as readonly string[]).includes(i)) : [];
      if (bad.length) {
        ctx.addIssue({
          code: "custom",
          message: `${name} must be among ${allowed!.join(", ")}, got "${bad.join(", ")}"`,
        });
        return z.NEVER;
      }
      return items as T[];
    })
    .openapi({ description, example, param: { style: "form", explode: true } });
}

export const patternsParamsSchema = z.object({
  category: list(
    "category",
    `Library patterns of these categories (${CATEGORIES.join(", ")}).`,
    "connection",
    CATEGORIES,
  ),
  severity: list(
    "severity",
    `Library patterns of exactly these severities (${SEVERITIES.join(", ")}).`,
    "critical",
    SEVERITIES,
  ),
  min_severity: z
    .enum(SEVERITIES, {
      error: (issue) =>
        `min_severity must be one of ${SEVERITIES.join(", ")}${issue.input !== undefined ? `, got "${String(issue.input)}"` : ""}`,
    })
    .optional()
    .openapi({ description: "Library patterns at this severity or worse (high keeps critical and high)." }),
  service: list(
    "service",
    "Service name(s), as listed by /services: learn templates from their lines. With a range and no service, every service.",
    "checkout",
  ),
  ...rangeParams,
  step: z.string().max(32).optional().openapi({
    description: "Width of the time-series buckets (30s, 1m, 5m). Default: a twentieth of the range.",
    example: "1m",
  }),
  level: list(
    "level",
    "Learn from lines of these levels. Default: warn, error, fatal (and unlevelled lines that read like failures).",
    "warn,error",
    LEVELS,
  ),
  max_tokens: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 200 || n > 200_000) {
        ctx.addIssue({ code: "custom", message: `max_tokens must be a whole number from 200 to 200000, got "${v}"` });
        return z.NEVER;
      }
      return n;
    })
    .openapi({
      description: "Hard token budget of the answer (o200k tokenizer); default 4000.",
      type: "integer",
      minimum: 200,
      maximum: 200_000,
    }),
  include_loki: z
    .enum(["true", "false"], { error: () => "include_loki must be true or false" })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === "true"))
    .openapi({
      description: "Show Loki's own patterns (its pattern ingester) beside the learned templates. Default true.",
    }),
});

export const libraryRefSchema = z
  .object({ id: z.string(), title: z.string(), severity: z.enum(SEVERITIES), remediation: z.string() })
  .openapi("LibraryRef", { description: "The most severe library pattern the template's examples match" });

export const learnedTemplateSchema = z
  .object({
    template: z.string().openapi({ description: "Message template, variables written <*>" }),
    count: z.number().openapi({ description: "Lines with this template in the range" }),
    series: z.array(z.number()).openapi({ description: "Counts per bucket (see `buckets`); they sum to count" }),
    first_seen: z.string(),
    last_seen: z.string(),
    examples: z.array(z.string()).openapi({ description: "Up to 3 lines, newest first" }),
    params: z
      .array(
        z.object({
          position: z.number().openapi({ description: "Which <*> of the template, from 0" }),
          distinct: z.number().openapi({ description: "Distinct values seen (counting stops at 1000)" }),
          top: z.array(z.object({ value: z.string(), count: z.number() })),
        }),
      )
      .optional()
      .openapi({ description: "The most frequent values of each <*>" }),
    seen_total: z.number().openapi({
      description: "Lines with this template the service's persistent miner has learned, across all requests",
    }),
    library: libraryRefSchema.optional(),
  })
  .openapi("LearnedTemplate");

export const libraryEntrySchema = z.object({
  id: z.string(),
  title: z.string(),
  category: z.enum(CATEGORIES),
  severity: z.enum(SEVERITIES),
  description: z.string().optional(),
  remediation: z.string().optional(),
});

export const learnedServiceSchema = z.object({
  service: z.string(),
  lines: z.number().openapi({ description: "Lines of this service in the range that passed the level filter" }),
  learned_now: z.number().openapi({ description: "Lines the persistent miner learned in this call" }),
  templates: z.array(learnedTemplateSchema),
});

const lokiPattern = z.object({
  pattern: z.string().openapi({ description: "Loki's pattern (variables written <_>)" }),
  level: z.string().optional(),
  count: z.number(),
  series: z.array(z.number()),
  first_seen: z.string(),
  last_seen: z.string(),
});

export const patternsAnswerSchema = z
  .object({
    library: z.object({
      selection: z.enum(["filters", "matched"]).openapi({
        description:
          "filters: the patterns matching category/severity/min_severity (all without filters); matched: beside learned templates and without filters, the patterns those templates match",
      }),
      total: z.number().openapi({ description: "Patterns in the selection (before the token budget)" }),
      patterns: z.array(libraryEntrySchema),
    }),
    range: z.object({ start: z.string(), end: z.string() }).optional(),
    buckets: z
      .object({ start: z.string(), step: z.string(), count: z.number() })
      .optional()
      .openapi({ description: "series[i] counts lines in [start + i·step, start + (i+1)·step)" }),
    logql: z.string().optional().openapi({ description: "The LogQL that read the lines" }),
    stats: z
      .object({
        lines_scanned: z.number(),
        lines_returned: z.number(),
        truncated: z.boolean(),
        scan_cap: z.number(),
        pages: z.number(),
      })
      .optional(),
    learned: z.array(learnedServiceSchema).optional(),
    loki: z
      .array(
        z.object({
          service: z.string(),
          selector: z.string(),
          patterns: z.array(lokiPattern),
          total: z.number(),
          note: z.string().optional(),
        }),
      )
      .optional()
      .openapi({ description: "Loki's own patterns for the same services (best effort)" }),
    next_calls: z.array(z.string()).optional(),
    dropped: z
      .object({
        groups: z.number(),
        lines: z.number(),
        examples: z.number(),
        library: z.number(),
        loki_patterns: z.number(),
        params: z.number(),
        notes: z.array(z.string()),
      })
      .openapi({ description: "What the token budget removed" }),
    hints: z.array(z.string()),
    tokens: z.number().optional(),
  })
  .openapi("Patterns");
