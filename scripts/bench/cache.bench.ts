// The same GET /query answered from the cache (X-Cache: HIT) against computed (MISS, Loki
// queried), measured in the same run: median latency ratio (target ≤ 0.05). Uses Redis when
// REDIS_URL is set or a redis-server can be started, the in-memory cache otherwise.
import { startRedis } from "../lib/local-redis.ts";
import { median, startApiEnv, timeIt } from "./api-env.ts";
import type { BenchReport } from "./types.ts";

export const name = "cache";
const RUNS = Math.max(3, Number(process.env["BENCH_RUNS"]) || 15);

export async function run(log: (m: string) => void): Promise<BenchReport> {
  const redis = await startRedis().catch(() => undefined);
  log(redis ? `redis-server at ${redis.url}` : "no redis-server: measuring the in-memory cache");
  const env = await startApiEnv(log, redis ? { REDIS_URL: redis.url } : {});
  try {
    // Absolute times, so every request has the same cache key.
    const end = Date.now();
    const url = `${env.base}/api/v1/ai_logs/query?mode=troubleshoot&start=${new Date(end - 30 * 60_000).toISOString()}&end=${new Date(end).toISOString()}`;
    const get = async (headers: Record<string, string>, expect: string) => {
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      const status = res.headers.get("x-cache");
      if (res.status !== 200 || status !== expect) throw new Error(`expected ${expect}, got ${res.status} ${status}`);
    };
    await get({ "Cache-Control": "no-cache" }, "BYPASS"); // warm up, and store
    const miss: number[] = [];
    const hit: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      miss.push(await timeIt(() => get({ "Cache-Control": "no-cache" }, "BYPASS")));
      hit.push(await timeIt(() => get({}, "HIT")));
    }
    const mHit = median(hit);
    const mMiss = median(miss);
    return {
      name,
      description: `the same GET /query (troubleshoot, 30 minutes, ${env.lines.toLocaleString("en-US")} lines seeded) from the ${redis ? "Redis" : "in-memory"} cache vs computed`,
      oursLabel: "cache hit",
      anchorLabel: "miss (computed)",
      measurements: [
        {
          label: "median latency (ms)",
          unit: "ms",
          ours: mHit,
          anchor: mMiss,
          ratio: mHit / mMiss,
          target: 0.05,
          better: "lower",
          digits: 1,
        },
      ],
      tables: [
        {
          title: "runs (ms)",
          columns: ["run", "hit", "miss"],
          rows: hit.map((t, i) => [String(i + 1), t.toFixed(1), miss[i]!.toFixed(1)]),
        },
      ],
      notes: [
        "a miss is forced with Cache-Control: no-cache (X-Cache: BYPASS), which computes the answer from Loki and stores it",
      ],
      data: { hit, miss, redis: Boolean(redis) },
    };
  } finally {
    await env.stop();
    await redis?.stop();
  }
}
