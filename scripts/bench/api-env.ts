// A real Loki with seeded multi-service data and the real API in this process, for the API
// benchmarks. Prints what it is doing; stop() ends everything it started.
import { loadConfig } from "../../src/config.ts";
import { main } from "../../src/index.ts";
import { LokiClient } from "../../src/loki/client.ts";
import { type Generated, generateScenario } from "../datagen/generator.ts";
import { seedLoki } from "../datagen/seed.ts";
import { SHOP } from "../datagen/topology.ts";
import { startLoki } from "../lib/local-loki.ts";

export interface ApiEnvOptions {
  /** The data to seed (default: 20 minutes of the shop with one incident). */
  scenarios?: (now: number) => Generated[];
}

export async function startApiEnv(
  log: (m: string) => void,
  env: Record<string, string> = {},
  options: ApiEnvOptions = {},
) {
  log("starting Loki (about 15-20 s)…");
  const loki = await startLoki();
  const client = new LokiClient({ url: loki.url, timeoutMs: 60_000 });
  const now = Date.now();
  const generated =
    options.scenarios?.(now) ??
    generateScenario({
      topology: SHOP,
      start: now - 20 * 60_000,
      end: now - 60_000,
      rps: 2,
      seed: 21,
      incidents: [
        { service: "inventory-db", kind: "db_pool_exhausted", start: now - 12 * 60_000, end: now - 6 * 60_000 },
      ],
    });
  const lines = await seedLoki(client, generated);
  log(`seeded ${lines} lines`);
  const api = await startApi(loki.url, env);
  return {
    base: api.base,
    loki,
    client,
    lines,
    now,
    /** Another API instance on the same Loki, with nothing cached yet (stop it after use). */
    freshApi: (more: Record<string, string> = {}) => startApi(loki.url, { ...env, ...more }),
    stop: async () => {
      await api.stop();
      await client.close();
      await loki.dispose();
    },
  };
}

/** The real API in this process on a free port. */
export async function startApi(lokiUrl: string, env: Record<string, string> = {}) {
  const api = await main(
    loadConfig({ PORT: "0", LOKI_URL: lokiUrl, LOG_LEVEL: "error", RATE_LIMIT_HEAVY: "1000000/1m", ...env }),
  );
  return { base: `http://127.0.0.1:${api.port}`, stop: () => api.stop() };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
