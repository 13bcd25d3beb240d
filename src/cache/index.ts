import { MemoryCache } from "./memory.ts";
import { RedisCache } from "./redis.ts";
import type { Cache } from "./types.ts";

export { type CachedOptions, type CachedResult, type CacheStatus, cached } from "./cached.ts";
export { bypassRequested, setCacheStatus, wantsBypass, X_CACHE_HEADER } from "./http.ts";
export {
  alignRange,
  alignStepFor,
  CACHE_KEY_PREFIX,
  cacheKey,
  type NsRange,
  normalizeParams,
  type ParamObject,
  type ParamValue,
} from "./key.ts";
export { MemoryCache } from "./memory.ts";
export { RedisCache } from "./redis.ts";
export {
  DEFAULT_TTL_TABLE,
  DEFAULT_TTL_TABLE_SPEC,
  describeTtlTable,
  parseDurationMs,
  parseTtlTable,
  type TtlRule,
  type TtlTable,
  ttlFor,
} from "./ttl.ts";
export type { Cache, CacheCounters } from "./types.ts";

/** Redis when a URL is given, otherwise a byte-bounded in-memory cache. */
export function createCache(options: {
  redisUrl?: string | undefined;
  memoryBytes: number;
  onRedisStateChange?: (up: boolean, error?: Error) => void;
  /** Per-command deadline for Redis (default 500 ms): a slow Redis is treated as down for that call. */
  redisCommandTimeoutMs?: number;
}): Cache {
  if (options.redisUrl) {
    return new RedisCache({
      url: options.redisUrl,
      ...(options.onRedisStateChange ? { onStateChange: options.onRedisStateChange } : {}),
      ...(options.redisCommandTimeoutMs ? { commandTimeoutMs: options.redisCommandTimeoutMs } : {}),
    });
  }
  return new MemoryCache(options.memoryBytes);
}
