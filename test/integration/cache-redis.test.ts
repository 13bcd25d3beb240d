import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalRedis, startRedis } from "../../scripts/lib/local-redis.ts";
import { cached } from "../../src/cache/cached.ts";
import { cacheKey } from "../../src/cache/key.ts";
import { RedisCache } from "../../src/cache/redis.ts";
import { parseTtlTable, ttlFor } from "../../src/cache/ttl.ts";
import { closeClients, eventually, redisClients, runId } from "../harness/services.ts";
import { counting } from "../unit/helpers/counting.ts";

const NS = 1_000_000n;

describe("cached() on the suite's Redis", () => {
  let a: RedisCache;
  let b: RedisCache;

  beforeAll(async () => {
    [a, b] = (await redisClients(2)) as [RedisCache, RedisCache];
  });
  afterAll(() => closeClients(a, b));

  it("serves a second identical call from Redis with the same value", async () => {
    const now = Date.now();
    const key = cacheKey({
      tenant: runId("tenant"),
      endpoint: "query",
      params: { mode: "errors", service: "checkout" },
      range: { start: BigInt(now - 900_000) * NS, end: BigInt(now) * NS },
      alignMs: 10_000,
    });
    const compute = counting({ lines: ["a", "b"], total: 2 }, 10);
    const first = await cached(a, key, 30, compute);
    const second = await cached(a, key, 30, compute);
    expect(first.status).toBe("MISS");
    expect(second).toEqual({ value: first.value, status: "HIT" });
    expect(compute.calls).toBe(1);
    // Another instance sees it too.
    expect(await cached(b, key, 30, compute)).toEqual({ value: first.value, status: "HIT" });
  });

  it("stores a recent range for seconds and an old one for hours, as configured", async () => {
    const table = parseTtlTable("5m:30s,1h:2m,24h:15m,*:6h");
    const now = Date.now();
    const recentKey = `${runId("ttl")}:recent`;
    const oldKey = `${runId("ttl")}:old`;
    await cached(a, recentKey, ttlFor(now - 1_000, now, table), async () => 1);
    await cached(a, oldKey, ttlFor(now - 3 * 86_400_000, now, table), async () => 2);
    const recentTtl = await a.client.ttl(recentKey);
    const oldTtl = await a.client.ttl(oldKey);
    expect(recentTtl).toBeGreaterThan(25);
    expect(recentTtl).toBeLessThanOrEqual(30);
    expect(oldTtl).toBeGreaterThan(6 * 3600 - 10);
    expect(oldTtl).toBeLessThanOrEqual(6 * 3600);
  });

  it("runs 20 concurrent identical calls once", async () => {
    const key = runId("sf");
    const compute = counting("value", 200);
    const results = await Promise.all(Array.from({ length: 20 }, () => cached(a, key, 30, compute)));
    expect(compute.calls).toBe(1);
    expect(results.every((r) => r.value === "value")).toBe(true);
    expect(results.filter((r) => r.status === "MISS")).toHaveLength(1);
  });

  it("runs 20 concurrent identical calls once across two API instances", async () => {
    const key = runId("sf2");
    const compute = counting("shared", 300);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => cached(i % 2 === 0 ? a : b, key, 30, compute)),
    );
    expect(compute.calls).toBe(1);
    expect(results.every((r) => r.value === "shared")).toBe(true);
    // The lock is released afterwards.
    expect(await a.client.exists(`${key}:lock`)).toBe(0);
  });

  it("computes anyway when the lock holder is slower than the wait bound", async () => {
    const key = runId("slow");
    // Another instance holds the lock and never finishes.
    expect(await b.tryLock(`${key}:lock`, 10_000)).toBeDefined();
    const started = Date.now();
    const result = await cached(a, key, 30, async () => "mine", { waitMs: 300 });
    expect(result).toEqual({ value: "mine", status: "MISS" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("takes over at once when the lock holder fails", async () => {
    const key = runId("fail");
    const compute = counting("second", 50);
    const holder = cached(b, key, 30, async () => {
      await sleep(200);
      throw new Error("loki failed");
    });
    await sleep(50);
    const waiter = cached(a, key, 30, compute, { waitMs: 5_000 });
    await expect(holder).rejects.toThrow("loki failed");
    const started = Date.now();
    expect(await waiter).toEqual({ value: "second", status: "MISS" });
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("cached() while Redis stops and comes back", () => {
  let redis: LocalRedis;
  let cache: RedisCache;
  const states: boolean[] = [];

  beforeAll(async () => {
    redis = await startRedis(); // its own, since this test stops it
    cache = new RedisCache({ url: redis.url, onStateChange: (up) => states.push(up) });
    await cache.ping(AbortSignal.timeout(5_000));
  });
  afterAll(async () => {
    await cache?.close();
    await redis?.stop();
  });

  it("fails no call while Redis is down, logs the outage once, and caches again once it is back", async () => {
    const prefix = runId("outage");
    let computes = 0;
    const call = (i: number) =>
      cached(cache, `${prefix}:${i % 5}`, 30, async () => {
        computes++;
        await sleep(5);
        return i % 5;
      });

    // Calls keep coming while Redis is stopped.
    const results: Array<PromiseSettledResult<{ value: number }>> = [];
    const load = (async () => {
      for (let i = 0; i < 120; i++) {
        results.push(...(await Promise.allSettled([call(i), call(i + 1), call(i + 2)])));
        await sleep(10);
      }
    })();
    await sleep(300);
    await redis.stop();
    await load;

    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    expect(results.every((r) => r.status === "fulfilled" && typeof r.value.value === "number")).toBe(true);
    expect(cache.counters.errors).toBeGreaterThan(0);
    expect(states).toEqual([false]); // one "down" notification, not one per request

    // Redis comes back on the same port: the client reconnects by itself.
    await redis.start();
    await eventually(async () => (cache.isUp ? true : undefined), 15_000, 100);
    expect(states).toEqual([false, true]);
    const key = runId("back");
    const before = computes;
    expect((await cached(cache, key, 30, async () => ++computes)).status).toBe("MISS");
    expect(await cached(cache, key, 30, async () => ++computes)).toEqual({ value: before + 1, status: "HIT" });
    expect(await cache.client.exists(key)).toBe(1);
  });

  it("serves uncached, without waiting long, while Redis hangs", async () => {
    const slow = new RedisCache({ url: redis.url, commandTimeoutMs: 150 });
    const admin = new RedisCache({ url: redis.url });
    try {
      await Promise.all([slow.ping(AbortSignal.timeout(5_000)), admin.ping(AbortSignal.timeout(5_000))]);
      await admin.client.call("CLIENT", "PAUSE", "1500", "ALL"); // Redis stops answering every client
      const started = Date.now();
      const result = await cached(slow, runId("hang"), 30, async () => "fresh");
      expect(result).toEqual({ value: "fresh", status: "MISS" });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(slow.counters.errors).toBe(1);
    } finally {
      await sleep(1_600);
      await Promise.allSettled([slow.close(), admin.close()]);
    }
  });
});
