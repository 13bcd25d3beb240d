import type { z } from "@hono/zod-openapi";
import type { LokiClient } from "../loki/client.ts";
import type { ServiceDiscovery } from "../query/discovery.ts";
import type { QuerySettings } from "../query/types.ts";
import type { PatternLibrary } from "./library/index.ts";
import type {
  learnedServiceSchema,
  learnedTemplateSchema,
  libraryEntrySchema,
  libraryRefSchema,
  patternsAnswerSchema,
  patternsParamsSchema,
} from "./schemas.ts";
import type { LearnedStore } from "./store.ts";

/** The parameters, context and answer of GET /patterns; the answer's types are its documented schemas. */

/** /patterns' parameters as validated (times still as the caller wrote them). */
export type PatternsParams = Partial<z.output<typeof patternsParamsSchema>>;

export interface PatternsContext {
  loki: LokiClient;
  discovery: ServiceDiscovery;
  settings: QuerySettings;
  library: PatternLibrary;
  store: LearnedStore;
  signal?: AbortSignal | undefined;
  now?: number | undefined;
}

export type LibraryEntry = z.infer<typeof libraryEntrySchema>;
export type LibraryRef = z.infer<typeof libraryRefSchema>;
export type LearnedTemplate = z.infer<typeof learnedTemplateSchema>;
export type LearnedService = z.infer<typeof learnedServiceSchema>;
export type PatternsAnswer = z.infer<typeof patternsAnswerSchema>;
