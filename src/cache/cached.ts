import { lockKeyOf } from "./key.ts";
import type { Cache } from "./types.ts";

export type CacheStatus = "HIT" | "MISS" | "BYPASS";

export interface CachedResult<T> {
  value: T;
  /** HIT: served from the cache, or shared with a concurrent identical request; MISS: computed; BYPASS: caller asked for fresh data. */
  status: CacheStatus;
}

export interface CachedOptions<T> {
  /** Skip the lookup (Cache-Control: no-cache); the fresh value still replaces the cached one. */
  bypass?: boolean;
  /** Serialization of values (default JSON). */
  encode?: (value: T) => string;
  decode?: (text: string) => T;
  /** Return false to not store a value (e.g. a partial or truncated answer). */
  shouldStore?: (value: T) => boolean;
  /** Lifetime of the cross-instance lock; a crashed holder frees it after this. Default 15 s. */
  lockTtlMs?: number;
  /** How long a request waits for another instance's computation before computing itself. Default 3 s. */
  waitMs?: number;
}

const DEFAULTS = { lockTtlMs: 15_000, waitMs: 3_000 };
const POLL_MS = [25, 50, 100, 150, 250];

/**
 * In-flight computations per cache instance, so concurrent identical requests
 * in this process share one. Kept per cache (not per module) so two caches —
 * two "API instances" in a test — do not share it.
 */
const flightsByCache = new WeakMap<Cache, Map<string, Promise<CachedResult<unknown>>>>();

/**
 * Read-through cache with single-flight:
 *
 * 1. `bypass` → compute, store, BYPASS.
 * 2. An identical call already running in this process → wait for it, HIT.
 * 3. In the cache → HIT.
 * 4. Otherwise take a short lock in the cache (SET NX PX in Redis, shared by
 *    every API instance). The holder computes and stores; the others poll the
 *    cache (bounded by `waitMs`) and take the stored value, or compute
 *    themselves when the holder is slow or gone.
 *
 * The cache never fails a request: any cache error (Redis down or slow) is
 * counted in `cache.counters.errors` (once per call) and the call falls
 * through to `compute`. Errors thrown by `compute` propagate and are not cached.
 * Treat returned values as immutable: concurrent callers share one object.
 */
export async function cached<T>(
  cache: Cache,
  key: string,
  ttlSeconds: number,
  compute: () => Promise<T>,
  options: CachedOptions<T> = {},
): Promise<CachedResult<T>> {
  const ctx = new Call(cache, key, ttlSeconds, compute, options);
  if (options.bypass) {
    cache.counters.bypasses++;
    const value = await compute();
    await ctx.store(value);
    return { value, status: "BYPASS" };
  }
  let flights = flightsByCache.get(cache);
  if (!flights) {
    flights = new Map();
    flightsByCache.set(cache, flights);
  }
  const running = flights.get(key) as Promise<CachedResult<T>> | undefined;
  if (running) {
    const shared = await running;
    cache.counters.hits++;
    return { value: shared.value, status: "HIT" };
  }
  const flight = ctx.run();
  flights.set(key, flight);
  try {
    const result = await flight;
    if (result.status === "HIT") cache.counters.hits++;
    else cache.counters.misses++;
    return result;
  } finally {
    if (flights.get(key) === flight) flights.delete(key);
  }
}

class Call<T> {
  private errored = false;
  private readonly encode: (value: T) => string;
  private readonly decode: (text: string) => T;

  constructor(
    private readonly cache: Cache,
    private readonly key: string,
    private readonly ttlSeconds: number,
    private readonly compute: () => Promise<T>,
    private readonly options: CachedOptions<T>,
  ) {
    this.encode = options.encode ?? ((v) => JSON.stringify(v));
    this.decode = options.decode ?? ((s) => JSON.parse(s) as T);
  }

  async run(): Promise<CachedResult<T>> {
    const found = await this.lookup();
    if (found) return found;

    const lockKey = lockKeyOf(this.key);
    const lockTtlMs = this.options.lockTtlMs ?? DEFAULTS.lockTtlMs;
    let token = await this.safe(() => this.cache.tryLock(lockKey, lockTtlMs), null);
    if (token === undefined) {
      // Another instance is computing it: wait for its value, bounded.
      const deadline = Date.now() + (this.options.waitMs ?? DEFAULTS.waitMs);
      for (let i = 0; Date.now() < deadline && !this.errored; i++) {
        await sleep(Math.min(POLL_MS[Math.min(i, POLL_MS.length - 1)] as number, Math.max(1, deadline - Date.now())));
        const value = await this.lookup();
        if (value) return value;
        // Lock gone without a value (holder failed or chose not to store): take over.
        token = await this.safe(() => this.cache.tryLock(lockKey, lockTtlMs), null);
        if (token !== undefined) break;
      }
    }
    try {
      const value = await this.compute();
      await this.store(value);
      return { value, status: "MISS" };
    } finally {
      if (typeof token === "string") {
        const held = token;
        await this.safe(() => this.cache.unlock(lockKey, held), undefined);
      }
    }
  }

  async store(value: T): Promise<void> {
    if (this.options.shouldStore && !this.options.shouldStore(value)) return;
    let text: string;
    try {
      text = this.encode(value);
    } catch {
      return; // not serializable: serve it uncached
    }
    await this.safe(() => this.cache.set(this.key, text, this.ttlSeconds), undefined);
  }

  private async lookup(): Promise<CachedResult<T> | undefined> {
    const text = await this.safe(() => this.cache.get(this.key), undefined);
    if (text === undefined) return undefined;
    try {
      return { value: this.decode(text), status: "HIT" };
    } catch {
      return undefined; // unreadable entry (older format?): recompute and overwrite it
    }
  }

  /** Runs a cache operation; on failure counts one error for this call and returns `fallback`. */
  private async safe<R, F>(op: () => Promise<R>, fallback: F): Promise<R | F> {
    try {
      return await op();
    } catch {
      if (!this.errored) {
        this.errored = true;
        this.cache.counters.errors++;
      }
      return fallback;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
