import { z } from "@hono/zod-openapi";
import { conversationAnswerSchema } from "../ai/schemas.ts";
import { MODES } from "./modes.ts";

/** Repeated (`service=a&service=b`) or comma-separated (`service=a,b`) values → a list. */
const list = (description: string, example: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) =>
      v === undefined
        ? undefined
        : (Array.isArray(v) ? v : [v])
            .flatMap((s) => s.split(","))
            .map((s) => s.trim())
            .filter(Boolean),
    )
    .openapi({ description, example, param: { style: "form", explode: true } });

const intParam = (name: string, min: number, max: number, description: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be a whole number from ${min} to ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    })
    .openapi({ description, type: "integer", minimum: min, maximum: max });

/** A time parameter: bounded before any parsing (a time or a duration never needs more). */
const timeParam = (name: string) => z.string().max(64, `${name} must be at most 64 characters (a time or duration)`);

/** start/end/since, as every endpoint over a time range takes them. */
export const rangeParams = {
  start: timeParam("start").optional().openapi({
    description: "RFC3339, unix seconds or ns, now-1h, or a duration (15m = 15 minutes ago). Default: end - 1h.",
    example: "now-1h",
  }),
  end: timeParam("end").optional().openapi({ description: "Same formats as start. Default: now.", example: "now" }),
  since: timeParam("since")
    .optional()
    .openapi({ description: "A duration before end (instead of start).", example: "15m" }),
};

export const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "unknown"] as const;

export const queryParamsSchema = z.object({
  mode: z
    .enum(MODES, {
      error: (issue) =>
        `mode must be one of ${MODES.join(", ")}${issue.input !== undefined ? `, got "${String(issue.input)}"` : ""}`,
    })
    .optional()
    .openapi({
      description:
        "troubleshoot: errors, warnings, timeouts and upstream failures grouped by template with the likely origin; errors: error/fatal lines and exception text; performance: latency percentiles per service and the slowest requests; audit: logins, auth failures, permission and configuration changes; conversation: one AI conversation or workspace; raw: the caller's LogQL. Without mode, the filters alone select lines.",
    }),
  service: list("Service name(s), as listed by /services (`auth` and `shop/auth` both work).", "checkout"),
  level: list("Keep only these levels (fatal, error, warn, info, debug).", "error,warn").refine(
    (v) => v === undefined || v.every((l) => (LEVELS as readonly string[]).includes(l)),
    { message: `level must be among ${LEVELS.join(", ")}` },
  ),
  ...rangeParams,
  contains: list("Text the line must contain (repeat for AND).", "timeout"),
  regex: z.string().max(1024).optional().openapi({ description: "RE2 regex the line must match." }),
  trace_id: z.string().max(256).optional().openapi({ description: "Trace or correlation id the line must contain." }),
  conversation_id: z.string().max(256).optional(),
  workspace_id: z.string().max(256).optional(),
  logql: z
    .string()
    .max(5119)
    .optional()
    .openapi({ description: "Raw LogQL (mode=raw); validated by Loki and scoped to the given services." }),
  limit: intParam("limit", 1, 5000, "Lines per page for format=lines (default 100)."),
  direction: z
    .enum(["backward", "forward"], { error: () => "direction must be backward (newest first) or forward" })
    .optional(),
  format: z
    .enum(["summary", "compact", "lines"], { error: () => "format must be summary, compact or lines" })
    .optional()
    .openapi({
      description:
        "summary (default with a mode): groups, counts, likely origin; compact: labels once per stream; lines: one entry per line, paged with cursor.",
    }),
  max_tokens: intParam("max_tokens", 200, 200_000, "Hard token budget of the answer (o200k tokenizer); default 4000."),
  cursor: z
    .string()
    .max(4096)
    .optional()
    .openapi({ description: "next_cursor from the previous page (format=lines)." }),
});

const origin = z
  .object({
    service: z.string(),
    reason: z.string(),
    evidence: z.array(z.string()),
    confidence: z.number(),
    alternatives: z.array(z.object({ service: z.string(), score: z.number() })),
  })
  .openapi("LikelyOrigin", { description: "The service where the failure starts, followed along what called what." });

const group = z
  .object({
    template: z.string().openapi({ description: "Message template, variables written <*>" }),
    count: z.number(),
    services: z.array(z.string()),
    levels: z.record(z.string(), z.number()),
    first_seen: z.string(),
    last_seen: z.string(),
    examples: z.array(z.string()).openapi({ description: "1–3 example lines" }),
    pattern: z
      .object({ id: z.string(), title: z.string(), severity: z.string(), remediation: z.string() })
      .optional()
      .openapi({ description: "Known failure from the pattern library" }),
  })
  .openapi("TemplateGroup");

export const latencyRowSchema = z
  .object({
    service: z.string(),
    field: z.string().openapi({ description: "The duration field measured" }),
    parser: z.string(),
    p50_ms: z.number().nullable(),
    p95_ms: z.number().nullable(),
    p99_ms: z.number().nullable(),
  })
  .openapi("LatencyRow");

export const slowRequestSchema = z
  .object({
    service: z.string(),
    duration_ms: z.number(),
    ts: z.string(),
    trace_id: z.string().optional(),
    line: z.string(),
  })
  .openapi("SlowRequest");

export const queryAnswerSchema = z
  .object({
    mode: z.string(),
    format: z.enum(["summary", "compact", "lines"]),
    logql: z.string().openapi({ description: "The LogQL that ran" }),
    range: z.object({ start: z.string(), end: z.string() }).openapi({ description: "The range actually covered" }),
    stats: z.object({
      lines_scanned: z.number().openapi({ description: "Lines read from Loki" }),
      lines_returned: z.number().openapi({ description: "Lines the answer covers after local checks" }),
      truncated: z.boolean().openapi({ description: "True when the scan cap or the token budget left something out" }),
      scan_cap: z.number(),
      pages: z.number(),
      bytes_estimated: z.number().openapi({ description: "Loki's index/volume estimate of the bytes the query reads" }),
    }),
    dropped: z
      .object({ groups: z.number(), lines: z.number(), examples: z.number(), notes: z.array(z.string()) })
      .openapi({ description: "What the token budget removed" }),
    hints: z.array(z.string()),
    tokens: z.number().optional().openapi({ description: "Tokens of this answer (o200k)" }),
    counts: z
      .object({ by_service: z.record(z.string(), z.number()), by_level: z.record(z.string(), z.number()) })
      .optional(),
    groups: z.array(group).optional(),
    likely_origin: origin.nullable().optional(),
    next_calls: z.array(z.string()).optional(),
    streams: z
      .array(z.object({ labels: z.record(z.string(), z.string()), lines: z.array(z.tuple([z.string(), z.string()])) }))
      .optional(),
    lines: z
      .array(
        z.object({
          ts: z.string(),
          ts_ns: z.string(),
          service: z.string(),
          level: z.string(),
          line: z.string().openapi({
            description: "The raw line; past 8,192 characters it is cut and ends with `… [N more characters]`",
          }),
          metadata: z.record(z.string(), z.string()).optional(),
        }),
      )
      .optional(),
    next_cursor: z.string().optional(),
    series: z
      .array(z.object({ labels: z.record(z.string(), z.string()), values: z.array(z.tuple([z.number(), z.string()])) }))
      .optional(),
    latency: z.array(latencyRowSchema).optional(),
    slowest: z.array(slowRequestSchema).optional(),
    conversation: conversationAnswerSchema.optional(),
  })
  .openapi("QueryAnswer");

export const servicesParamsSchema = z.object(rangeParams);

export const servicesAnswerSchema = z
  .object({
    service_label: z.string().openapi({ description: "The label that names services for this tenant" }),
    label_names: z.array(z.string()).openapi({ description: "Label names the streams carry (the label scheme)" }),
    range: z.object({ start: z.string(), end: z.string() }),
    services: z.array(
      z.object({
        name: z.string(),
        label: z.string(),
        values: z.array(z.string()),
        bytes: z.number(),
        lines: z.number(),
        levels: z.record(z.string(), z.number()),
        labels: z.array(z.string()).openapi({ description: "Label names this service's streams carry" }),
      }),
    ),
  })
  .openapi("Services");
