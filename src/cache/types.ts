/** Counts kept by `cached()` for the metrics endpoint; plain numbers, reset never. */
export interface CacheCounters {
  /** Served from the cache (including requests that waited for a concurrent identical one). */
  hits: number;
  /** Not in the cache: the value was computed (one Loki query) and stored. */
  misses: number;
  /** The caller asked for fresh data (Cache-Control: no-cache); computed and stored. */
  bypasses: number;
  /** Cache operations that failed (Redis down or slow); the request was served uncached. */
  errors: number;
}

export const newCounters = (): CacheCounters => ({ hits: 0, misses: 0, bypasses: 0, errors: 0 });

/** The cache every service uses; Redis in production, memory when REDIS_URL is unset. */
export interface Cache {
  readonly kind: "redis" | "memory";
  /** Hit/miss/bypass/error counts, updated by `cached()`. */
  readonly counters: CacheCounters;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Tries to take a short lock shared by every API instance using this cache.
   * Resolves to a token to pass to `unlock`, or undefined when someone else holds it.
   */
  tryLock(key: string, ttlMs: number): Promise<string | undefined>;
  /** Releases a lock taken with `tryLock` (only if the token still owns it). */
  unlock(key: string, token: string): Promise<void>;
  /** Resolves when the backend answers; rejects with the reason otherwise. */
  ping(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
