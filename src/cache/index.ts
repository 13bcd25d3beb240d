import { MemoryCache } from "./memory.ts";
import { RedisCache } from "./redis.ts";
import type { Cache } from "./types.ts";

export { MemoryCache } from "./memory.ts";
export { RedisCache } from "./redis.ts";
export type { Cache } from "./types.ts";

/** Redis when a URL is given, otherwise a byte-bounded in-memory cache. */
export function createCache(options: {
  redisUrl?: string | undefined;
  memoryBytes: number;
  onRedisStateChange?: (up: boolean, error?: Error) => void;
}): Cache {
  if (options.redisUrl) {
    return new RedisCache({
      url: options.redisUrl,
      ...(options.onRedisStateChange ? { onStateChange: options.onRedisStateChange } : {}),
    });
  }
  return new MemoryCache(options.memoryBytes);
}
