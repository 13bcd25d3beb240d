import type { z } from "@hono/zod-openapi";
import type { Deps } from "../deps.ts";
import { apiVersion } from "../version.ts";
import type { componentCheckSchema, healthSchema } from "./schemas.ts";

export type ComponentCheck = z.infer<typeof componentCheckSchema>;
export type HealthReport = z.infer<typeof healthSchema>;

/**
 * Checks Loki (ready + build info) and the cache, each within `timeoutMs`, in
 * parallel, so /health answers in time even when a dependency hangs. Loki down
 * makes the API unusable (503); Redis down only degrades it (served uncached).
 */
export async function checkHealth(deps: Pick<Deps, "loki" | "cache" | "startedAt">, timeoutMs: number) {
  const [loki, cache] = await Promise.all([checkLoki(deps, timeoutMs), checkCache(deps, timeoutMs)]);
  const failing = loki.status === "down" ? ["loki"] : [];
  const report: HealthReport = {
    status: failing.length ? "down" : cache.status === "down" ? "degraded" : "ok",
    version: apiVersion(),
    uptime_s: Math.round((Date.now() - deps.startedAt) / 1000),
    loki,
    cache,
    failing,
  };
  return report;
}

/**
 * One check shared by every probe that arrives while it runs or within `reuseMs` after it started, so
 * any number of probes costs Loki and Redis at most one check per `reuseMs`. `uptime_s` stays current.
 */
export function sharedHealthCheck(
  deps: Pick<Deps, "loki" | "cache" | "startedAt">,
  timeoutMs: number,
  reuseMs = 1_000,
): () => Promise<HealthReport> {
  let last: { at: number; report: Promise<HealthReport>; done: boolean } | undefined;
  return async () => {
    const now = Date.now();
    if (!last || (last.done && now - last.at >= reuseMs)) {
      const report = checkHealth(deps, timeoutMs);
      const current = { at: now, report, done: false };
      report.finally(() => {
        current.done = true;
      });
      last = current;
    }
    const report = await last.report;
    return { ...report, uptime_s: Math.round((Date.now() - deps.startedAt) / 1000) };
  };
}

async function checkLoki(deps: Pick<Deps, "loki">, timeoutMs: number): Promise<HealthReport["loki"]> {
  const started = performance.now();
  const call = { timeoutMs };
  const [ready, info] = await Promise.allSettled([deps.loki.ready(call), deps.loki.buildInfo(call)]);
  const latency_ms = Math.round(performance.now() - started);
  const base = { url: deps.loki.url, latency_ms };
  if (ready.status === "rejected") {
    return { ...base, status: "down", error: errorText(ready.reason) };
  }
  const version = info.status === "fulfilled" ? info.value.version : undefined;
  if (!ready.value.ready) {
    return {
      ...base,
      status: "down",
      error: `Loki is not ready: ${ready.value.message || "no reason given"}`,
      ...(version ? { version } : {}),
    };
  }
  return { ...base, status: "up", ready_message: ready.value.message, ...(version ? { version } : {}) };
}

async function checkCache(deps: Pick<Deps, "cache">, timeoutMs: number): Promise<HealthReport["cache"]> {
  const started = performance.now();
  try {
    await deps.cache.ping(AbortSignal.timeout(timeoutMs));
    return { kind: deps.cache.kind, status: "up", latency_ms: Math.round(performance.now() - started) };
  } catch (err) {
    return {
      kind: deps.cache.kind,
      status: "down",
      latency_ms: Math.round(performance.now() - started),
      error: errorText(err),
    };
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
