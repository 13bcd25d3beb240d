import { Redis } from "ioredis";
import type { Cache } from "./types.ts";

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
  readonly client: Redis;
  private up = true;

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
    this.client.on("ready", () => this.setUp(true));
  }

  private setUp(up: boolean, error?: Error) {
    if (this.up === up) return;
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

  async ping(signal?: AbortSignal) {
    if (this.client.status === "connecting" || this.client.status === "connect") {
      // Just started (or reconnecting): give the connection the ping's own deadline.
      await abortable(new Promise<void>((resolve) => this.client.once("ready", () => resolve())), signal);
    }
    if (this.client.status !== "ready") throw new Error(`Redis is not connected (${this.client.status})`);
    await abortable(this.client.ping(), signal);
  }

  async close() {
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
