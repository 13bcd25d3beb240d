// Digit shape of a whole line → how the scanner split and masked it. When every mask treats
// digits alike (fastmask.ts `digitBlind`, line masks included), two lines of one shape
// (wordmemo.ts `shapeOf`) have the same word bounds and line spans, and a word holding digits is
// masked the same way in both whenever its masked form holds none. A line is kept here with the
// words that do not mask so (holding a digit, masked to a form with one) pinned, and a later line
// of its shape holding the pinned words as written reuses the split without reading word by word.
// Keyed by `shapeKey` of the line and checked character by character against the line kept; the
// last entry found or kept for each line length is tried first, before computing the key.

import { Slots } from "./slots.ts";
import { sameShape } from "./wordmemo.ts";

export interface LineShape {
  key: number;
  /** The line of this shape kept. */
  line: string;
  count: number;
  starts: Int32Array;
  ends: Int32Array;
  masked: Array<string | undefined>;
  hash: number;
  /** Bounds (start, end pairs) of the words a line must hold as written to share this split. */
  pins: readonly number[];
  /** The miner's generation and the cluster a line of this shape joined then (see miner.ts). */
  gen: number;
  id: number;
}

export class LineShapes {
  readonly #slots: Slots<LineShape>;
  readonly #limit: number;
  /** By line length (modulo RECENT): the entry a line of that length last found or was kept as. */
  #recent: Array<LineShape | undefined> = new Array<LineShape | undefined>(RECENT).fill(undefined);

  /** Holds up to `limit` lines (at least one); it is emptied when full. */
  constructor(limit: number) {
    this.#slots = new Slots(limit);
    this.#limit = Math.max(1, limit);
  }

  /**
   * The entry a recent line of the length of `text` found or was kept as, when `text` has its
   * shape and pinned words: consecutive lines often share a shape, and this skips `shapeKey`.
   * Any entry a line matches so holds its split.
   */
  recent(text: string): LineShape | undefined {
    const n = text.length;
    const e = this.#recent[n & (RECENT - 1)];
    return e !== undefined && e.line.length === n && sameShape(text, 0, n, e.line) && pinned(text, e) ? e : undefined;
  }

  /** The entry of the shape of `text` (`shapeKey` = `key`), or undefined. */
  find(text: string, key: number): LineShape | undefined {
    const { table, mask } = this.#slots;
    const n = text.length;
    for (let i = key & mask; ; i = (i + 1) & mask) {
      const e = table[i];
      if (e === undefined) return undefined;
      if (e.key === key && e.line.length === n && sameShape(text, 0, n, e.line) && pinned(text, e)) {
        this.#recent[n & (RECENT - 1)] = e;
        return e;
      }
    }
  }

  /** Keeps the split of `text` (not held yet): `count` words, their bounds and masked forms. */
  insert(
    text: string,
    key: number,
    count: number,
    starts: Int32Array,
    ends: Int32Array,
    masked: ReadonlyArray<string | undefined>,
    hash: number,
    pins: readonly number[],
  ): LineShape {
    const entry: LineShape = {
      key,
      line: text,
      count,
      starts: starts.slice(0, count),
      ends: ends.slice(0, count),
      masked: masked.slice(0, count),
      hash,
      pins: pins.length === 0 ? NO_PINS : pins.slice(),
      gen: -1,
      id: 0,
    };
    if (this.#slots.size >= this.#limit) this.#recent = new Array<LineShape | undefined>(RECENT).fill(undefined);
    this.#slots.insert(entry);
    this.#recent[text.length & (RECENT - 1)] = entry;
    return entry;
  }
}

/** Slots of `LineShapes.recent` (a power of two). */
const RECENT = 64;

const NO_PINS: readonly number[] = [];

/** Whether `text` (of the shape of `e.line`) holds the pinned words of `e` as written. */
function pinned(text: string, e: LineShape): boolean {
  const pins = e.pins;
  const line = e.line;
  for (let k = 0; k < pins.length; k += 2) {
    const end = pins[k + 1] as number;
    for (let i = pins[k] as number; i < end; i++) if (text.charCodeAt(i) !== line.charCodeAt(i)) return false;
  }
  return true;
}
