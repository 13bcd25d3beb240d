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

/**
 * Raw line → the cluster it joined: exact repeats skip extraction, scanning and masking. An entry
 * holds only while the miner's generation (bumped whenever a template changes or a cluster goes)
 * is the one it was stored in, when the line would certainly join the same cluster. Only plain
 * lines are kept (no fields to hand back). Entries are kept in parallel arrays (line → index)
 * rather than an object each, which the garbage collector would have to copy. Emptied when full.
 */
export class ExactLineMemo {
  #index = new Map<string, number>();
  #gens = new Int32Array(1024);
  #ids = new Int32Array(1024);
  readonly #limit: number;
  /** The line `find` last looked up, and its index then (`set` usually follows for the same line). */
  #lastLine: string | undefined;
  #lastIndex: number | undefined;

  /** Holds up to `limit` lines; 0 turns it off. */
  constructor(limit: number) {
    this.#limit = Math.max(0, limit);
  }

  /** The cluster id `line` was stored with in generation `gen`, or -1. */
  find(line: string, gen: number): number {
    const k = this.#index.get(line);
    this.#lastLine = line;
    this.#lastIndex = k;
    return k !== undefined && this.#gens[k] === gen ? (this.#ids[k] as number) : -1;
  }

  set(line: string, gen: number, id: number): void {
    if (this.#limit === 0) return;
    let k = line === this.#lastLine ? this.#lastIndex : this.#index.get(line);
    if (k === undefined) {
      if (this.#index.size >= this.#limit) this.#clear();
      k = this.#index.size;
      if (k === this.#ids.length) this.#grow();
      this.#index.set(line, k);
    }
    this.#gens[k] = gen;
    this.#ids[k] = id;
    this.#lastLine = line;
    this.#lastIndex = k;
  }

  #clear(): void {
    this.#index = new Map();
    this.#lastLine = undefined;
  }

  #grow(): void {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.#gens = grow(this.#gens);
    this.#ids = grow(this.#ids);
  }
}
