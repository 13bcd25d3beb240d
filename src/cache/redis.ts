import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { type Cache, newCounters } from "./types.ts";

/** Deletes the lock only if it still holds our token (another instance may have taken it after expiry). */
const UNLOCK_SCRIPT = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/** Compare-and-set on a hash {v: version, d: data}: writes only when the version is still ARGV[1]. */
const CAS_SCRIPT = `local v = redis.call("hget", KEYS[1], "v") or ""
if v ~= ARGV[1] then return 0 end
redis.call("hset", KEYS[1], "v", ARGV[2], "d", ARGV[3])
redis.call("expire", KEYS[1], ARGV[4])
return 1`;

export interface RedisCacheOptions {
  url: string;
  /** Called once when Redis becomes unreachable and once when it is back (not per request). */
  onStateChange?: (up: boolean, error?: Error) => void;
  /** Per-command deadline: a slow Redis must never slow a request down. */
  commandTimeoutMs?: number;
}

/**
 * Redis-backed cache (ioredis). Commands fail fast while Redis is down (no
 * offline queue) and the client keeps reconnecting in the background.
 */
export class RedisCache implements Cache {
  readonly kind = "redis" as const;
  readonly counters = newCounters();
  readonly client: Redis;
  private up = true;
  private closing = false;

  constructor(private readonly options: RedisCacheOptions) {
    this.client = new Redis(options.url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    this.client.on("error", (err: Error) => this.setUp(false, err));
    this.client.on("close", () => this.setUp(false, new Error("connection to Redis closed")));
    this.client.on("ready", () => this.setUp(true));
  }

  /** False while Redis is unreachable (the client keeps reconnecting). */
  get isUp(): boolean {
    return this.up && this.client.status === "ready";
  }

  private setUp(up: boolean, error?: Error) {
    if (this.closing || this.up === up) return;
    this.up = up;
    this.options.onStateChange?.(up, error);
  }

  async get(key: string) {
    return (await this.client.get(key)) ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds: number) {
    await this.client.set(key, value, "EX", Math.max(1, Math.round(ttlSeconds)));
  }

  async delete(key: string) {
    await this.client.del(key);
  }

  async tryLock(key: string, ttlMs: number) {
    const token = randomUUID();
    const ok = await this.client.set(key, token, "PX", Math.max(1, Math.round(ttlMs)), "NX");
    return ok === "OK" ? token : undefined;
  }

  async unlock(key: string, token: string) {
    await this.client.eval(UNLOCK_SCRIPT, 1, key, token);
  }

  async getVersioned(key: string) {
    const [version, value] = await this.client.hmget(key, "v", "d");
    return { value: value ?? undefined, version: version ?? "" };
  }

  async setIfVersion(key: string, version: string, value: string, ttlSeconds: number) {
    const ttl = Math.max(1, Math.round(ttlSeconds));
    return (await this.client.eval(CAS_SCRIPT, 1, key, version, randomUUID(), value, ttl)) === 1;
  }

  async ping(signal?: AbortSignal) {
    if (this.client.status === "connecting" || this.client.status === "connect") {
      // Just started (or reconnecting): give the connection the ping's own deadline.
      await abortable(new Promise<void>((resolve) => this.client.once("ready", () => resolve())), signal);
    }
    if (this.client.status !== "ready") throw new Error(`Redis is not connected (${this.client.status})`);
    await abortable(this.client.ping(), signal);
  }

  async close() {
    this.closing = true;
    this.client.disconnect(false);
  }
}

function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error("aborted"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
