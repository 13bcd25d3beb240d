import type { Deps } from "../deps.ts";
import { apiVersion } from "../version.ts";

export interface ComponentCheck {
  status: "up" | "down";
  latency_ms: number;
  error?: string;
}

export interface HealthReport {
  status: "ok" | "degraded" | "down";
  version: string;
  uptime_s: number;
  loki: ComponentCheck & { url: string; version?: string; ready_message?: string };
  cache: ComponentCheck & { kind: "redis" | "memory" };
  /** The parts that make the API unusable (empty when status is ok/degraded). */
  failing: string[];
}

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
