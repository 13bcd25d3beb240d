import { randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";
import { type Cache, newCounters, type Versioned } from "./types.ts";

/**
 * In-memory cache bounded by bytes (LRU), used when no Redis is configured.
 * One process only: locks are local (concurrent identical requests are already
 * coalesced in process by `cached()`).
 */
export class MemoryCache implements Cache {
  readonly kind = "memory" as const;
  readonly counters = newCounters();
  private readonly lru: LRUCache<string, string>;
  private readonly locks = new Map<string, { token: string; until: number }>();

  constructor(maxBytes: number) {
    this.lru = new LRUCache<string, string>({
      maxSize: maxBytes,
      // One entry may use at most a quarter of the budget, so a single huge
      // answer cannot flush everything else.
      maxEntrySize: Math.max(1, Math.floor(maxBytes / 4)),
      // JS strings are UTF-16: two bytes per code unit.
      sizeCalculation: (value, key) => Math.max(1, value.length * 2 + key.length * 2),
    });
  }

  /** Bytes currently held (as counted by the size calculation). */
  get sizeBytes(): number {
    return this.lru.calculatedSize;
  }

  async get(key: string) {
    return this.lru.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number) {
    this.lru.set(key, value, { ttl: Math.max(1, Math.round(ttlSeconds)) * 1000 });
  }

  async delete(key: string) {
    this.lru.delete(key);
  }

  async tryLock(key: string, ttlMs: number) {
    const now = Date.now();
    const held = this.locks.get(key);
    if (held && held.until > now) return undefined;
    const token = randomUUID();
    this.locks.set(key, { token, until: now + ttlMs });
    return token;
  }

  async unlock(key: string, token: string) {
    if (this.locks.get(key)?.token === token) this.locks.delete(key);
  }

  /** A versioned value is kept as `<version>\n<value>` (versions are UUIDs, without a line break). */
  async getVersioned(key: string) {
    return this.versioned(key);
  }

  /** Checks and writes in one synchronous step: nothing else runs in between. */
  async setIfVersion(key: string, version: string, value: string, ttlSeconds: number) {
    if (this.versioned(key).version !== version) return false;
    this.lru.set(key, `${randomUUID()}\n${value}`, { ttl: Math.max(1, Math.round(ttlSeconds)) * 1000 });
    return this.lru.has(key); // false when the value is beyond the per-entry bound
  }

  private versioned(key: string): Versioned {
    const raw = this.lru.get(key);
    const cut = raw?.indexOf("\n") ?? -1;
    if (raw === undefined || cut < 0) return { value: undefined, version: "" };
    return { value: raw.slice(cut + 1), version: raw.slice(0, cut) };
  }

  async ping() {}

  async close() {
    this.lru.clear();
    this.locks.clear();
  }
}
