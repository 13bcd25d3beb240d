// Digit shape of a whole line → how the scanner split and masked it. When every mask treats
// digits alike (fastmask.ts `digitBlind`, line masks included), two lines of one shape
// (wordmemo.ts `shapeOf`) have the same word bounds and line spans, and a word holding digits is
// masked the same way in both whenever its masked form holds none. A line whose words all mask
// so is kept here, and a later line of its shape reuses the split without reading word by word.
// Keyed by `shapeKey` of the line and checked character by character against the line kept.

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
  /** The miner's generation and the cluster a line of this shape joined then (see miner.ts). */
  gen: number;
  id: number;
}

export class LineShapes {
  readonly #slots: Slots<LineShape>;

  /** Holds up to `limit` lines (at least one); it is emptied when full. */
  constructor(limit: number) {
    this.#slots = new Slots(limit);
  }

  /** The entry of the shape of `text` (`shapeKey` = `key`), or undefined. */
  find(text: string, key: number): LineShape | undefined {
    const { table, mask } = this.#slots;
    const n = text.length;
    for (let i = key & mask; ; i = (i + 1) & mask) {
      const e = table[i];
      if (e === undefined) return undefined;
      if (e.key === key && e.line.length === n && sameShape(text, 0, n, e.line)) return e;
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
  ): LineShape {
    const entry: LineShape = {
      key,
      line: text,
      count,
      starts: starts.slice(0, count),
      ends: ends.slice(0, count),
      masked: masked.slice(0, count),
      hash,
      gen: -1,
      id: 0,
    };
    this.#slots.insert(entry);
    return entry;
  }
}
