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
 * Raw line → what it mined to: exact repeats skip extraction, scanning and masking. An entry
 * holds only while the miner's generation (bumped whenever a template changes or a cluster
 * goes) is the one it was stored in, when the line would certainly join the same cluster with
 * the same parameters. Only plain lines are kept (no fields to hand back). Entries are kept in
 * parallel arrays (line → index, parameters in one pool) rather than an object each, which the
 * garbage collector would have to copy. Emptied when full.
 */
export class ExactLineMemo {
  #index = new Map<string, number>();
  #gens = new Int32Array(1024);
  #ids = new Int32Array(1024);
  #offsets = new Int32Array(1024);
  #counts = new Int32Array(1024);
  #pool: string[] = [];
  readonly #limit: number;
  /** The line `find` last looked up, and its index then (`set` usually follows for the same line). */
  #lastLine: string | undefined;
  #lastIndex: number | undefined;

  /** Holds up to `limit` lines; 0 turns it off. */
  constructor(limit: number) {
    this.#limit = Math.max(0, limit);
  }

  /** The entry of `line` stored in generation `gen`, or -1. */
  find(line: string, gen: number): number {
    const k = this.#index.get(line);
    this.#lastLine = line;
    this.#lastIndex = k;
    return k !== undefined && this.#gens[k] === gen ? k : -1;
  }

  /** The cluster id of entry `k`. */
  id(k: number): number {
    return this.#ids[k] as number;
  }

  /** A fresh copy of entry `k`'s parameters. */
  params(k: number): string[] {
    const from = this.#offsets[k] as number;
    return this.#pool.slice(from, from + (this.#counts[k] as number));
  }

  set(line: string, gen: number, id: number, params: readonly string[]): void {
    if (this.#limit === 0) return;
    let k = line === this.#lastLine ? this.#lastIndex : this.#index.get(line);
    if (k === undefined || params.length > (this.#counts[k] as number)) {
      if (this.#index.size >= this.#limit || this.#pool.length >= POOL_PER_LINE * this.#limit) {
        this.#clear();
        k = undefined;
      }
      if (k === undefined) {
        k = this.#index.size;
        if (k === this.#ids.length) this.#grow();
        this.#index.set(line, k);
      }
      this.#offsets[k] = this.#pool.length;
      for (const p of params) this.#pool.push(p);
    } else {
      const from = this.#offsets[k] as number;
      for (let j = 0; j < params.length; j++) this.#pool[from + j] = params[j] as string;
    }
    this.#gens[k] = gen;
    this.#ids[k] = id;
    this.#counts[k] = params.length;
    this.#lastLine = line;
    this.#lastIndex = k;
  }

  #clear(): void {
    this.#index = new Map();
    this.#pool = [];
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
    this.#offsets = grow(this.#offsets);
    this.#counts = grow(this.#counts);
  }
}

/** The parameter pool is emptied (with the lines) beyond this many parameters per line held. */
const POOL_PER_LINE = 16;
