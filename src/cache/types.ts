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

/** A value read with its version (`""` when the key holds nothing), for `setIfVersion`. */
export interface Versioned {
  value: string | undefined;
  version: string;
}

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
  /** Reads a key written by `setIfVersion`, with its version (such a key is read only this way). */
  getVersioned(key: string): Promise<Versioned>;
  /**
   * Compare-and-set shared by every API instance using this cache: writes `value` only when the key is
   * still at `version` (as `getVersioned` read it; `""` for none) and resolves whether it wrote. Each
   * write gets a new random version, so a version never comes back.
   */
  setIfVersion(key: string, version: string, value: string, ttlSeconds: number): Promise<boolean>;
  /** Resolves when the backend answers; rejects with the reason otherwise. */
  ping(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
