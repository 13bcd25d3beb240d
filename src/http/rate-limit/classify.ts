import type { Context } from "hono";
import { API_PREFIX } from "../paths.ts";

export type RateClass = "cheap" | "heavy" | "none";

/** Endpoints (first path segment under the API prefix) that run real Loki queries. */
export const HEAVY_ENDPOINTS: ReadonlySet<string> = new Set([
  "query",
  "patterns",
  "analyze",
  "export",
  "correlate",
  "metrics",
  "conversations",
  "workspace",
  "stream",
  "logs",
]);

/**
 * The default budget of a request: heavy for endpoints that query Loki over
 * a range (query, patterns, analyze, export, correlate, metrics, conversations,
 * workspace), the WebSocket stream and log ingestion; cheap for the rest of
 * the API (labels, services, health); none outside the API prefix
 * (OpenAPI document, reference page, Prometheus /metrics).
 */
export function classifyByPath(c: Context): RateClass {
  const path = c.req.path;
  if (!path.startsWith(`${API_PREFIX}/`)) return "none";
  const endpoint = path.slice(API_PREFIX.length + 1).split("/")[0] ?? "";
  return HEAVY_ENDPOINTS.has(endpoint) ? "heavy" : "cheap";
}

/**
 * The default rate-limit key: the API key's id (never the key itself) when
 * auth ran, else "anonymous" — with auth off every caller shares one budget.
 */
export function keyOfAuth(c: Context): string {
  const auth = c.get("auth") as { keyId: string } | undefined;
  return auth ? `key:${auth.keyId}` : "anonymous";
}
