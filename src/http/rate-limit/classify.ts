import type { Context } from "hono";
import { API_PREFIX } from "../paths.ts";

export type RateClass = "cheap" | "heavy" | "none";

/** Endpoints (first path segment under the API prefix) that run real Loki queries. */
export const HEAVY_ENDPOINTS: ReadonlySet<string> = new Set([
  "query",
  "services",
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
 * Paths under a heavy endpoint that are cheap themselves: POST /stream/token
 * signs a token (no Loki work); the upgrade it is used for draws from the
 * heavy budget, so a browser's connect costs what a header-authenticated one
 * does.
 */
export const CHEAP_PATHS: ReadonlySet<string> = new Set([`${API_PREFIX}/stream/token`]);

/**
 * Endpoints never limited: load-balancer and orchestrator probes of /health
 * must not share (and exhaust) a budget with anyone else.
 */
export const UNLIMITED_ENDPOINTS: ReadonlySet<string> = new Set(["health"]);

/**
 * The default budget of a request: heavy for endpoints that query Loki over
 * a range (query, services — a count over every stream —, patterns, analyze,
 * export, correlate, metrics, conversations, workspace), the WebSocket stream
 * and log ingestion; none for /health and outside the API prefix (OpenAPI
 * document, reference page, Prometheus /metrics); cheap for the rest (labels).
 */
export function classifyByPath(c: Context): RateClass {
  const path = c.req.path;
  if (!path.startsWith(`${API_PREFIX}/`)) return "none";
  const endpoint = path.slice(API_PREFIX.length + 1).split("/")[0] ?? "";
  if (UNLIMITED_ENDPOINTS.has(endpoint)) return "none";
  if (CHEAP_PATHS.has(path)) return "cheap";
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
