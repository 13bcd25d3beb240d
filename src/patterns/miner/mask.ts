// Applies the configured masks: line masks find spans in the whole message, word masks rewrite
// one whitespace-separated word at a time (memoised, since constant words repeat).
//
// A mask may declare `trigger` characters, one of which every match contains. The masker keeps
// a bit per such mask for each trigger character, so the scanner can collect a word's bits as it
// reads it: a word with no bits (when every word mask has a trigger) is left as it is without a
// memo lookup, and a new word only runs the masks whose triggers it holds. The memo is keyed by
// the word's hash, which the scanner also computes on the way, and checked against the text.
// The built-in masks also have hand-written pre-checks and matchers (fastmask.ts), and a new
// word whose digit shape was masked before takes that shape's masked form (wordmemo.ts).

import type { MaskRule } from "./config.ts";
import { PLACEHOLDER } from "./config.ts";
import { digitBlind, findOf, hasDigit, mayMatchOf, replaceOf } from "./fastmask.ts";
import { hashRegion, hashWord, looseHash } from "./hash.ts";
import { isListItem } from "./pattern.ts";
import { CHANGED, LIST_ITEM, WordMemo } from "./wordmemo.ts";

/** A part of the message a line mask replaced: [start, end) in the message, and its replacement. */
export interface MaskSpan {
  start: number;
  end: number;
  replacement: string;
}

/** Bits 0..19 name word masks with a trigger, bits 20..29 line masks; masks past those always run. */
const WORD_BITS = 20;
const LINE_BITS = 10;
/** Set for `<`, so a word that could hold a placeholder (a list item) is always looked up. */
const HOLE_BIT = 1 << 30;
/** Set for ASCII digits (the sign bit, so `bits < 0` tells a word holding one). */
export const DIGIT_BIT = 1 << 31;
const SPACE = /\s/;

export class Masker {
  readonly #lineMasks: MaskRule[];
  readonly #wordMasks: MaskRule[];
  /** Per word mask: a cheap check that it may match (see fastmask.ts), or undefined. */
  readonly #mayMatch: Array<((text: string) => boolean) | undefined>;
  /** Per word mask: a hand-written replace (see fastmask.ts), or undefined. */
  readonly #replace: Array<((text: string, replacement: string) => string) | undefined>;
  /** Per word mask: its trigger bit, or 0 when it has no trigger and must always run. */
  readonly #wordBits: number[];
  /** The same for the line masks. */
  readonly #lineBits: number[];
  /** Per line mask: a cheap check that it may match (see fastmask.ts), or undefined. */
  readonly #lineMayMatch: Array<((text: string) => boolean) | undefined>;
  /** Per line mask: its search (hand-written for some built-in masks, see fastmask.ts). */
  readonly #lineFind: FindSpan[];
  /** Bits that send a word to the memo: the word masks' and HOLE_BIT. */
  readonly #wordMask: number;
  /** Trigger bits of the ASCII characters, by char code; `otherBits` for the rest. */
  readonly asciiBits = new Int32Array(128);
  readonly #otherBits = new Map<number, number>();
  /** Whether a word without trigger bits may still be changed (a word mask has no trigger). */
  readonly #always: boolean;
  readonly #memo: WordMemo;
  /**
   * Digit shape (`shapeOf`) → masked form, for masks that treat digits alike (`digitBlind`):
   * a new word of a known shape (`blk_1`, `blk_2`, …) is not masked again. Only masked forms
   * without digits are kept; emptied when full.
   */
  readonly #shapes: WordMemo | undefined;
  /** The last `lookup`'s word after masking, its `hashWord` hash, and its CHANGED / LIST_ITEM bits. */
  masked = "";
  maskedHash = 0;
  maskedFlags = 0;
  /** How many lines the scanner may keep by digit shape (lineshape.ts): 0 unless every mask is digit-blind. */
  readonly shapeLimit: number;

  constructor(masks: readonly MaskRule[], cacheSize: number) {
    for (const mask of masks) {
      if (!mask.pattern.global) throw new Error(`mask "${mask.name}" needs the g flag`);
    }
    this.#lineMasks = masks.filter((m) => m.scope === "line");
    this.#wordMasks = masks.filter((m) => m.scope !== "line");
    this.#mayMatch = this.#wordMasks.map((m) => mayMatchOf(m.pattern));
    this.#lineMayMatch = this.#lineMasks.map((m) => mayMatchOf(m.pattern));
    this.#lineFind = this.#lineMasks.map(findSpan);
    this.#replace = this.#wordMasks.map((m) =>
      (m.replacement ?? "").includes("$") ? undefined : replaceOf(m.pattern),
    );
    const usable = (m: MaskRule) => m.trigger !== undefined && m.trigger !== "" && !SPACE.test(m.trigger);
    this.#wordBits = this.#wordMasks.map((m, k) => (usable(m) && k < WORD_BITS ? 1 << k : 0));
    this.#lineBits = this.#lineMasks.map((m, k) => (usable(m) && k < LINE_BITS ? 1 << (WORD_BITS + k) : 0));
    this.#always = this.#wordBits.includes(0);
    this.#wordMask = this.#wordBits.reduce((a, b) => a | b, HOLE_BIT);
    this.asciiBits[PLACEHOLDER.charCodeAt(0)] = HOLE_BIT;
    for (let c = 48; c <= 57; c++) this.asciiBits[c] = DIGIT_BIT;
    this.#setTriggers(this.#wordMasks, this.#wordBits);
    this.#setTriggers(this.#lineMasks, this.#lineBits);
    this.#memo = new WordMemo(cacheSize);
    this.#shapes = cacheSize > 0 && digitBlind(this.#wordMasks) ? new WordMemo(cacheSize) : undefined;
    this.shapeLimit = cacheSize > 0 && digitBlind(masks) ? cacheSize : 0;
  }

  #setTriggers(masks: readonly MaskRule[], bits: readonly number[]): void {
    masks.forEach((m, k) => {
      const bit = bits[k] as number;
      for (const ch of bit === 0 ? "" : (m.trigger ?? "")) {
        const code = ch.charCodeAt(0);
        if (code < 128) this.asciiBits[code] = (this.asciiBits[code] as number) | bit;
        else this.#otherBits.set(code, (this.#otherBits.get(code) ?? 0) | bit);
      }
    });
  }

  /** Trigger bits of a non-ASCII char code. */
  otherBits(code: number): number {
    return this.#otherBits.size === 0 ? 0 : (this.#otherBits.get(code) ?? 0);
  }

  /** Trigger bits of every character of `text`. */
  bitsOf(text: string): number {
    let bits = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      bits |= c < 128 ? (this.asciiBits[c] as number) : this.otherBits(c);
    }
    return bits;
  }

  /**
   * Non-overlapping spans of `line` matched by the line masks, sorted by start. `bits`: the
   * trigger bits of the line's characters (see `bitsOf`) when the caller has them.
   */
  lineSpans(line: string, bits = this.bitsOf(line)): readonly MaskSpan[] {
    let spans: MaskSpan[] | undefined;
    /** Characters inside a span kept so far: a later mask's match overlapping one is dropped. */
    let taken: Uint8Array | undefined;
    for (let k = 0; k < this.#lineMasks.length; k++) {
      const bit = this.#lineBits[k] as number;
      if (bit !== 0 && (bits & bit) === 0) continue;
      const mayMatch = this.#lineMayMatch[k];
      if (mayMatch !== undefined && !mayMatch(line)) continue;
      const find = this.#lineFind[k] as FindSpan;
      // one mask's matches do not overlap, so checking each against `taken` reads the line once
      for (let m = find(line, 0); m !== undefined; m = find(line, m.end)) {
        taken ??= new Uint8Array(line.length);
        if (overlaps(taken, m.start, m.end)) continue;
        taken.fill(1, m.start, m.end);
        spans ??= [];
        spans.push(m);
      }
    }
    return spans === undefined ? NO_SPANS : spans.sort((a, b) => a.start - b.start);
  }

  /**
   * Masks the word `text[start, end)`, given its trigger `bits` and `looseHash` hash, into
   * `masked`, `maskedHash` and `maskedFlags`; false when no mask can apply (no trigger bits), so
   * the word stays as written and is not a list item.
   */
  lookup(text: string, start: number, end: number, bits: number, loose: number): boolean {
    if ((bits & this.#wordMask) === 0 && !this.#always) return false;
    // a word of a known digit shape takes the shape's masked form (the one its own masking would
    // give, see fastmask.ts `digitBlind`) and is not memoised itself
    const shapes = this.#shapes;
    const shape = bits < 0 && shapes !== undefined;
    if (shape) {
      const known = shapes.findShape(text, start, end, loose);
      if (known >= 0) return this.#found(shapes, known);
    }
    const hash = bits < 0 ? hashRegion(text, start, end) : loose;
    const memo = this.#memo;
    const slot = memo.find(text, start, end, hash);
    if (slot >= 0) return this.#found(memo, slot);
    const word = start === 0 && end === text.length ? text : text.slice(start, end);
    const masked = this.#apply(word, bits);
    const changed = masked !== word;
    const maskedHash = changed ? hashWord(masked) : hash;
    const flags = (changed ? CHANGED : 0) | (isListItem(masked) ? LIST_ITEM : 0);
    memo.insert(hash, word, masked, maskedHash, flags);
    if (shape && !hasDigit(masked)) shapes.insert(loose, word, masked, maskedHash, flags);
    this.masked = masked;
    this.maskedHash = maskedHash;
    this.maskedFlags = flags;
    return true;
  }

  #found(memo: WordMemo, slot: number): boolean {
    this.masked = memo.masked(slot);
    this.maskedHash = memo.hash(slot);
    this.maskedFlags = memo.flags(slot);
    return true;
  }

  /** The word with every word mask applied in order. */
  maskWord(word: string): string {
    return this.lookup(word, 0, word.length, this.bitsOf(word), looseHash(word, 0, word.length)) ? this.masked : word;
  }

  #apply(word: string, bits: number): string {
    let out = word;
    let have = bits;
    for (let k = 0; k < this.#wordMasks.length; k++) {
      const bit = this.#wordBits[k] as number;
      if (bit !== 0 && (have & bit) === 0) continue;
      const mayMatch = this.#mayMatch[k];
      if (mayMatch !== undefined && !mayMatch(out)) continue;
      const mask = this.#wordMasks[k] as MaskRule;
      const replacement = mask.replacement ?? PLACEHOLDER;
      const replace = this.#replace[k];
      mask.pattern.lastIndex = 0;
      const next = replace !== undefined ? replace(out, replacement) : out.replace(mask.pattern, replacement);
      if (next !== out) {
        out = next;
        have = this.bitsOf(out);
      }
    }
    return out;
  }
}

const NO_SPANS: readonly MaskSpan[] = [];

/** The first match of a line mask at or after `from` (non-empty), or undefined. */
type FindSpan = (line: string, from: number) => MaskSpan | undefined;

/** The line mask's search: its hand-written one when it has one (see fastmask.ts), else its regex. */
function findSpan(mask: MaskRule): FindSpan {
  const replacement = mask.replacement ?? PLACEHOLDER;
  const find = replacement.includes("$") ? undefined : findOf(mask.pattern);
  if (find !== undefined) {
    return (line, from) => {
      const m = find(line, from);
      return m === undefined ? undefined : { start: m[0], end: m[1], replacement };
    };
  }
  const re = mask.pattern;
  return (line, from) => {
    re.lastIndex = from;
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
      if (m[0].length > 0) return { start: m.index, end: m.index + m[0].length, replacement: expand(mask, m) };
      re.lastIndex++;
    }
    return undefined;
  };
}

/** Whether any of `taken[start, end)` is set. */
function overlaps(taken: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (taken[i] === 1) return true;
  return false;
}

/** Expands `$1`-style references of the mask's replacement for one match. */
function expand(mask: MaskRule, m: RegExpExecArray): string {
  const replacement = mask.replacement ?? PLACEHOLDER;
  if (!replacement.includes("$")) return replacement;
  return replacement.replace(/\$(\d)/g, (_all, n: string) => m[Number(n)] ?? "");
}
