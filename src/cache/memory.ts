import { LRUCache } from "lru-cache";
import type { Cache } from "./types.ts";

/** In-memory cache bounded by bytes (LRU), used when no Redis is configured. */
export class MemoryCache implements Cache {
  readonly kind = "memory" as const;
  private readonly lru: LRUCache<string, string>;

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, string>({
      maxSize: maxBytes,
      sizeCalculation: (value, key) => Math.max(1, value.length * 2 + key.length * 2),
    });
  }

  async get(key: string) {
    return this.lru.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number) {
    this.lru.set(key, value, { ttl: Math.max(1, ttlSeconds) * 1000 });
  }

  async delete(key: string) {
    this.lru.delete(key);
  }

  async ping() {}

  async close() {
    this.lru.clear();
  }
}
