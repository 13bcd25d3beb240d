import { createHash } from "node:crypto";

/**
 * The lines a hub delivered recently, to drop the ones Loki sends again (a
 * resumed tail, a read back of the range). The same line is the same
 * timestamp and content in the same stream — but Loki does not label it the
 * same way on every path: a live tail sends the stream's labels, its lookback
 * and a query with merged labels add structured metadata (`detected_level`,
 * …). So two sightings are one line when their timestamps and contents are
 * equal and one label set contains the other. Keys are kept while their
 * timestamp is within `windowNs` of the newest seen and at most `maxKeys` of
 * them (the first seen go first): memory is bounded whatever the rate.
 */
export class RecentLines {
  private readonly keys = new Map<string, { t: bigint; labels: Array<Record<string, string>> }>();
  private newest = 0n;

  constructor(
    private readonly windowNs: bigint,
    private readonly maxKeys: number,
  ) {}

  /** True when the line is new (and remembers it); false for a repeat. */
  add(ts: string, labels: Record<string, string>, line: string): boolean {
    const key = lineKey(ts, line);
    const seen = this.keys.get(key);
    if (seen) {
      if (seen.labels.some((l) => nested(l, labels))) return false;
      seen.labels.push(labels);
      return true;
    }
    const t = BigInt(ts);
    this.keys.set(key, { t, labels: [labels] });
    if (t > this.newest) this.newest = t;
    if (this.keys.size > this.maxKeys) this.prune();
    return true;
  }

  /** Forgets keys older than the window, then the first-seen ones down to 90% of maxKeys (one pass). */
  prune(): void {
    const floor = this.newest - this.windowNs;
    const keep = Math.floor(this.maxKeys * 0.9);
    for (const [key, v] of this.keys) {
      if (v.t < floor || this.keys.size > keep) this.keys.delete(key);
    }
  }

  get size(): number {
    return this.keys.size;
  }
}

/** Whether one label set contains the other (equal values on every label of the smaller). */
export function nested(a: Record<string, string>, b: Record<string, string>): boolean {
  const [small, big] = Object.keys(a).length <= Object.keys(b).length ? [a, b] : [b, a];
  for (const k in small) if (big[k] !== small[k]) return false;
  return true;
}

/** A fixed-size key: a long line costs one hash, not its length in memory. */
export function lineKey(ts: string, line: string): string {
  return createHash("sha1").update(ts).update("\u0000").update(line).digest("base64");
}
