import type { z } from "@hono/zod-openapi";
import type { LokiClient } from "../loki/client.ts";
import type { PatternLibrary } from "../patterns/library/index.ts";
import type { CursorKeys } from "./cursor.ts";
import type { ServiceDiscovery } from "./discovery.ts";
import type { queryAnswerSchema, queryParamsSchema } from "./schemas.ts";

/** The parameters, settings, context and answer of /query; the answer's type is its documented schema. */

export type Format = "summary" | "compact" | "lines";

/** /query's parameters as validated (times still as the caller wrote them). */
export type QueryParams = z.output<typeof queryParamsSchema>;

export interface QuerySettings {
  maxRangeMs: number;
  /** Most lines one answer may read from Loki (time-sliced paging up to this). */
  scanCap: number;
  /** Lines per Loki call. */
  pageSize: number;
  /** Most Loki calls one answer makes at once (time slices × legs; QUERY_CONCURRENCY, default 4). */
  concurrency?: number | undefined;
  defaultMaxTokens: number;
  /** Cost guardrail: most bytes (index/volume estimate) one query may read. */
  maxBytes: number;
  /** Keys that sign and verify paging cursors (CURSOR_KEYS). */
  cursorKeys: CursorKeys;
}

export interface QueryContext {
  loki: LokiClient;
  discovery: ServiceDiscovery;
  settings: QuerySettings;
  /** The failure pattern library; troubleshoot groups that match it carry its id, severity and remediation. */
  patterns?: Pick<PatternLibrary, "best" | "get"> | undefined;
  signal?: AbortSignal | undefined;
  now?: number;
}

/** The answer of /query, exactly as documented in the OpenAPI schema. */
export type QueryAnswer = z.infer<typeof queryAnswerSchema>;
