import { describe, expect, it } from "vitest";
import { type Cache, MemoryCache } from "../../src/cache/index.ts";
import { newCounters } from "../../src/cache/types.ts";
import { LEARNED_INDEX_KEY, LearnedStore, learnNewLines, minerKey } from "../../src/patterns/store.ts";

const S = 1_000_000_000n;
const T0 = 1_800_000_000n * S;

const poolLine = (i: number) =>
  `connection pool exhausted: waited ${2000 + i * 37}ms for a connection (active=${20 + (i % 3)} max=20)`;
const lines = (n: number, from = 0, msg = poolLine) =>
  Array.from({ length: n }, (_, i) => ({ ts: T0 + BigInt(from + i) * S, message: msg(from + i) }));

/** The stored state of (tenant, service), parsed; undefined when none. */
async function storedOf(cache: Cache, tenant: string | undefined, service: string) {
  const { value } = await cache.getVersioned(minerKey(tenant, service));
  return value === undefined ? undefined : JSON.parse(value);
}

/** A cache that is down: every call fails, as RedisCache does while Redis is unreachable. */
function downCache(): Cache {
  const fail = async () => {
    throw new Error("Redis is not connected");
  };
  return {
    kind: "redis",
    counters: newCounters(),
    get: fail,
    set: fail,
    delete: fail,
    tryLock: fail,
    unlock: fail,
    getVersioned: fail,
    setIfVersion: fail,
    ping: fail,
    close: async () => {},
  };
}

/** A memory cache that can be switched off, to play a Redis outage. */
function flakyCache() {
  const inner = new MemoryCache(1 << 24);
  const state = { down: false };
  const guard =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...a: A) => {
      if (state.down) throw new Error("Redis is not connected");
      return fn(...a);
    };
  const cache: Cache = {
    kind: "redis",
    counters: newCounters(),
    get: guard((k: string) => inner.get(k)),
    set: guard((k: string, v: string, ttl: number) => inner.set(k, v, ttl)),
    delete: guard((k: string) => inner.delete(k)),
    tryLock: guard((k: string, ms: number) => inner.tryLock(k, ms)),
    unlock: guard((k: string, t: string) => inner.unlock(k, t)),
    getVersioned: guard((k: string) => inner.getVersioned(k)),
    setIfVersion: guard((k: string, v: string, value: string, ttl: number) => inner.setIfVersion(k, v, value, ttl)),
    ping: guard(async () => {}),
    close: async () => {},
  };
  return { cache, state };
}

describe("LearnedStore (memory cache)", () => {
  it("learns each line once: only lines newer than the watermark", async () => {
    const store = new LearnedStore({ cache: new MemoryCache(1 << 24), saveDelayMs: 60_000 });
    const m = await store.get("acme", "inventory-db");
    expect(learnNewLines(store, m, lines(10))).toBe(10);
    expect(m.watermark).toBe(T0 + 9n * S);
    // The same range again (and an overlapping one): nothing or only the new part is learned.
    expect(learnNewLines(store, m, lines(10))).toBe(0);
    expect(learnNewLines(store, m, lines(10, 5))).toBe(5);
    const [top] = m.miner.clusters();
    expect(top?.template).toBe("connection pool exhausted: waited <*>ms for a connection (active=<*> max=<*>)");
    expect(top?.count).toBe(15);
    await store.close();
  });

  it("saves a JSON snapshot under a key holding the tenant, and a new store restores it", async () => {
    const cache = new MemoryCache(1 << 24);
    const a = new LearnedStore({ cache, saveDelayMs: 60_000 });
    const m = await a.get("acme", "inventory-db");
    learnNewLines(a, m, lines(12));
    expect(await storedOf(cache, "acme", "inventory-db")).toBeUndefined(); // debounced
    await a.flush();
    const key = minerKey("acme", "inventory-db");
    expect(key).toContain("acme");
    const stored = await storedOf(cache, "acme", "inventory-db");
    expect(stored).toMatchObject({ v: 2, tenant: "acme", service: "inventory-db", watermark: String(T0 + 11n * S) });
    expect(stored.snapshot.clusters).toHaveLength(1);
    expect(JSON.parse((await cache.get(LEARNED_INDEX_KEY))!)).toEqual([["acme", "inventory-db"]]);

    const b = new LearnedStore({ cache, saveDelayMs: 60_000 });
    const r = await b.get("acme", "inventory-db");
    expect(r.watermark).toBe(T0 + 11n * S);
    expect(r.miner.clusters()).toEqual(m.miner.clusters());
    // It continues where the first stopped: old lines are not learned twice.
    expect(learnNewLines(b, r, lines(14))).toBe(2);
    expect(r.miner.clusters()[0]?.count).toBe(14);
    // Another tenant's miner for the same service is separate.
    const other = await b.get("globex", "inventory-db");
    expect(other.miner.clusters()).toEqual([]);
    await a.close();
    await b.close();
  });

  it("saves on its own after the debounce delay", async () => {
    const cache = new MemoryCache(1 << 24);
    const store = new LearnedStore({ cache, saveDelayMs: 20 });
    const m = await store.get(undefined, "checkout");
    learnNewLines(store, m, lines(3));
    await new Promise((r) => setTimeout(r, 100));
    expect(await storedOf(cache, undefined, "checkout")).toMatchObject({ tenant: null });
    await store.close();
  });

  it("keeps at most maxMiners in memory, saving an evicted miner and restoring it on next use", async () => {
    const cache = new MemoryCache(1 << 24);
    const store = new LearnedStore({ cache, maxMiners: 2, saveDelayMs: 60_000 });
    const first = await store.get("acme", "s1");
    learnNewLines(store, first, lines(5));
    learnNewLines(store, await store.get("acme", "s2"), lines(2));
    learnNewLines(store, await store.get("acme", "s3"), lines(2));
    expect(store.size).toBe(2);
    await store.flush();
    const again = await store.get("acme", "s1");
    expect(again).not.toBe(first);
    expect(again.miner.clusters()[0]?.count).toBe(5);
    expect(again.watermark).toBe(first.watermark);
    await store.close();
  });

  it("bounds each miner's clusters", async () => {
    const store = new LearnedStore({ cache: new MemoryCache(1 << 24), maxClusters: 5, saveDelayMs: 60_000 });
    const m = await store.get("acme", "noisy");
    const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];
    learnNewLines(
      store,
      m,
      words.map((w, i) => ({ ts: T0 + BigInt(i) * S, message: `${w} subsystem ${w} stopped unexpectedly ${w}` })),
    );
    expect(m.miner.clusters().length).toBeLessThanOrEqual(5);
    await store.close();
  });

  it("restoreAll brings back every indexed miner", async () => {
    const cache = new MemoryCache(1 << 24);
    const a = new LearnedStore({ cache, saveDelayMs: 60_000 });
    learnNewLines(a, await a.get("acme", "s1"), lines(3));
    learnNewLines(a, await a.get("globex", "s2"), lines(4));
    await a.close();
    const b = new LearnedStore({ cache, saveDelayMs: 60_000 });
    expect(await b.restoreAll()).toBe(2);
    expect(b.size).toBe(2);
    expect((await b.get("globex", "s2")).miner.clusters()[0]?.count).toBe(4);
  });

  it("never fails when the cache is down: learning stays in memory", async () => {
    const store = new LearnedStore({ cache: downCache(), saveDelayMs: 60_000 });
    const m = await store.get("acme", "s1");
    expect(learnNewLines(store, m, lines(4))).toBe(4);
    await expect(store.flush()).resolves.toBeUndefined();
    expect(await store.restoreAll()).toBe(0);
    expect((await store.get("acme", "s1")).miner.clusters()[0]?.count).toBe(4);
    await store.close();
  });

  it("starts fresh on a corrupt snapshot", async () => {
    const cache = new MemoryCache(1 << 24);
    await cache.setIfVersion(minerKey("acme", "s1"), "", "{not json", 60);
    await cache.setIfVersion(
      minerKey("acme", "s2"),
      "",
      JSON.stringify({ v: 2, watermark: "5", snapshot: { version: 99 } }),
      60,
    );
    const store = new LearnedStore({ cache, saveDelayMs: 60_000 });
    expect((await store.get("acme", "s1")).miner.clusters()).toEqual([]);
    expect((await store.get("acme", "s2")).watermark).toBe(0n);
  });

  it("never overwrites a state it could not read: learning during the outage is merged into it", async () => {
    const { cache, state } = flakyCache();
    const before = new LearnedStore({ cache, saveDelayMs: 60_000 });
    learnNewLines(before, await before.get("acme", "s1"), lines(20));
    await before.close();

    state.down = true; // a new process starts while Redis is away
    const store = new LearnedStore({ cache, saveDelayMs: 60_000 });
    const fresh = await store.get("acme", "s1");
    expect(fresh.miner.clusters()).toEqual([]);
    expect(learnNewLines(store, fresh, lines(3, 100))).toBe(3);
    await store.flush();

    state.down = false;
    await store.flush(); // merges the 3 lines into the 20 stored
    const stored = (await storedOf(cache, "acme", "s1"))!;
    expect(stored.snapshot.clusters).toHaveLength(1);
    expect(stored.snapshot.clusters[0].count).toBe(23);
    expect(stored.watermark).toBe(String(T0 + 102n * S));
    // The miner now reads from the merged state, and nothing is counted twice by another flush.
    expect(fresh.miner.clusters()[0]?.count).toBe(23);
    await store.flush();
    expect((await storedOf(cache, "acme", "s1"))!.snapshot.clusters[0].count).toBe(23);
    expect(learnNewLines(store, fresh, lines(3, 100))).toBe(0);
    await store.close();
  });

  it("saves a miner learned during an outage once the cache is back and has nothing stored", async () => {
    const { cache, state } = flakyCache();
    state.down = true;
    const store = new LearnedStore({ cache, saveDelayMs: 60_000 });
    learnNewLines(store, await store.get("acme", "s9"), lines(4));
    await store.flush();
    state.down = false;
    await store.flush();
    expect((await storedOf(cache, "acme", "s9"))!.snapshot.clusters[0].count).toBe(4);
    await store.close();
  });
});
