import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalRedis, startRedis } from "../../scripts/lib/local-redis.ts";
import { RedisCache } from "../../src/cache/redis.ts";
import { type LearnedMiner, LearnedStore, learnNewLines, minerKey } from "../../src/patterns/store.ts";
import { closeClients, eventually, redisClients, runId } from "../harness/services.ts";

const S = 1_000_000_000n;
const T0 = 1_800_000_000n * S;
const lines = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    ts: T0 + BigInt(from + i) * S,
    message: `upstream payments timed out after ${1000 + (from + i) * 13}ms (attempt ${(from + i) % 4})`,
  }));

describe("learned templates: snapshot and restore through the real Redis", () => {
  let a: RedisCache;
  let b: RedisCache;

  beforeAll(async () => {
    [a, b] = (await redisClients(2)) as [RedisCache, RedisCache];
  });
  afterAll(() => closeClients(a, b));

  it("a second instance restores the miner exactly, per tenant, with a TTL", async () => {
    const tenant = runId("tenant");
    const first = new LearnedStore({ cache: a, saveDelayMs: 60_000, ttlSeconds: 3600 });
    const m = await first.get(tenant, "checkout");
    expect(learnNewLines(first, m, lines(40))).toBe(40);
    await first.close();

    const key = minerKey(tenant, "checkout");
    expect(key).toContain(tenant);
    const ttl = await a.client.ttl(key);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);

    const second = new LearnedStore({ cache: b, saveDelayMs: 60_000 });
    const r = await second.get(tenant, "checkout");
    expect(r.miner.clusters()).toEqual(m.miner.clusters());
    expect(r.miner.snapshot()).toEqual(m.miner.snapshot());
    expect(r.watermark).toBe(m.watermark);
    // Continues learning where the first stopped, and the two stay in step.
    expect(learnNewLines(second, r, lines(50))).toBe(10);
    learnNewLines(first, m, lines(50));
    expect(r.miner.snapshot()).toEqual(m.miner.snapshot());
    // The same service of another tenant is not shared.
    expect((await second.get(runId("other"), "checkout")).miner.clusters()).toEqual([]);
    await second.close();
  });

  it("restoreAll at start brings back the miners listed in the index", async () => {
    const tenant = runId("tenant");
    const first = new LearnedStore({ cache: a, saveDelayMs: 60_000 });
    learnNewLines(first, await first.get(tenant, "s1"), lines(5));
    learnNewLines(first, await first.get(tenant, "s2"), lines(7));
    await first.close();
    const second = new LearnedStore({ cache: b, saveDelayMs: 60_000, maxMiners: 10_000 });
    expect(await second.restoreAll()).toBeGreaterThanOrEqual(2);
    expect((await second.get(tenant, "s2")).miner.clusters()[0]?.count).toBe(7);
  });
});

describe("learned templates of several API instances sharing the real Redis", () => {
  let a: RedisCache;
  let b: RedisCache;
  let c: RedisCache;
  const tls = (n: number, from = 0) =>
    Array.from({ length: n }, (_, i) => ({
      ts: T0 + BigInt(from + i) * S,
      message: `TLS handshake with 10.0.${from + i}.1 failed: certificate has expired`,
    }));
  const counts = (m: LearnedMiner) => Object.fromEntries(m.miner.clusters().map((x) => [x.template, x.count] as const));
  const UPSTREAM = "upstream payments timed out after <*>ms (attempt <*>)";
  const TLS = "TLS handshake with <*> failed: certificate has expired";

  beforeAll(async () => {
    [a, b, c] = (await redisClients(3)) as [RedisCache, RedisCache, RedisCache];
  });
  afterAll(() => closeClients(a, b, c));

  it("compare-and-set refuses a write at a version that is gone", async () => {
    const key = `${minerKey(runId("cas"), "s")}`;
    const empty = await a.getVersioned(key);
    expect(empty).toEqual({ value: undefined, version: "" });
    expect(await a.setIfVersion(key, "", "one", 60)).toBe(true);
    const one = await b.getVersioned(key);
    expect(one.value).toBe("one");
    expect(await a.setIfVersion(key, "", "stale", 60)).toBe(false);
    expect(await b.setIfVersion(key, one.version, "two", 60)).toBe(true);
    expect(await a.setIfVersion(key, one.version, "stale", 60)).toBe(false);
    expect((await c.getVersioned(key)).value).toBe("two");
    expect(await a.client.ttl(key)).toBeGreaterThan(50);
  });

  it("two instances learning different templates end with the union, each line counted once", async () => {
    const tenant = runId("tenant");
    const first = new LearnedStore({ cache: a, saveDelayMs: 60_000, maxClusters: 50 });
    const second = new LearnedStore({ cache: b, saveDelayMs: 60_000, maxClusters: 50 });
    const m1 = await first.get(tenant, "checkout");
    const m2 = await second.get(tenant, "checkout");
    learnNewLines(first, m1, lines(30));
    learnNewLines(second, m2, tls(12, 100));
    await Promise.all([first.flush(), second.flush()]); // at the same moment: one retries its compare-and-set
    learnNewLines(first, m1, lines(5, 200));
    await first.flush();
    await Promise.all([first.flush(), second.flush()]); // nothing new: nothing counted again

    const third = new LearnedStore({ cache: c, saveDelayMs: 60_000, maxClusters: 50 });
    const restored = await third.get(tenant, "checkout");
    expect(counts(restored)).toEqual({ [UPSTREAM]: 35, [TLS]: 12 });
    expect(restored.watermark).toBe(T0 + 204n * S);
    expect(counts(m1)).toEqual({ [UPSTREAM]: 35, [TLS]: 12 }); // each save brings the others' learning in
    const { value } = await c.getVersioned(minerKey(tenant, "checkout"));
    expect(JSON.parse(value!).snapshot.clusters.length).toBeLessThanOrEqual(50);
    await Promise.all([first.close(), second.close(), third.close()]);
  });

  it("no tenant and the tenant `_` never share learned templates", async () => {
    const service = runId("svc");
    const first = new LearnedStore({ cache: a, saveDelayMs: 60_000 });
    learnNewLines(first, await first.get("_", service), lines(4));
    await first.close();
    expect(minerKey("_", service)).not.toBe(minerKey(undefined, service));
    const second = new LearnedStore({ cache: b, saveDelayMs: 60_000 });
    expect((await second.get(undefined, service)).miner.clusters()).toEqual([]);
    expect((await second.get("_", service)).miner.clusters()[0]?.count).toBe(4);
  });
});

describe("learned templates while Redis is down", () => {
  let redis: LocalRedis;
  let cache: RedisCache;

  beforeAll(async () => {
    redis = await startRedis(); // its own, since this test stops it
    cache = new RedisCache({ url: redis.url, commandTimeoutMs: 200 });
    await cache.ping(AbortSignal.timeout(5_000));
  });
  afterAll(async () => {
    await cache?.close();
    await redis?.stop();
  });

  it("keeps learning in memory, never throws, and saves once Redis is back", async () => {
    const tenant = runId("tenant");
    const store = new LearnedStore({ cache, saveDelayMs: 60_000 });
    await redis.stop();
    const m = await store.get(tenant, "checkout");
    expect(learnNewLines(store, m, lines(5))).toBe(5);
    await expect(store.flush()).resolves.toBeUndefined();
    expect((await store.get(tenant, "checkout")).miner.clusters()[0]?.count).toBe(5);
    expect(await cache.getVersioned(minerKey(tenant, "checkout")).catch(() => "down")).toBe("down");

    // Back up: the snapshot that could not be written is written by the next flush.
    await redis.start();
    await eventually(() => cache.ping().then(() => true));
    await store.flush();
    const restored = await new LearnedStore({ cache, saveDelayMs: 60_000 }).get(tenant, "checkout");
    expect(restored.miner.clusters()[0]?.count).toBe(5);
    await store.close();
  });
});
