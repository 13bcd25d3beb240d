import { LRUCache } from "lru-cache";
import { CACHE_KEY_PREFIX, type Cache } from "../cache/index.ts";
import type { Logger } from "../log.ts";
import type { Nanos } from "../loki/time.ts";
import { createMiner, type MinerConfig, type MinerSnapshot, restoreMiner, type TemplateMiner } from "./miner/index.ts";

/**
 * Learned templates: one online miner per (tenant, service), kept in an LRU
 * of miners (each miner itself bounded by `maxClusters`, evicting its least
 * recently used cluster). Snapshots go through the Cache interface (Redis, or
 * memory when there is none) as JSON, a few seconds after an update, and are
 * restored lazily the first time a (tenant, service) is used, or all at once
 * by `restoreAll` from an index key. The cache is best effort: when it fails
 * the miner lives in memory only and no request fails because of it.
 */

export interface LearnedStoreOptions {
  cache: Cache;
  logger?: Logger | undefined;
  /** Most miners held in memory (LRU); the least recently used is saved and dropped beyond it. Default 200. */
  maxMiners?: number | undefined;
  /** Most clusters per miner (the miner evicts its least recently used cluster beyond it). Default 1,000. */
  maxClusters?: number | undefined;
  /** Other miner knobs (masks, thresholds); defaults from the miner. */
  miner?: Partial<MinerConfig> | undefined;
  /** Delay between an update and its snapshot being written (debounce). Default 5 s; 0 saves on the next tick. */
  saveDelayMs?: number | undefined;
  /** How long an untouched snapshot is kept in the cache. Default 7 days. */
  ttlSeconds?: number | undefined;
}

/** One tenant's miner for one service, and the newest line it has learned. */
export interface LearnedMiner {
  readonly tenant: string;
  readonly service: string;
  readonly miner: TemplateMiner;
  /** Timestamp (ns) of the newest line learned; lines at or before it are not learned again. */
  watermark: Nanos;
  /** ms since epoch of the last update. */
  updatedAt: number;
}

/** What is stored under a miner's key. */
interface StoredMiner {
  v: 1;
  tenant: string;
  service: string;
  watermark: string;
  updatedAt: number;
  snapshot: MinerSnapshot;
}

const NO_TENANT = "_";
/** How long to wait for the cache to come up (Redis connecting at start) before reading without it. */
const READY_WAIT_MS = 2_000;
/** When the cache could not be read, how long before a miner's snapshot is looked for again. */
const UNVERIFIED_RETRY_MS = 5_000;
/** Most (tenant, service) pairs the index lists. */
const MAX_INDEX = 10_000;
export const MINER_KEY_PREFIX = `${CACHE_KEY_PREFIX}:miner`;
export const MINER_INDEX_KEY = `${CACHE_KEY_PREFIX}:miner-index`;

/** The cache key of one miner's snapshot (the tenant is always part of it). */
export const minerKey = (tenant: string | undefined, service: string): string =>
  `${MINER_KEY_PREFIX}:${encodeURIComponent(tenant ?? NO_TENANT)}:${encodeURIComponent(service)}`;

export class LearnedStore {
  private readonly cache: Cache;
  private readonly logger: Logger | undefined;
  private readonly minerConfig: Partial<MinerConfig>;
  private readonly saveDelayMs: number;
  private readonly ttlSeconds: number;
  private readonly miners: LRUCache<string, LearnedMiner>;
  private readonly loading = new Map<string, Promise<LearnedMiner>>();
  private readonly dirty = new Set<string>();
  /** Keys known to be in the index (so the index is rewritten only when a new miner appears). */
  private readonly indexed = new Set<string>();
  /** Miners whose snapshot could not be read (cache down) → when to try again (ms). */
  private readonly unverified = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();
  private indexQueue: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: LearnedStoreOptions) {
    this.cache = options.cache;
    this.logger = options.logger;
    this.minerConfig = { maxClusters: options.maxClusters ?? 1_000, ...options.miner };
    this.saveDelayMs = options.saveDelayMs ?? 5_000;
    this.ttlSeconds = options.ttlSeconds ?? 7 * 86_400;
    this.miners = new LRUCache<string, LearnedMiner>({
      max: options.maxMiners ?? 200,
      dispose: (value, key, reason) => {
        // An evicted miner with unsaved learning is saved on its way out.
        if (reason === "evict" && this.dirty.delete(key)) this.track(this.save(key, value));
      },
    });
  }

  /** Miners currently in memory. */
  get size(): number {
    return this.miners.size;
  }

  /** The miner of (tenant, service): from memory, else restored from its snapshot, else new. Never throws. */
  async get(tenant: string | undefined, service: string): Promise<LearnedMiner> {
    const key = minerKey(tenant, service);
    const hit = this.miners.get(key);
    const retryAt = this.unverified.get(key);
    if (hit && (retryAt === undefined || Date.now() < retryAt)) return hit;
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const load = this.load(key, tenant ?? NO_TENANT, service, hit).finally(() => this.loading.delete(key));
    this.loading.set(key, load);
    return load;
  }

  /** A throw-away copy of a miner (same templates, same configuration), to mine lines without teaching the original. */
  copyOf(learned: LearnedMiner): TemplateMiner {
    return restoreMiner(learned.miner.snapshot(), this.minerConfig);
  }

  /** Records that `learned` changed: its snapshot is written after the save delay. */
  touch(learned: LearnedMiner): void {
    const key = minerKey(learned.tenant, learned.service);
    learned.updatedAt = Date.now();
    // Re-insert when it was evicted meanwhile, so the update is not lost.
    if (this.miners.peek(key) !== learned) this.miners.set(key, learned);
    this.dirty.add(key);
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.saveDelayMs);
    this.timer.unref();
  }

  /** Writes every changed miner's snapshot now. Never throws (a failed write stays pending for the next flush). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const keys = [...this.dirty];
    this.dirty.clear();
    for (const key of keys) {
      const learned = this.miners.peek(key);
      if (learned) this.track(this.save(key, learned));
    }
    await this.settled();
  }

  /**
   * Restores every miner listed in the index (up to the LRU's size), e.g. at
   * start-up. Resolves to the number restored; never throws.
   */
  async restoreAll(): Promise<number> {
    const index = await this.readIndex();
    let restored = 0;
    for (const [tenant, service] of index.slice(-this.miners.max)) {
      const key = minerKey(tenant === NO_TENANT ? undefined : tenant, service);
      this.indexed.add(key);
      if (this.miners.has(key)) continue;
      const learned = await this.get(tenant === NO_TENANT ? undefined : tenant, service);
      if (learned.miner.clusters().length > 0) restored++;
    }
    return restored;
  }

  /** Flushes pending snapshots and stops the timer. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  /**
   * Restores a miner from its snapshot. When the cache cannot be read, the
   * miner starts fresh but stays "unverified": it is never saved (that could
   * overwrite a snapshot we could not read) and the read is retried on a
   * later use; if a snapshot turns up then, it replaces the fresh miner.
   */
  private async load(key: string, tenant: string, service: string, current?: LearnedMiner): Promise<LearnedMiner> {
    let text: string | undefined;
    try {
      text = await this.read(key);
      this.unverified.delete(key);
    } catch (error) {
      if (!this.unverified.has(key)) {
        this.logger?.warn("learned templates: cache unreadable; learning in memory until it is back", {
          tenant,
          service,
          error,
        });
      }
      this.unverified.set(key, Date.now() + UNVERIFIED_RETRY_MS);
    }
    let learned: LearnedMiner | undefined;
    if (text !== undefined) {
      try {
        const stored = JSON.parse(text) as StoredMiner;
        if (stored.v !== 1) throw new Error(`unknown stored miner version ${String(stored.v)}`);
        learned = {
          tenant,
          service,
          miner: restoreMiner(stored.snapshot, this.minerConfig),
          watermark: BigInt(stored.watermark),
          updatedAt: stored.updatedAt,
        };
        this.indexed.add(key);
      } catch (error) {
        this.logger?.warn("learned templates: unreadable snapshot replaced by a fresh miner", {
          tenant,
          service,
          error,
        });
      }
    }
    if (!learned) {
      // Nothing stored (or unreadable): keep what is in memory, else start fresh.
      const existing = current ?? this.miners.peek(key);
      if (existing) return existing;
      learned = { tenant, service, miner: createMiner(this.minerConfig), watermark: 0n, updatedAt: 0 };
    } else if (current) {
      this.dirty.delete(key); // the stored snapshot wins over what was learned while it could not be read
    } else {
      const existing = this.miners.peek(key); // a concurrent load may have put one in meanwhile
      if (existing) return existing;
    }
    this.miners.set(key, learned);
    return learned;
  }

  /** Reads a key; when the cache fails (e.g. Redis still connecting), waits for it once and reads again. */
  private async read(key: string): Promise<string | undefined> {
    try {
      return await this.cache.get(key);
    } catch {
      await this.cache.ping(AbortSignal.timeout(READY_WAIT_MS));
      return await this.cache.get(key);
    }
  }

  private async save(key: string, learned: LearnedMiner): Promise<void> {
    const stored: StoredMiner = {
      v: 1,
      tenant: learned.tenant,
      service: learned.service,
      watermark: String(learned.watermark),
      updatedAt: learned.updatedAt,
      snapshot: learned.miner.snapshot(),
    };
    try {
      if (this.unverified.has(key)) {
        // Never overwrite a snapshot we could not read: save only when there is none.
        if ((await this.cache.get(key)) !== undefined) {
          this.unverified.set(key, 0); // the next get() restores it
          return;
        }
        this.unverified.delete(key);
      }
      await this.cache.set(key, JSON.stringify(stored), this.ttlSeconds);
      if (!this.indexed.has(key)) await this.addToIndex(key, learned.tenant, learned.service);
    } catch (error) {
      // Cache down: keep learning in memory and try again on the next flush.
      if (this.miners.peek(key) === learned) this.dirty.add(key);
      this.logger?.debug("learned templates: snapshot not saved", {
        tenant: learned.tenant,
        service: learned.service,
        error,
      });
    }
  }

  /**
   * Adds a miner to the index. Updates run one at a time in this process and
   * under a short cache lock across instances; without the lock the key stays
   * unindexed and the next save tries again.
   */
  private addToIndex(key: string, tenant: string, service: string): Promise<void> {
    const run = async () => {
      const lockKey = `${MINER_INDEX_KEY}:lock`;
      const token = await this.cache.tryLock(lockKey, 2_000);
      if (token === undefined) return;
      try {
        const index = await this.readIndex();
        if (!index.some(([t, s]) => t === tenant && s === service)) index.push([tenant, service]);
        if (index.length > MAX_INDEX) index.splice(0, index.length - MAX_INDEX); // oldest first
        await this.cache.set(MINER_INDEX_KEY, JSON.stringify(index), this.ttlSeconds);
        this.indexed.add(key);
      } finally {
        await this.cache.unlock(lockKey, token).catch(() => {});
      }
    };
    const next = this.indexQueue.then(run, run);
    this.indexQueue = next.catch(() => {});
    return next;
  }

  private async readIndex(): Promise<Array<[string, string]>> {
    try {
      const text = await this.read(MINER_INDEX_KEY);
      const parsed: unknown = text === undefined ? [] : JSON.parse(text);
      return Array.isArray(parsed)
        ? parsed.filter(
            (e): e is [string, string] =>
              Array.isArray(e) && e.length === 2 && typeof e[0] === "string" && typeof e[1] === "string",
          )
        : [];
    } catch {
      return [];
    }
  }

  private track(p: Promise<void>): void {
    this.pending = Promise.all([this.pending, p]).then(() => undefined);
  }

  private async settled(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.pending;
      await current;
    } while (current !== this.pending);
  }
}

/** A line to learn: its timestamp (ns) and its message. */
export interface LearnLine {
  ts: Nanos;
  message: string;
}

/**
 * Teaches `learned` the lines newer than its watermark (oldest first), so
 * reading the same range twice does not count its lines twice. Returns how
 * many lines were learned; the store saves the miner later when any were.
 */
export function learnNewLines(store: LearnedStore, learned: LearnedMiner, lines: readonly LearnLine[]): number {
  const fresh = lines.filter((l) => l.ts > learned.watermark).sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  if (fresh.length === 0) return 0;
  for (const l of fresh) learned.miner.train(l.message);
  learned.watermark = fresh.at(-1)!.ts;
  store.touch(learned);
  return fresh.length;
}
