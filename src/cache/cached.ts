import { asError } from "../errors.ts";
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
  /** The caller's signal (its disconnect or deadline): when it aborts, this caller stops waiting. */
  signal?: AbortSignal | undefined;
}

const DEFAULTS = { lockTtlMs: 15_000, waitMs: 3_000 };
const POLL_MS = [25, 50, 100, 150, 250];

/**
 * One shared computation: it runs on its own signal, which aborts only when
 * every caller waiting for it has left.
 */
interface Flight {
  result: Promise<CachedResult<unknown>>;
  controller: AbortController;
  waiters: number;
}

/**
 * In-flight computations per cache instance, so concurrent identical requests
 * in this process share one. Kept per cache (not per module) so two caches —
 * two "API instances" in a test — do not share it.
 */
const flightsByCache = new WeakMap<Cache, Map<string, Flight>>();

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
 * `compute` gets the signal of the shared computation, not of any one caller:
 * a caller whose own `signal` aborts leaves (its call rejects with the
 * signal's reason as an Error), and the computation is aborted only when the
 * last caller waiting for it has left.
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
  compute: (signal: AbortSignal) => Promise<T>,
  options: CachedOptions<T> = {},
): Promise<CachedResult<T>> {
  options.signal?.throwIfAborted();
  if (options.bypass) {
    cache.counters.bypasses++;
    const ctx = new Call(cache, key, ttlSeconds, compute, options);
    const value = await compute(options.signal ?? new AbortController().signal);
    await ctx.store(value);
    return { value, status: "BYPASS" };
  }
  let flights = flightsByCache.get(cache);
  if (!flights) {
    flights = new Map();
    flightsByCache.set(cache, flights);
  }
  const running = flights.get(key);
  if (running) {
    const shared = (await wait(flights, key, running, options.signal)) as CachedResult<T>;
    cache.counters.hits++;
    return { value: shared.value, status: "HIT" };
  }
  const flight = start(flights, key, (signal) => new Call(cache, key, ttlSeconds, compute, options).run(signal));
  const result = (await wait(flights, key, flight, options.signal)) as CachedResult<T>;
  if (result.status === "HIT") cache.counters.hits++;
  else cache.counters.misses++;
  return result;
}

/** Starts a shared computation under `key`; it leaves the map when it settles. */
function start(
  flights: Map<string, Flight>,
  key: string,
  run: (signal: AbortSignal) => Promise<CachedResult<unknown>>,
): Flight {
  const controller = new AbortController();
  const flight: Flight = { result: Promise.resolve(undefined as never), controller, waiters: 0 };
  flight.result = run(controller.signal).finally(() => {
    if (flights.get(key) === flight) flights.delete(key);
  });
  flight.result.catch(() => {}); // a flight every caller has left may still fail: nobody is listening
  flights.set(key, flight);
  return flight;
}

/**
 * Waits for `flight` on behalf of one caller. When the caller's `signal`
 * aborts first, the caller leaves with the signal's reason (as an Error); the
 * last caller to leave aborts the computation and forgets it, so a later
 * identical call starts afresh.
 */
function wait(
  flights: Map<string, Flight>,
  key: string,
  flight: Flight,
  signal: AbortSignal | undefined,
): Promise<CachedResult<unknown>> {
  flight.waiters++; // a caller without a signal never leaves, so the computation runs to its end
  if (!signal) return flight.result.catch((error: unknown) => Promise.reject(asError(error)));
  return new Promise((resolve, reject) => {
    const leave = () => {
      flight.waiters--;
      if (flight.waiters === 0) {
        if (flights.get(key) === flight) flights.delete(key);
        flight.controller.abort(new Error("every caller waiting for this computation has left"));
      }
      reject(asError(signal.reason));
    };
    signal.addEventListener("abort", leave, { once: true });
    flight.result.then(
      (value) => {
        signal.removeEventListener("abort", leave);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", leave);
        reject(asError(error));
      },
    );
  });
}

class Call<T> {
  private errored = false;
  private readonly encode: (value: T) => string;
  private readonly decode: (text: string) => T;

  constructor(
    private readonly cache: Cache,
    private readonly key: string,
    private readonly ttlSeconds: number,
    private readonly compute: (signal: AbortSignal) => Promise<T>,
    private readonly options: CachedOptions<T>,
  ) {
    this.encode = options.encode ?? ((v) => JSON.stringify(v));
    this.decode = options.decode ?? ((s) => JSON.parse(s) as T);
  }

  async run(signal: AbortSignal): Promise<CachedResult<T>> {
    const found = await this.lookup();
    if (found) return found;

    const lockKey = lockKeyOf(this.key);
    const lockTtlMs = this.options.lockTtlMs ?? DEFAULTS.lockTtlMs;
    let token = await this.safe(() => this.cache.tryLock(lockKey, lockTtlMs), null);
    if (token === undefined) {
      // Another instance is computing it: wait for its value, bounded.
      const deadline = Date.now() + (this.options.waitMs ?? DEFAULTS.waitMs);
      for (let i = 0; Date.now() < deadline && !this.errored && !signal.aborted; i++) {
        await sleep(Math.min(POLL_MS[Math.min(i, POLL_MS.length - 1)] as number, Math.max(1, deadline - Date.now())));
        const value = await this.lookup();
        if (value) return value;
        // Lock gone without a value (holder failed or chose not to store): take over.
        token = await this.safe(() => this.cache.tryLock(lockKey, lockTtlMs), null);
        if (token !== undefined) break;
      }
    }
    try {
      signal.throwIfAborted();
      const value = await this.compute(signal);
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
