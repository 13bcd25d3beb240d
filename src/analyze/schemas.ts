import { z } from "@hono/zod-openapi";
import { queryParamsSchema, rangeParams } from "../query/schemas.ts";

export const FINDING_KINDS = ["new", "rising", "steady", "spike", "library", "distinguishing"] as const;
export const FINDING_SEVERITIES = ["critical", "high", "medium", "low"] as const;
export const BASELINES = ["previous", "day"] as const;

export const analyzeParamsSchema = z.object({
  ...rangeParams,
  service: queryParamsSchema.shape.service,
  baseline: z
    .enum(BASELINES, { error: () => `baseline must be one of ${BASELINES.join(", ")}` })
    .optional()
    .openapi({
      description:
        "What the window is compared with: previous (default) = the same length just before it; day = the same time a day earlier.",
    }),
  max_tokens: queryParamsSchema.shape.max_tokens,
});

const evidence = z
  .object({
    logql: z.string().openapi({ description: "LogQL that shows the lines or series behind the finding" }),
    examples: z.array(z.string()).openapi({ description: "Up to 3 example lines, clipped" }),
    count: z.number().optional().openapi({ description: "Lines in the window" }),
    baseline_count: z.number().optional().openapi({ description: "Lines in the baseline" }),
    ratio: z
      .number()
      .optional()
      .openapi({ description: "Window rate / baseline rate (per unit of time; baseline 0 counts as 1 line)" }),
    p_value: z.number().optional().openapi({ description: "One-sided, Bonferroni-corrected for the values tested" }),
    values: z
      .array(z.number())
      .optional()
      .openapi({ description: "Spikes: counts per bucket of the window (oldest first)" }),
    first_seen: z.string().optional(),
  })
  .openapi("AnalyzeEvidence");

export const findingSchema = z
  .object({
    kind: z.enum(FINDING_KINDS),
    service: z.string(),
    severity: z.enum(FINDING_SEVERITIES),
    template: z.string().optional().openapi({ description: "Message template, variables written <*>" }),
    summary: z.string(),
    evidence,
    recommendation: z.string(),
  })
  .openapi("Finding");

const rangeOut = z.object({ start: z.string(), end: z.string() });

export const analyzeAnswerSchema = z
  .object({
    findings: z.array(findingSchema).openapi({ description: "Ranked: likely causes first, steady errors last" }),
    range: rangeOut.openapi({ description: "The window analysed" }),
    baseline: rangeOut.extend({ kind: z.enum(BASELINES) }).openapi({ description: "The window compared with" }),
    tokens: z.number().optional().openapi({ description: "Tokens of this answer (o200k)" }),
    dropped: z
      .object({ findings: z.number(), examples: z.number(), notes: z.array(z.string()) })
      .openapi({ description: "What the token budget removed" }),
    hints: z.array(z.string()),
  })
  .openapi("AnalyzeAnswer");

export type AnalyzeParams = z.output<typeof analyzeParamsSchema>;
export type AnalyzeAnswer = z.infer<typeof analyzeAnswerSchema>;
export type Finding = z.infer<typeof findingSchema>;
export type FindingKind = (typeof FINDING_KINDS)[number];
export type FindingSeverity = (typeof FINDING_SEVERITIES)[number];
export type BaselineKind = (typeof BASELINES)[number];
