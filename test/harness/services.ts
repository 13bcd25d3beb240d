import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { createApp } from "../../src/app.ts";
import { RedisCache } from "../../src/cache/redis.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import { buildDeps, closeDeps, type Deps } from "../../src/deps.ts";
import { silentLogger } from "../../src/log.ts";
import { LokiClient } from "../../src/loki/client.ts";

/** URLs of the real services the global setup started (never fixed ports). */
export function services() {
  return {
    lokiUrl: inject("lokiUrl"),
    lokiMtUrl: inject("lokiMtUrl"),
    redisUrl: inject("redisUrl"),
    lokiBin: inject("lokiBin"),
  };
}

/** A configuration as `npm start` would build it from these variables (quiet logs). */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  // Rate limits have their own tests; elsewhere they would only make tests depend on their pace.
  return loadConfig({ LOKI_URL: services().lokiUrl, LOG_LEVEL: "silent", RATE_LIMIT_HEAVY: "100000/1m", ...env });
}

/** A fresh app on its own deps; call close() in afterAll. */
export function buildTestApp(env: Record<string, string | undefined> = {}) {
  const config = testConfig(env);
  const deps: Deps = buildDeps(config, silentLogger);
  const app = createApp(deps);
  return { app, deps, close: () => closeDeps(deps) };
}

/** Query parameters; a list repeats the parameter. */
export type QueryParams = Record<string, string | readonly string[]>;

/** GET `path` with `query` from an app; the status, content type and parsed JSON body. */
export async function getJson<T = Record<string, any>>(
  app: { request: (input: string) => Response | Promise<Response> },
  path: string,
  query: QueryParams = {},
) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const x of typeof v === "string" ? [v] : v) params.append(k, x);
  const res = await app.request(`${path}?${params}`);
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as T };
}

/** `count` clients of the suite's Redis (as separate API instances hold), each answering a ping. */
export async function redisClients(count: number): Promise<RedisCache[]> {
  const clients = Array.from({ length: count }, () => new RedisCache({ url: services().redisUrl }));
  await Promise.all(clients.map((c) => c.ping(AbortSignal.timeout(5_000))));
  return clients;
}

/** Closes the clients that were made, never failing. */
export async function closeClients(...clients: ReadonlyArray<RedisCache | undefined>): Promise<void> {
  await Promise.allSettled(clients.map((c) => c?.close()));
}

export function lokiClient(url = services().lokiUrl, tenant?: string) {
  return new LokiClient({ url, tenant, timeoutMs: 15_000 });
}

/** A label value unique to one test run, so tests never see each other's lines. */
export const runId = (prefix = "t") => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 12)}`;

/** Polls `check` until it returns a value (not undefined) or the timeout passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ""}`);
}
