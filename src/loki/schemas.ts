import { z } from "zod";

/** zod schemas of Loki's HTTP answers (only the parts Logsleuth reads). */

const labels = z.record(z.string(), z.string());

/** With `X-Loki-Response-Encoding-Flags: categorize-labels`, each entry carries its structured metadata and parsed labels. */
const entryExtras = z.object({
  structuredMetadata: labels.optional(),
  parsed: labels.optional(),
});

type Entry = [string, string] | [string, string, z.infer<typeof entryExtras>];

const isLabelMap = (v: unknown): boolean =>
  v !== null && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string");

/** One entry: [ns timestamp, line] or [ns, line, {structuredMetadata?, parsed?}]. */
function isEntry(v: unknown): v is Entry {
  if (!Array.isArray(v) || (v.length !== 2 && v.length !== 3)) return false;
  if (typeof v[0] !== "string" || typeof v[1] !== "string") return false;
  if (v.length === 2) return true;
  const extra = v[2] as Record<string, unknown> | null;
  if (extra === null || typeof extra !== "object") return false;
  return (
    (extra.structuredMetadata === undefined || isLabelMap(extra.structuredMetadata)) &&
    (extra.parsed === undefined || isLabelMap(extra.parsed))
  );
}

/**
 * Entries are checked by one plain loop inside zod (a per-element tuple union
 * costs ~10x more on the 5,000-entry pages a scan reads).
 */
const entries = z.custom<Entry[]>(
  (v) => Array.isArray(v) && v.every(isEntry),
  "values must be [timestamp, line] or [timestamp, line, {structuredMetadata, parsed}] entries",
);

export const streamSchema = z.object({ stream: labels, values: entries });
export type LokiStream = z.infer<typeof streamSchema>;

const sample = z.tuple([z.number(), z.string()]);
export const matrixSeriesSchema = z.object({ metric: labels, values: z.array(sample) });
export const vectorSampleSchema = z.object({ metric: labels, value: sample });
export type LokiMatrixSeries = z.infer<typeof matrixSeriesSchema>;
export type LokiVectorSample = z.infer<typeof vectorSampleSchema>;

const stats = z.record(z.string(), z.unknown()).optional();

export const queryResponseSchema = z.object({
  status: z.literal("success"),
  data: z.discriminatedUnion("resultType", [
    z.object({ resultType: z.literal("streams"), result: z.array(streamSchema), stats }),
    z.object({ resultType: z.literal("matrix"), result: z.array(matrixSeriesSchema), stats }),
    z.object({ resultType: z.literal("vector"), result: z.array(vectorSampleSchema), stats }),
    z.object({ resultType: z.literal("scalar"), result: sample, stats }),
  ]),
});
export type LokiQueryResponse = z.infer<typeof queryResponseSchema>;
export type LokiQueryData = LokiQueryResponse["data"];

export const stringListSchema = z.object({ status: z.literal("success"), data: z.array(z.string()).default([]) });
export const seriesSchema = z.object({ status: z.literal("success"), data: z.array(labels).default([]) });

export const indexStatsSchema = z.object({
  streams: z.number(),
  chunks: z.number(),
  bytes: z.number(),
  entries: z.number(),
});
export type LokiIndexStats = z.infer<typeof indexStatsSchema>;

export const volumeSchema = z.object({
  status: z.literal("success"),
  data: z.object({ resultType: z.literal("vector"), result: z.array(vectorSampleSchema) }),
});

export const patternsSchema = z.object({
  status: z.literal("success"),
  data: z
    .array(
      z.object({
        pattern: z.string(),
        level: z.string().optional(),
        samples: z.array(z.tuple([z.number(), z.number()])),
      }),
    )
    .nullish()
    .transform((d) => d ?? []),
});
export type LokiPattern = z.infer<typeof patternsSchema>["data"][number];

export const detectedFieldsSchema = z.object({
  fields: z
    .array(
      z.object({
        label: z.string(),
        type: z.string(),
        cardinality: z.number(),
        parsers: z.array(z.string()).nullish(),
        jsonPath: z.array(z.string()).nullish(),
      }),
    )
    .nullish()
    .transform((f) => f ?? []),
  limit: z.number().optional(),
});
export type LokiDetectedField = z.infer<typeof detectedFieldsSchema>["fields"][number];

export const formatQuerySchema = z.object({ status: z.literal("success"), data: z.string() });

export const buildInfoSchema = z.object({
  version: z.string(),
  revision: z.string().optional(),
  branch: z.string().optional(),
  goVersion: z.string().optional(),
});
export type LokiBuildInfo = z.infer<typeof buildInfoSchema>;
