import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalLoki, startLoki } from "../../scripts/lib/local-loki.ts";
import { type LocalRedis, startRedis } from "../../scripts/lib/local-redis.ts";
import { buildTestApp, services } from "../harness/services.ts";

const HEALTH_TIMEOUT_MS = 1_500;

interface HealthBody {
  status: string;
  version: string;
  uptime_s: number;
  failing: string[];
  loki: { status: string; version?: string; error?: string };
  cache: { kind: string; status: string };
}

describe("GET /api/v1/ai_logs/health against a Loki that stops and comes back", () => {
  let loki: LocalLoki;
  let redis: LocalRedis;
  let t: ReturnType<typeof buildTestApp>;

  beforeAll(async () => {
    // This test stops its own Loki and Redis, so it must not share the suite's.
    [loki, redis] = await Promise.all([startLoki({ bin: services().lokiBin }), startRedis()]);
    // HEALTH_CACHE_MS=0: each probe after a finished one checks again (these tests stop and start Loki and Redis).
    t = buildTestApp({
      LOKI_URL: loki.url,
      REDIS_URL: redis.url,
      HEALTH_TIMEOUT_MS: String(HEALTH_TIMEOUT_MS),
      HEALTH_CACHE_MS: "0",
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.allSettled([loki?.dispose(), redis?.stop()]);
  });

  const health = async () => {
    const started = performance.now();
    const res = await t.app.request("/api/v1/ai_logs/health");
    return { res, body: (await res.json()) as HealthBody, ms: performance.now() - started };
  };

  it("is 200 with Loki's version and the Redis cache when all is up", async () => {
    const { res, body } = await health();
    expect(res.status).toBe(200);
    expect(body.status).toBe("ok");
    expect(body.loki).toMatchObject({ status: "up", version: "3.7.8" });
    expect(body.cache).toMatchObject({ kind: "redis", status: "up" });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.uptime_s).toBeGreaterThanOrEqual(0);
  });

  it("is 503 naming Loki when Loki is stopped, within its timeout", async () => {
    await loki.stop();
    const { res, body, ms } = await health();
    expect(res.status).toBe(503);
    expect(body.failing).toEqual(["loki"]);
    expect(body.loki.status).toBe("down");
    expect(body.loki.error).toMatch(/unreachable/i);
    expect(ms).toBeLessThan(HEALTH_TIMEOUT_MS + 1_000);
  });

  it("is 200 again once Loki is back", async () => {
    await loki.start();
    const { res, body } = await health();
    expect(res.status).toBe(200);
    expect(body.loki.status).toBe("up");
  });

  it("answers 503 within its timeout when Loki hangs", async () => {
    loki.pause();
    try {
      const { res, body, ms } = await health();
      expect(res.status).toBe(503);
      expect(body.failing).toEqual(["loki"]);
      expect(body.loki.error).toMatch(/within 1500 ms/);
      expect(ms).toBeLessThan(HEALTH_TIMEOUT_MS + 1_000);
    } finally {
      loki.resume();
    }
  });

  it("stays 200 but 'degraded' when only Redis is down", async () => {
    await redis.stop();
    const { res, body } = await health();
    expect(res.status).toBe(200);
    expect(body.status).toBe("degraded");
    expect(body.cache.status).toBe("down");
    expect(body.failing).toEqual([]);
  });
});
