import type { Cache } from "../cache/index.ts";
import { type IndexEntry, LEARNED_INDEX_KEY, parseIndex } from "./store-format.ts";

/** Most (tenant, service) pairs the index lists (the oldest go first). */
const MAX_INDEX = 10_000;
/** How long to wait for the cache to come up (Redis connecting at start). */
const READY_WAIT_MS = 2_000;

/**
 * The list of (tenant, service) pairs with a stored state, so a starting
 * instance can restore them all. Updates run one at a time in this process and
 * under a short cache lock across instances; without the lock the pair stays
 * unlisted and the next save tries again.
 */
export class LearnedIndex {
  /** Keys known to be listed (so the index is rewritten only when a new pair appears). */
  private readonly listed = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly cache: Cache,
    private readonly ttlSeconds: number,
  ) {}

  /** Records that the pair of `key` is listed. */
  known(key: string): void {
    this.listed.add(key);
  }

  /** The listed pairs, oldest first (waiting once for a cache still connecting); empty when it cannot be read. */
  async read(): Promise<IndexEntry[]> {
    try {
      return await this.entries();
    } catch {
      try {
        await this.cache.ping(AbortSignal.timeout(READY_WAIT_MS));
        return await this.entries();
      } catch {
        return [];
      }
    }
  }

  /** The listed pairs; throws when the cache fails (so an update never writes a list it could not read). */
  private async entries(): Promise<IndexEntry[]> {
    const text = await this.cache.get(LEARNED_INDEX_KEY);
    try {
      return parseIndex(text);
    } catch {
      return []; // unreadable: replaced by the next update
    }
  }

  /** Lists the pair of `key` unless it is known to be listed. */
  add(key: string, entry: IndexEntry): Promise<void> {
    if (this.listed.has(key)) return Promise.resolve();
    const run = async () => {
      const lockKey = `${LEARNED_INDEX_KEY}:lock`;
      const token = await this.cache.tryLock(lockKey, 2_000);
      if (token === undefined) return;
      try {
        const entries = await this.entries();
        if (!entries.some(([t, s]) => t === entry[0] && s === entry[1])) entries.push(entry);
        if (entries.length > MAX_INDEX) entries.splice(0, entries.length - MAX_INDEX);
        await this.cache.set(LEARNED_INDEX_KEY, JSON.stringify(entries), this.ttlSeconds);
        this.listed.add(key);
      } finally {
        await this.cache.unlock(lockKey, token).catch(() => {});
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => {});
    return next;
  }
}
