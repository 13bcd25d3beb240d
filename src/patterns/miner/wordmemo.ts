// The masker's memo of masked words: an open-addressing table kept as parallel arrays (no object
// per word, which the garbage collector would have to copy while the memo fills). Keyed by the
// word's FNV hash (see hash.ts) and checked against the text, so a collision never changes an
// answer. Holds up to `limit` words and is emptied when full.
//
// The same table keyed by a word's digit shape (`shapeOf`: `blk_123` → `blk_111`) lets the masker
// give a new word the masked form of an earlier word of the same shape (see fastmask.ts
// `digitBlind`): it holds that earlier word, checked character by character by shape.

import { regionEquals } from "./chars.ts";

const MIN_SLOTS = 256;
export const CHANGED = 1;
export const LIST_ITEM = 2;

export class WordMemo {
  #keys = new Int32Array(MIN_SLOTS);
  #hashes = new Int32Array(MIN_SLOTS);
  #flags = new Uint8Array(MIN_SLOTS);
  #words: Array<string | undefined> = empty(MIN_SLOTS);
  #masked: string[] = new Array<string>(MIN_SLOTS).fill("");
  #mask = MIN_SLOTS - 1;
  #size = 0;
  readonly #limit: number;

  /** Holds up to `limit` words; 0 keeps none. */
  constructor(limit: number) {
    this.#limit = Math.max(0, limit);
  }

  /** The slot of `text[start, end)` (hash `key`), or -1. */
  find(text: string, start: number, end: number, key: number): number {
    const words = this.#words;
    const keys = this.#keys;
    const mask = this.#mask;
    const length = end - start;
    for (let i = key & mask; ; i = (i + 1) & mask) {
      const w = words[i];
      if (w === undefined) return -1;
      if (keys[i] === key && w.length === length && regionEquals(text, start, w)) return i;
    }
  }

  /** The slot of a word of the shape (`shapeOf`) of `text[start, end)` (`looseHash` = `key`), or -1. */
  findShape(text: string, start: number, end: number, key: number): number {
    const words = this.#words;
    const keys = this.#keys;
    const mask = this.#mask;
    for (let i = key & mask; ; i = (i + 1) & mask) {
      const w = words[i];
      if (w === undefined) return -1;
      if (keys[i] === key && w.length === end - start && sameShape(text, start, end, w)) return i;
    }
  }

  masked(slot: number): string {
    return this.#masked[slot] as string;
  }

  /** `hashWord(masked(slot))`. */
  hash(slot: number): number {
    return this.#hashes[slot] as number;
  }

  /** CHANGED and LIST_ITEM bits. */
  flags(slot: number): number {
    return this.#flags[slot] as number;
  }

  insert(key: number, word: string, masked: string, hash: number, flags: number): void {
    if (this.#limit === 0) return;
    if (this.#size >= this.#limit) this.#reset(MIN_SLOTS);
    else if ((this.#size + 1) * 2 > this.#words.length) this.#grow();
    this.#put(key, word, masked, hash, flags);
  }

  #put(key: number, word: string, masked: string, hash: number, flags: number): void {
    const words = this.#words;
    const mask = this.#mask;
    let i = key & mask;
    while (words[i] !== undefined) i = (i + 1) & mask;
    words[i] = word;
    this.#keys[i] = key;
    this.#masked[i] = masked;
    this.#hashes[i] = hash;
    this.#flags[i] = flags;
    this.#size++;
  }

  #reset(slots: number): void {
    this.#keys = new Int32Array(slots);
    this.#hashes = new Int32Array(slots);
    this.#flags = new Uint8Array(slots);
    this.#words = empty(slots);
    this.#masked = new Array<string>(slots).fill("");
    this.#mask = slots - 1;
    this.#size = 0;
  }

  #grow(): void {
    const keys = this.#keys;
    const hashes = this.#hashes;
    const flags = this.#flags;
    const words = this.#words;
    const masked = this.#masked;
    this.#reset(words.length * 2);
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      if (w !== undefined)
        this.#put(keys[i] as number, w, masked[i] as string, hashes[i] as number, flags[i] as number);
    }
  }
}

function empty(n: number): Array<string | undefined> {
  return new Array<string | undefined>(n).fill(undefined);
}

/** The word with every digit written `1`, but a `0` before `x` or `X`. */
export function shapeOf(word: string): string {
  SHAPE.lastIndex = 0;
  return word.replace(SHAPE, "1");
}

const SHAPE = /0(?![xX])|[1-9]/g;

/** Whether `text[start, end)` has the digit shape (`shapeOf`) of `other`, of the same length. */
export function sameShape(text: string, start: number, end: number, other: string): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    const d = other.charCodeAt(i - start);
    // equal characters have equal shapes when what follows does (checked next); different ones
    // must be digits, and not a `0` against another digit before an `x`
    if (c === d) continue;
    if (c < 48 || c > 57 || d < 48 || d > 57) return false;
    if ((c === 48 || d === 48) && i + 1 < end && (text.charCodeAt(i + 1) | 32) === 120) return false;
  }
  return true;
}
