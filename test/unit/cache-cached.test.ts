import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { cached } from "../../src/cache/cached.ts";
import { wantsBypass } from "../../src/cache/http.ts";
import { MemoryCache } from "../../src/cache/memory.ts";
import { type Cache, newCounters } from "../../src/cache/types.ts";
import { counting } from "./helpers/counting.ts";

/** A cache whose every operation fails, like Redis while it is down. */
class BrokenCache implements Cache {
  readonly kind = "redis" as const;
  readonly counters = newCounters();
  private fail = async (): Promise<never> => {
    throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
  };
  get = this.fail;
  set = this.fail;
  delete = this.fail;
  tryLock = this.fail;
  unlock = this.fail;
  ping = this.fail;
  close = async () => {};
}

describe("cached (in-memory cache)", () => {
  it("misses, then hits with the same value", async () => {
    const cache = new MemoryCache(1 << 20);
    const compute = counting({ n: 1 }, 20);
    expect(await cached(cache, "k", 30, compute)).toEqual({ value: { n: 1 }, status: "MISS" });
    expect(await cached(cache, "k", 30, compute)).toEqual({ value: { n: 1 }, status: "HIT" });
    expect(compute.calls).toBe(1);
    expect(cache.counters).toEqual({ hits: 1, misses: 1, bypasses: 0, errors: 0 });
  });

  it("runs concurrent identical calls once", async () => {
    const cache = new MemoryCache(1 << 20);
    const compute = counting("v", 50);
    const results = await Promise.all(Array.from({ length: 20 }, () => cached(cache, "k", 30, compute)));
    expect(compute.calls).toBe(1);
    expect(results.every((r) => r.value === "v")).toBe(true);
    expect(results.filter((r) => r.status === "MISS")).toHaveLength(1);
  });

  it("bypass computes again and refreshes the stored value", async () => {
    const cache = new MemoryCache(1 << 20);
    await cached(cache, "k", 30, async () => "old");
    expect(await cached(cache, "k", 30, async () => "new", { bypass: true })).toEqual({
      value: "new",
      status: "BYPASS",
    });
    expect(await cached(cache, "k", 30, async () => "unused")).toEqual({ value: "new", status: "HIT" });
    expect(cache.counters.bypasses).toBe(1);
  });

  it("does not cache failures, and shares them with concurrent callers", async () => {
    const cache = new MemoryCache(1 << 20);
    let calls = 0;
    const failing = async () => {
      calls++;
      await sleep(20);
      throw new Error("loki down");
    };
    const results = await Promise.allSettled([cached(cache, "k", 30, failing), cached(cache, "k", 30, failing)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(calls).toBe(1);
    expect(await cached(cache, "k", 30, async () => "ok")).toEqual({ value: "ok", status: "MISS" });
  });

  it("honours shouldStore and custom codecs", async () => {
    const cache = new MemoryCache(1 << 20);
    const opts = { shouldStore: (v: { partial: boolean }) => !v.partial };
    await cached(cache, "k", 30, async () => ({ partial: true }), opts);
    expect(await cache.get("k")).toBeUndefined();
    const codec = { encode: (v: bigint) => v.toString(), decode: (s: string) => BigInt(s) };
    await cached(cache, "b", 30, async () => 12n, codec);
    expect(await cached(cache, "b", 30, async () => 0n, codec)).toEqual({ value: 12n, status: "HIT" });
  });

  it("stays bounded by bytes", async () => {
    const cache = new MemoryCache(64 * 1024);
    for (let i = 0; i < 200; i++) await cache.set(`k${i}`, "x".repeat(1_000), 60);
    expect(cache.sizeBytes).toBeLessThanOrEqual(64 * 1024);
    expect(await cache.get("k199")).toBeDefined();
    expect(await cache.get("k0")).toBeUndefined();
  });
});

describe("cached with a failing cache", () => {
  it("never fails the call, computes, and counts one error per call", async () => {
    const cache = new BrokenCache();
    const compute = counting(7, 20);
    expect(await cached(cache, "k", 30, compute)).toEqual({ value: 7, status: "MISS" });
    expect(await cached(cache, "k", 30, compute, { bypass: true })).toEqual({ value: 7, status: "BYPASS" });
    expect(compute.calls).toBe(2);
    expect(cache.counters).toEqual({ hits: 0, misses: 1, bypasses: 1, errors: 2 });
  });
});

describe("wantsBypass", () => {
  it.each([
    [{ cacheControl: "no-cache" }, true],
    [{ cacheControl: "max-age=0" }, true],
    [{ cacheControl: "public, No-Store" }, true],
    [{ pragma: "no-cache" }, true],
    [{ cacheControl: "max-age=60" }, false],
    [{}, false],
  ])("%j → %s", (headers, expected) => {
    expect(wantsBypass(headers)).toBe(expected);
  });
});
