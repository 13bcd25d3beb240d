import { describe, expect, it } from "vitest";
import { MemoryCache } from "../../src/cache/index.ts";
import { type LearnedMiner, LearnedStore, learnNewLines, minerKey } from "../../src/patterns/store.ts";

// Several API instances (one LearnedStore each) sharing one cache, as they share Redis.

const S = 1_000_000_000n;
const T0 = 1_800_000_000n * S;
const at = (i: number) => T0 + BigInt(i) * S;
const pool = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    ts: at(from + i),
    message: `connection pool exhausted: waited ${2000 + (from + i) * 37}ms for a connection`,
  }));
const tls = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => ({
    ts: at(from + i),
    message: `TLS handshake with 10.0.0.${from + i} failed: certificate expired`,
  }));
const POOL = "connection pool exhausted: waited <*>ms for a connection";
const TLS = "TLS handshake with <*> failed: certificate expired";

const counts = (m: LearnedMiner) => Object.fromEntries(m.miner.clusters().map((c) => [c.template, c.count] as const));
const store = (cache: MemoryCache, maxClusters?: number) =>
  new LearnedStore({ cache, saveDelayMs: 60_000, maxClusters });

describe("LearnedStore across instances sharing a cache", () => {
  it("ends with the union of what each learned, every line counted once", async () => {
    const cache = new MemoryCache(1 << 24);
    const a = store(cache);
    const b = store(cache);
    const ma = await a.get("acme", "checkout");
    const mb = await b.get("acme", "checkout");
    learnNewLines(a, ma, pool(5));
    learnNewLines(b, mb, tls(7, 100));
    await a.flush();
    await b.flush();
    // b read a's learning on its save; a reads b's on its next one.
    expect(counts(mb)).toEqual({ [POOL]: 5, [TLS]: 7 });
    learnNewLines(a, ma, pool(2, 200));
    await a.flush();
    expect(counts(ma)).toEqual({ [POOL]: 7, [TLS]: 7 });
    // Flushing again without new lines, and a third instance restoring: still each line once.
    await a.flush();
    await b.flush();
    const c = store(cache);
    expect(counts(await c.get("acme", "checkout"))).toEqual({ [POOL]: 7, [TLS]: 7 });
    expect((await c.get("acme", "checkout")).watermark).toBe(at(201));
  });

  it("saves at the same moment by compare-and-set, retrying, and loses nothing", async () => {
    const cache = new MemoryCache(1 << 24);
    const instances = [store(cache), store(cache), store(cache)];
    const miners = await Promise.all(instances.map((s) => s.get(undefined, "api")));
    instances.forEach((s, i) => {
      learnNewLines(s, miners[i]!, i % 2 === 0 ? pool(4 + i, i * 100) : tls(4 + i, i * 100));
    });
    await Promise.all(instances.map((s) => s.flush()));
    const restored = await store(cache).get(undefined, "api");
    expect(counts(restored)).toEqual({ [POOL]: 4 + 6, [TLS]: 5 });
  });

  it("keeps the shared state within maxClusters", async () => {
    const cache = new MemoryCache(1 << 24);
    const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];
    const line = (w: string, i: number) => ({ ts: at(i), message: `${w} subsystem stopped ${w}` });
    const a = store(cache, 5);
    const b = store(cache, 5);
    learnNewLines(a, await a.get("acme", "s"), words.slice(0, 4).map(line));
    learnNewLines(
      b,
      await b.get("acme", "s"),
      words.slice(4).map((w, i) => line(w, 10 + i)),
    );
    await a.flush();
    await b.flush();
    const { value } = await cache.getVersioned(minerKey("acme", "s"));
    expect(JSON.parse(value!).snapshot.clusters.length).toBeLessThanOrEqual(5);
  });

  it("never shares a state between no tenant, `_` and the empty tenant", async () => {
    const cache = new MemoryCache(1 << 24);
    const a = store(cache);
    learnNewLines(a, await a.get("_", "checkout"), pool(3));
    learnNewLines(a, await a.get("", "checkout"), tls(2));
    await a.close();
    const b = store(cache);
    expect(counts(await b.get(undefined, "checkout"))).toEqual({});
    expect(counts(await b.get("_", "checkout"))).toEqual({ [POOL]: 3 });
    expect(counts(await b.get("", "checkout"))).toEqual({ [TLS]: 2 });
    const c = store(cache);
    expect(await c.restoreAll()).toBe(2);
  });
});
