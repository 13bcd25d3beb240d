import { LRUCache } from "lru-cache";
import type { Cache } from "../cache/index.ts";
import type { Logger } from "../log.ts";
import type { Nanos } from "../loki/time.ts";
import { mergeSnapshots } from "./merge.ts";
import { MINED_TEXT_MINER } from "./message.ts";
import { createMiner, type MinerConfig, type MinerSnapshot, restoreMiner, type TemplateMiner } from "./miner/index.ts";
import { minerKey, parseStored, type StoredMiner } from "./store-format.ts";
import { LearnedIndex } from "./store-index.ts";

export { encodeSegment, LEARNED_INDEX_KEY, minerKey } from "./store-format.ts";

/**
 * Learned templates: one online miner per (tenant, service), kept in an LRU
 * of miners (each miner itself bounded by `maxClusters`, evicting its least
 * recently used cluster). The state goes through the Cache interface (Redis,
 * or memory when there is none) as JSON, a few seconds after an update, and is
 * restored lazily the first time a (tenant, service) is used, or all at once
 * by `restoreAll` from an index key. The cache is best effort: when it fails
 * the miner lives in memory only and no request fails because of it.
 *
 * Several API instances share one stored state per (tenant, service), merged,
 * never overwritten: beside the miner it reads from, each instance keeps a
 * delta miner of the lines it learned since its last save. A save reads the
 * stored state, merges the delta into it (`mergeSnapshots`) and writes it back
 * by compare-and-set on the state's version, again on a concurrent write. So
 * each line is counted once, by the instance that learned it; the state stays
 * within `maxClusters`; and the reading miner becomes the merged state (plus
 * what was learned meanwhile), so every save also brings the others' learning in.
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
  /** Delay between an update and its save (debounce). Default 5 s; 0 saves on the next tick. */
  saveDelayMs?: number | undefined;
  /** How long an untouched state is kept in the cache. Default 7 days. */
  ttlSeconds?: number | undefined;
}

/** One tenant's miner for one service, and the newest line it has learned. */
export interface LearnedMiner {
  readonly tenant: string | undefined;
  readonly service: string;
  /** What is known: the stored state as last read or written, with what this instance learned since. */
  miner: TemplateMiner;
  /** Only the lines learned here since the last save: what the next save merges into the stored state. */
  delta: TemplateMiner;
  /** How many lines `delta` holds. */
  deltaLines: number;
  /** Timestamp (ns) of the newest line learned (here, or by any instance as of the last read or save). */
  watermark: Nanos;
  /** ms since epoch of the last update. */
  updatedAt: number;
}

/** How long to wait for the cache to come up (Redis connecting at start) before reading without it. */
const READY_WAIT_MS = 2_000;
/** When the cache could not be read, how long before a miner's state is looked for again. */
const UNVERIFIED_RETRY_MS = 5_000;
/** Compare-and-set tries per save; beyond them the delta waits for the next flush. */
const SAVE_ATTEMPTS = 4;

const maxNs = (a: Nanos, b: Nanos): Nanos => (a > b ? a : b);

export class LearnedStore {
  private readonly cache: Cache;
  private readonly logger: Logger | undefined;
  private readonly minerConfig: Partial<MinerConfig>;
  private readonly saveDelayMs: number;
  private readonly ttlSeconds: number;
  private readonly miners: LRUCache<string, LearnedMiner>;
  private readonly index: LearnedIndex;
  private readonly loading = new Map<string, Promise<LearnedMiner>>();
  private readonly dirty = new Set<string>();
  /** Miners whose state could not be read (cache down) → when to try again (ms). */
  private readonly unverified = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: LearnedStoreOptions) {
    this.cache = options.cache;
    this.logger = options.logger;
    this.minerConfig = { maxClusters: options.maxClusters ?? 1_000, ...MINED_TEXT_MINER, ...options.miner };
    this.saveDelayMs = options.saveDelayMs ?? 5_000;
    this.ttlSeconds = options.ttlSeconds ?? 7 * 86_400;
    this.index = new LearnedIndex(options.cache, this.ttlSeconds);
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

  /** The miner of (tenant, service): from memory, else restored from the stored state, else new. Never throws. */
  async get(tenant: string | undefined, service: string): Promise<LearnedMiner> {
    const key = minerKey(tenant, service);
    const hit = this.miners.get(key);
    const retryAt = this.unverified.get(key);
    if (hit && (retryAt === undefined || Date.now() < retryAt)) return hit;
    const inFlight = this.loading.get(key);
    if (inFlight) return inFlight;
    const load = this.load(key, tenant, service, hit).finally(() => this.loading.delete(key));
    this.loading.set(key, load);
    return load;
  }

  /** A throw-away copy of a miner (same templates, same configuration), to mine lines without teaching the original. */
  copyOf(learned: LearnedMiner): TemplateMiner {
    return restoreMiner(learned.miner.snapshot(), this.minerConfig);
  }

  /** Teaches `learned` one message (its reading miner and its delta). */
  learn(learned: LearnedMiner, message: string): void {
    learned.miner.train(message);
    learned.delta.train(message);
    learned.deltaLines++;
  }

  /** Records that `learned` changed: it is saved after the save delay. */
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

  /** Saves every changed miner now. Never throws (a failed save stays pending for the next flush). */
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
    const entries = await this.index.read();
    let restored = 0;
    for (const [t, service] of entries.slice(-this.miners.max)) {
      const tenant = t ?? undefined;
      const key = minerKey(tenant, service);
      this.index.known(key);
      if (this.miners.has(key)) continue;
      const learned = await this.get(tenant, service);
      if (learned.miner.clusters().length > 0) restored++;
    }
    return restored;
  }

  /** Flushes pending saves and stops the timer. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }

  /**
   * Restores a miner from the stored state. When the cache cannot be read, the
   * miner starts fresh and the read is retried on a later use; the state found
   * then is merged with what was learned meanwhile (saves merge too, so
   * learning during an outage never overwrites the stored state).
   */
  private async load(
    key: string,
    tenant: string | undefined,
    service: string,
    current?: LearnedMiner,
  ): Promise<LearnedMiner> {
    let stored: StoredMiner | undefined;
    try {
      stored = this.parse(await this.read(key), tenant, service);
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
    const existing = current ?? this.miners.peek(key); // a concurrent load may have put one in meanwhile
    if (stored !== undefined) this.index.known(key);
    if (existing) {
      if (stored !== undefined) this.adopt(existing, stored.snapshot, BigInt(stored.watermark));
      if (!this.miners.has(key)) this.miners.set(key, existing);
      return existing;
    }
    const learned: LearnedMiner = {
      tenant,
      service,
      miner: stored ? restoreMiner(stored.snapshot, this.minerConfig) : createMiner(this.minerConfig),
      delta: createMiner(this.minerConfig),
      deltaLines: 0,
      watermark: stored ? BigInt(stored.watermark) : 0n,
      updatedAt: stored?.updatedAt ?? 0,
    };
    this.miners.set(key, learned);
    return learned;
  }

  /** Makes `learned` read from `snapshot` (a stored state) plus its own unsaved delta. */
  private adopt(learned: LearnedMiner, snapshot: MinerSnapshot, watermark: Nanos): void {
    const known =
      learned.deltaLines > 0 ? mergeSnapshots(snapshot, learned.delta.snapshot(), this.minerConfig) : snapshot;
    learned.miner = restoreMiner(known, this.minerConfig);
    learned.watermark = maxNs(learned.watermark, watermark);
  }

  /** The stored state in a cache value; undefined when there is none or it is unreadable (then a fresh one replaces it). */
  private parse(text: string | undefined, tenant: string | undefined, service: string): StoredMiner | undefined {
    if (text === undefined) return undefined;
    try {
      const stored = parseStored(text);
      restoreMiner(stored.snapshot, this.minerConfig); // throws on a malformed snapshot
      return stored;
    } catch (error) {
      this.logger?.warn("learned templates: unreadable state replaced", { tenant, service, error });
      return undefined;
    }
  }

  /** Reads a key; when the cache fails (e.g. Redis still connecting), waits for it once and reads again. */
  private async read(key: string): Promise<string | undefined> {
    try {
      return (await this.cache.getVersioned(key)).value;
    } catch {
      await this.cache.ping(AbortSignal.timeout(READY_WAIT_MS));
      return (await this.cache.getVersioned(key)).value;
    }
  }

  /**
   * Merges the delta of `learned` into the stored state by compare-and-set.
   * Lines learned while it runs go to a new delta; when the save fails, the
   * two deltas are merged back and wait for the next flush.
   */
  private async save(key: string, learned: LearnedMiner): Promise<void> {
    const delta = learned.delta;
    const deltaLines = learned.deltaLines;
    learned.delta = createMiner(this.minerConfig);
    learned.deltaLines = 0;
    let written: StoredMiner | undefined;
    try {
      for (let attempt = 0; attempt < SAVE_ATTEMPTS && written === undefined; attempt++) {
        written = await this.mergeOnce(key, learned, delta.snapshot());
      }
      if (written === undefined) throw new Error(`the state changed under each of ${SAVE_ATTEMPTS} tries`);
    } catch (error) {
      // Not saved: the delta goes back in front of what was learned meanwhile.
      learned.delta =
        learned.deltaLines > 0
          ? restoreMiner(mergeSnapshots(delta.snapshot(), learned.delta.snapshot(), this.minerConfig), this.minerConfig)
          : delta;
      learned.deltaLines += deltaLines;
      if (this.miners.peek(key) === learned) this.dirty.add(key);
      this.logger?.debug("learned templates: state not saved", {
        tenant: learned.tenant,
        service: learned.service,
        error,
      });
      return;
    }
    this.adopt(learned, written.snapshot, BigInt(written.watermark));
    this.unverified.delete(key);
    await this.index.add(key, [written.tenant, written.service]).catch(() => {}); // listed by a later save
  }

  /** One compare-and-set of the stored state merged with `delta`: what was written, or undefined on a concurrent write. */
  private async mergeOnce(key: string, learned: LearnedMiner, delta: MinerSnapshot): Promise<StoredMiner | undefined> {
    const current = await this.cache.getVersioned(key);
    const stored = this.parse(current.value, learned.tenant, learned.service);
    const next: StoredMiner = {
      v: 2,
      tenant: learned.tenant ?? null,
      service: learned.service,
      watermark: String(maxNs(learned.watermark, stored ? BigInt(stored.watermark) : 0n)),
      updatedAt: Math.max(learned.updatedAt, stored?.updatedAt ?? 0),
      snapshot: mergeSnapshots(stored?.snapshot, delta, this.minerConfig),
    };
    return (await this.cache.setIfVersion(key, current.version, JSON.stringify(next), this.ttlSeconds))
      ? next
      : undefined;
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
  for (const l of fresh) store.learn(learned, l.message);
  learned.watermark = fresh.at(-1)!.ts;
  store.touch(learned);
  return fresh.length;
}
