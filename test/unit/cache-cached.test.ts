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
  getVersioned = this.fail;
  setIfVersion = this.fail;
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

/** A computation that takes `ms` unless its signal aborts first, recording the signals it was given. */
function abortable(value: string, ms: number) {
  const fn = async (signal: AbortSignal) => {
    fn.signals.push(signal);
    await sleep(ms, undefined, { signal });
    return value;
  };
  fn.signals = [] as AbortSignal[];
  return fn;
}

describe("cached: shared work survives its callers", () => {
  it("a caller that leaves does not fail the others, and gets an Error (not the string reason)", async () => {
    const cache = new MemoryCache(1 << 20);
    const compute = abortable("v", 80);
    const first = new AbortController();
    const a = cached(cache, "k", 30, compute, { signal: first.signal });
    const b = cached(cache, "k", 30, compute, { signal: new AbortController().signal });
    await sleep(10);
    first.abort("Client connection prematurely closed."); // what @hono/node-server aborts with
    const [ra, rb] = await Promise.allSettled([a, b]);
    expect(ra.status).toBe("rejected");
    const reason = (ra as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(Error);
    expect((reason as Error).message).toBe("Client connection prematurely closed.");
    expect(rb).toEqual({ status: "fulfilled", value: { value: "v", status: "HIT" } });
    expect(compute.signals).toHaveLength(1);
    expect(compute.signals[0]!.aborted).toBe(false);
    expect(compute.signals[0]).not.toBe(first.signal);
  });

  it("the computation is aborted when the last waiting caller leaves, and the next call starts afresh", async () => {
    const cache = new MemoryCache(1 << 20);
    const compute = abortable("v", 200);
    const callers = [new AbortController(), new AbortController()];
    const pending = Promise.allSettled(callers.map((c) => cached(cache, "k", 30, compute, { signal: c.signal })));
    await sleep(10);
    callers[0]!.abort(new Error("gone"));
    await sleep(10);
    expect(compute.signals[0]!.aborted).toBe(false);
    callers[1]!.abort(new Error("gone too"));
    const settled = await pending;
    expect(settled.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(compute.signals[0]!.aborted).toBe(true);
    expect(compute.signals[0]!.reason).toBeInstanceOf(Error);
    expect(await cached(cache, "k", 30, abortable("fresh", 5))).toEqual({ value: "fresh", status: "MISS" });
  });

  it("a caller without a signal keeps the computation alive when the others leave", async () => {
    const cache = new MemoryCache(1 << 20);
    const compute = abortable("v", 60);
    const leaving = new AbortController();
    const staying = cached(cache, "k", 30, compute);
    const left = cached(cache, "k", 30, compute, { signal: leaving.signal });
    await sleep(10);
    leaving.abort(new Error("gone"));
    await expect(left).rejects.toThrow("gone");
    expect(await staying).toEqual({ value: "v", status: "MISS" });
    expect(compute.signals[0]!.aborted).toBe(false);
  });

  it("an already aborted caller computes nothing", async () => {
    const cache = new MemoryCache(1 << 20);
    const compute = abortable("v", 5);
    await expect(cached(cache, "k", 30, compute, { signal: AbortSignal.abort(new Error("late")) })).rejects.toThrow(
      "late",
    );
    expect(compute.signals).toHaveLength(0);
  });

  it("every thrown value reaches every caller as an Error", async () => {
    const cache = new MemoryCache(1 << 20);
    const throwsString = async () => {
      await sleep(20);
      throw "not an error";
    };
    const settled = await Promise.allSettled([
      cached(cache, "k", 30, throwsString),
      cached(cache, "k", 30, throwsString, { signal: new AbortController().signal }),
    ]);
    for (const r of settled) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(Error);
      expect(((r as PromiseRejectedResult).reason as Error).message).toBe("not an error");
    }
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
