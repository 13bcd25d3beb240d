// A real Loki with seeded multi-service data and the real API in this process, for the API
// benchmarks. Prints what it is doing; stop() ends everything it started.
import { loadConfig } from "../../src/config.ts";
import { main } from "../../src/index.ts";
import { LokiClient } from "../../src/loki/client.ts";
import { generateScenario } from "../datagen/generator.ts";
import { seedLoki } from "../datagen/seed.ts";
import { SHOP } from "../datagen/topology.ts";
import { startLoki } from "../lib/local-loki.ts";

export async function startApiEnv(log: (m: string) => void, env: Record<string, string> = {}) {
  log("starting Loki (about 15-20 s)…");
  const loki = await startLoki();
  const client = new LokiClient({ url: loki.url, timeoutMs: 60_000 });
  const now = Date.now();
  const generated = generateScenario({
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
  const api = await main(
    loadConfig({ PORT: "0", LOKI_URL: loki.url, LOG_LEVEL: "error", RATE_LIMIT_HEAVY: "1000000/1m", ...env }),
  );
  const base = `http://127.0.0.1:${api.port}`;
  return {
    base,
    loki,
    client,
    lines,
    stop: async () => {
      await api.stop();
      await client.close();
      await loki.dispose();
    },
  };
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
