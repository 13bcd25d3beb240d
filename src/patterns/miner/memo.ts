// Masked line → cluster id: the exact-line fast path. Keyed by the line's hash (see hash.ts) and
// checked word by word, so a collision never changes a decision.

import { Slots } from "./slots.ts";

interface Entry {
  key: number;
  masked: readonly string[];
  id: number;
}

/** What the memo needs of a scanned line. */
export interface ScannedLine {
  hash: number;
  sameAs(masked: readonly string[]): boolean;
}

export class LineMemo {
  readonly #slots: Slots<Entry>;

  /** Holds up to `limit` lines (at least one); it is emptied when full. */
  constructor(limit: number) {
    this.#slots = new Slots(limit);
  }

  /** The id memoised for the line `scan` holds. */
  get(scan: ScannedLine): number | undefined {
    return this.#find(scan)?.id;
  }

  /** Memoises `id` for the line `scan` holds, whose masked words are `masked`. */
  set(scan: ScannedLine, masked: readonly string[], id: number): void {
    const found = this.#find(scan);
    if (found !== undefined) found.id = id;
    else this.#slots.insert({ key: scan.hash, masked, id });
  }

  clear(): void {
    this.#slots.clear();
  }

  #find(scan: ScannedLine): Entry | undefined {
    const { table, mask } = this.#slots;
    const key = scan.hash;
    for (let i = key & mask; ; i = (i + 1) & mask) {
      const e = table[i];
      if (e === undefined) return undefined;
      if (e.key === key && scan.sameAs(e.masked)) return e;
    }
  }
}
