/** The cache every service uses; Redis in production, memory when REDIS_URL is unset. */
export interface Cache {
  readonly kind: "redis" | "memory";
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Resolves when the backend answers; rejects with the reason otherwise. */
  ping(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
