import { z } from "@hono/zod-openapi";
import { queryParamsSchema } from "../query/schemas.ts";
import { BASE_COLUMNS, FORMATS } from "./types.ts";

/** Most lines an export may ask for (EXPORT_MAX_LINES caps it further). */
export const MAX_EXPORT_LIMIT = 100_000_000;

/**
 * POST /export's body: /query's query fields with the same names and meanings, plus format, columns,
 * compression and limit.
 */
export const exportBodySchema = queryParamsSchema
  .pick({
    mode: true,
    logql: true,
    service: true,
    level: true,
    contains: true,
    regex: true,
    trace_id: true,
    conversation_id: true,
    workspace_id: true,
    start: true,
    end: true,
    since: true,
  })
  .extend({
    format: z
      .enum(FORMATS, { error: () => `format must be one of ${FORMATS.join(", ")}` })
      .default("ndjson")
      .openapi({ description: "json (one array), ndjson (one object per line), csv (RFC 4180), parquet." }),
    columns: z
      .array(z.string().min(1).max(128))
      .max(100, "columns may name at most 100 columns")
      .optional()
      .openapi({
        description: `Columns, in order: ${BASE_COLUMNS.join(", ")} (timestamp = ts), and parsed fields by name (a JSON or logfmt field of the line, structured metadata or a label). Default: ${BASE_COLUMNS.join(", ")}.`,
        example: ["ts", "service", "level", "message", "duration_ms"],
      }),
    compression: z
      .enum(["gzip", "none"], { error: () => "compression must be gzip or none" })
      .default("none")
      .openapi({ description: "gzip compresses the body (Content-Encoding is not used: the file itself is .gz)." }),
    limit: z
      .number()
      .int("limit must be a whole number")
      .min(1, "limit must be at least 1")
      .max(MAX_EXPORT_LIMIT)
      .optional()
      .openapi({ description: "Stop after this many lines (the export says so in its headers)." }),
  })
  .strict()
  .openapi("ExportRequest");

export type ExportParams = z.output<typeof exportBodySchema>;

export const exportLinkSchema = z
  .object({
    url: z.string().openapi({ description: "GET this path (on this API) within expires_in seconds; no key needed." }),
    token: z.string(),
    expires_in: z.number().int(),
    range: z
      .object({ start: z.string(), end: z.string() })
      .openapi({ description: "The range, fixed when the link was made" }),
  })
  .openapi("ExportLink");
