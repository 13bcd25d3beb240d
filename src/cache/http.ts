import type { Context } from "hono";
import type { CacheStatus } from "./cached.ts";

export const X_CACHE_HEADER = "X-Cache";

/**
 * True when the caller asks for fresh data: `Cache-Control: no-cache` (or
 * `no-store`, or `max-age=0`), or the legacy `Pragma: no-cache`.
 */
export function wantsBypass(headers: { cacheControl?: string | undefined; pragma?: string | undefined }): boolean {
  const directives = (headers.cacheControl ?? "")
    .toLowerCase()
    .split(",")
    .map((d) => d.trim().replace(/\s*=\s*/, "="));
  if (directives.some((d) => d === "no-cache" || d === "no-store" || d === "max-age=0")) return true;
  return /(^|,)\s*no-cache\s*(,|$)/i.test(headers.pragma ?? "");
}

/** `wantsBypass` for a Hono request. */
export const bypassRequested = (c: Context): boolean =>
  wantsBypass({ cacheControl: c.req.header("cache-control"), pragma: c.req.header("pragma") });

/** Sets `X-Cache: HIT|MISS|BYPASS` on the response being built. */
export function setCacheStatus(c: Context, status: CacheStatus): void {
  c.header(X_CACHE_HEADER, status);
}
