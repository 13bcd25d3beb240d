// Splits a message into words (runs of non-space characters, a masked span staying whole) and
// the exact separators between them, so a template can be rebuilt with the original spacing.
//
// The Scanner does it in one pass by char code into reusable buffers: word bounds, the masked
// form of the words masking changed (the others are their own text, not copied), and the hash of
// the masked line. A line that matches a memoised one is then mined without building any of it.

import { isSpace, regionEquals, trimmed } from "./chars.ts";
import { DEFAULT_MINER_CONFIG, PLACEHOLDER } from "./config.ts";
import { hasDigit } from "./fastmask.ts";
import { FNV_OFFSET, FNV_PRIME, finish, hashRegion, hashWord, mix, shapeKey } from "./hash.ts";
import type { LineShape } from "./lineshape.ts";
import { LineShapes } from "./lineshape.ts";
import type { Masker, MaskSpan } from "./mask.ts";
import { captureInto, captureRegion, isListItem } from "./pattern.ts";
import { LIST_ITEM } from "./wordmemo.ts";

export interface Tokens {
  /** The words as written. */
  words: string[];
  /** The words after masking (`<*>` for the masked parts). */
  masked: string[];
  /** `seps[i]` is the whitespace between `words[i]` and `words[i + 1]`. */
  seps: string[];
  /** `hashWords(masked)`, for memo tables keyed by the masked line. */
  hash: number;
}

/** Read access to the words of a line, by position. */
export interface Words {
  word(i: number): string;
  /** `captureInto(pieces, word(i), out)` (pattern.ts). */
  capture(i: number, pieces: readonly string[], out: string[]): boolean;
}

export class Scanner implements Words {
  /** The trimmed message last scanned. */
  text = "";
  #count = 0;
  #hash = 0;
  /**
   * The kept split the last line matched, not copied into the buffers yet: a line whose cluster
   * the miner knows from its shape needs none of it, so it is copied only when asked for.
   */
  #pending: LineShape | undefined = undefined;
  #starts = new Int32Array(64);
  #ends = new Int32Array(64);
  /** The masked word at i, or undefined when masking left the word as written. */
  readonly #masked: Array<string | undefined> = [];
  readonly #masker: Masker;
  /** Whether a run of like values (`blk_<*> blk_<*>`) becomes one word (see MinerConfig). */
  readonly #collapse: boolean;
  /** Splits of earlier lines by digit shape, when the masks allow it (see lineshape.ts). */
  readonly #shapes: LineShapes | undefined;
  /** The kept split the last line took or was kept as, if any. */
  shape: LineShape | undefined = undefined;
  /**
   * Bounds (start, end pairs) of the words holding a digit the last read did not mask to a form
   * without one: a line of its shape shares its split only when it has those words as written.
   */
  #pins: number[] = [];

  /** Characters of a line that are mined; see MinerConfig `maxLineLength`. */
  readonly #maxLength: number;

  constructor(masker: Masker, collapseRepeats: boolean, maxLength = DEFAULT_MINER_CONFIG.maxLineLength) {
    this.#masker = masker;
    this.#collapse = collapseRepeats;
    this.#maxLength = maxLength >= 1 ? maxLength : DEFAULT_MINER_CONFIG.maxLineLength;
    this.#shapes = masker.shapeLimit > 0 ? new LineShapes(masker.shapeLimit) : undefined;
  }

  /** Words (after collapsing repeats). */
  get count(): number {
    if (this.#pending !== undefined) this.#restore();
    return this.#count;
  }

  /** Hash of the masked words; equals `hashWords(tokens().masked)`. */
  get hash(): number {
    if (this.#pending !== undefined) this.#restore();
    return this.#hash;
  }

  /** Tokenizes `line` (trimmed) with the masker's line spans kept inside single words. */
  scan(line: string): this {
    const text = trimmed(line);
    this.text = text;
    this.#pending = undefined;
    const shapes = this.#shapes;
    let key = 0;
    let known: LineShape | undefined;
    if (shapes !== undefined) {
      known = shapes.recent(text);
      if (known === undefined) {
        key = shapeKey(text);
        known = shapes.find(text, key);
      }
    }
    this.shape = known;
    if (known !== undefined) {
      this.#pending = known;
      return this;
    }
    // Line masks run only when the line holds their triggers, which the first read collects;
    // a line they find spans in is read again around them. Past the length limit, the rest of a
    // long line is one span read as one parameter, and line masks run on the part before it.
    const cut = cutAt(text, this.#maxLength);
    const rest: readonly MaskSpan[] =
      cut < text.length ? [{ start: cut, end: text.length, replacement: PLACEHOLDER }] : NO_SPANS;
    const bits = this.#read(text, rest);
    const spans = this.#masker.lineSpans(cut < text.length ? text.slice(0, cut) : text, bits);
    if (spans.length > 0) this.#read(text, rest.length > 0 ? [...spans, ...rest] : spans);
    else if (shapes !== undefined && rest.length === 0) {
      this.shape = shapes.insert(
        text,
        key,
        this.#count,
        this.#starts,
        this.#ends,
        this.#masked,
        this.#hash,
        this.#pins,
      );
    }
    return this;
  }

  /** Takes the pending split of an earlier line of the same shape. */
  #restore(): void {
    const known = this.#pending as LineShape;
    this.#pending = undefined;
    const n = known.count;
    while (this.#starts.length < n) this.#grow();
    this.#starts.set(known.starts);
    this.#ends.set(known.ends);
    const masked = this.#masked;
    for (let k = 0; k < n; k++) masked[k] = known.masked[k];
    this.#count = n;
    this.#hash = known.hash;
  }

  /** Reads the words of `text` around `spans`; returns the trigger bits of all its characters. */
  #read(text: string, spans: readonly MaskSpan[]): number {
    const masker = this.#masker;
    const ascii = masker.asciiBits;
    const masked = this.#masked;
    const n = text.length;
    let count = 0;
    let hash = 0;
    let lineBits = 0;
    let spanIndex = 0;
    let spanAt = spans.length > 0 ? (spans[0] as MaskSpan).start : -1;
    /** The masked form of the last word when it is a list item, for collapsing repeats. */
    let lastItem: string | undefined;
    const pins = this.#pins;
    pins.length = 0;
    let i = 0;
    while (i < n) {
      // one word: non-space characters, and any span that starts inside it
      const start = i;
      const firstSpan = spanIndex;
      let bits = 0;
      let wordHash = FNV_OFFSET;
      while (i < n) {
        if (i === spanAt) {
          i = (spans[spanIndex] as MaskSpan).end;
          spanIndex++;
          spanAt = spanIndex < spans.length ? (spans[spanIndex] as MaskSpan).start : -1;
          continue;
        }
        const c = text.charCodeAt(i);
        if (c < 128) {
          if (c === 32 || (c >= 9 && c <= 13)) break;
          const b = ascii[c] as number;
          bits |= b;
          // a digit (DIGIT_BIT, the sign bit) is hashed as `1`: see hash.ts `looseHash`
          wordHash = Math.imul(wordHash ^ (b < 0 ? 49 : c), FNV_PRIME);
        } else {
          if (isSpace(c)) break;
          bits |= masker.otherBits(c);
          wordHash = Math.imul(wordHash ^ c, FNV_PRIME);
        }
        i++;
      }
      let out: string | undefined;
      let item = false;
      if (spanIndex > firstSpan) {
        out = spannedWord(masker, text, start, i, spans, firstSpan, spanIndex);
        wordHash = hashWord(out);
        item = isListItem(out);
      } else {
        if (masker.lookup(text, start, i, bits, wordHash)) {
          const flags = masker.maskedFlags;
          item = (flags & LIST_ITEM) !== 0;
          if (flags !== 0) out = masker.masked;
          wordHash = masker.maskedHash;
        } else if (bits < 0) {
          wordHash = hashRegion(text, start, i);
        }
        if (bits < 0 && (out === undefined || hasDigit(out))) pins.push(start, i);
      }
      if (item && this.#collapse && out === lastItem) {
        this.#ends[count - 1] = i;
      } else {
        if (count === this.#starts.length) this.#grow();
        this.#starts[count] = start;
        this.#ends[count] = i;
        masked[count] = out;
        hash = mix(hash, wordHash);
        count++;
        lastItem = item ? out : undefined;
      }
      lineBits |= bits;
      while (i < n && isSpace(text.charCodeAt(i))) i++;
    }
    this.#count = count;
    this.#hash = finish(hash, count);
    return lineBits;
  }

  /** Word i as written (a collapsed run spans its words and the spaces between them). */
  word(i: number): string {
    if (this.#pending !== undefined) this.#restore();
    return i < this.#count ? this.text.slice(this.#starts[i], this.#ends[i]) : "";
  }

  capture(i: number, pieces: readonly string[], out: string[]): boolean {
    if (this.#pending !== undefined) this.#restore();
    if (i >= this.#count) return captureInto(pieces, "", out);
    return captureRegion(pieces, this.text, this.#starts[i] as number, this.#ends[i] as number, out);
  }

  /** Whether the masked words are exactly `words`. */
  sameAs(words: readonly string[]): boolean {
    if (words.length !== this.count) return false;
    for (let k = 0; k < words.length; k++) {
      const w = words[k] as string;
      const m = this.#masked[k];
      if (m !== undefined) {
        if (m !== w) return false;
        continue;
      }
      const start = this.#starts[k] as number;
      if (w.length !== (this.#ends[k] as number) - start || !regionEquals(this.text, start, w)) return false;
    }
    return true;
  }

  /** The scanned line as word lists. */
  tokens(): Tokens {
    const n = this.count;
    const words = new Array<string>(n);
    const masked = new Array<string>(n);
    const seps = new Array<string>(n > 0 ? n - 1 : 0);
    for (let k = 0; k < n; k++) {
      const w = this.word(k);
      words[k] = w;
      masked[k] = this.#masked[k] ?? w;
      if (k > 0) seps[k - 1] = this.text.slice(this.#ends[k - 1], this.#starts[k]);
    }
    return { words, masked, seps, hash: this.#hash };
  }

  #grow(): void {
    const starts = new Int32Array(this.#starts.length * 2);
    const ends = new Int32Array(this.#ends.length * 2);
    starts.set(this.#starts);
    ends.set(this.#ends);
    this.#starts = starts;
    this.#ends = ends;
  }
}

const NO_SPANS: readonly MaskSpan[] = [];

/**
 * Where the mined part of `text` (trimmed) ends for a limit of `max` characters: its length when
 * it fits, else the start of the word holding character `max` (of the word before, when that
 * character is white space), so no word is cut in two and what is kept, separators included,
 * lies within the limit.
 */
export function cutAt(text: string, max: number): number {
  if (text.length <= max) return text.length;
  let at = max;
  while (at > 0 && isSpace(text.charCodeAt(at))) at--;
  while (at > 0 && !isSpace(text.charCodeAt(at - 1))) at--;
  return at;
}

/** A word holding line spans: its plain parts word-masked, each span replaced. */
function spannedWord(
  masker: Masker,
  text: string,
  start: number,
  end: number,
  spans: readonly MaskSpan[],
  from: number,
  to: number,
): string {
  let out = "";
  let pos = start;
  for (let k = from; k < to; k++) {
    const span = spans[k] as MaskSpan;
    out += masker.maskWord(text.slice(pos, span.start)) + span.replacement;
    pos = span.end;
  }
  return out + masker.maskWord(text.slice(pos, end));
}

/** Tokenizes `line` (trimmed) with the masker's line spans kept inside single words. */
export function tokenize(
  line: string,
  masker: Masker,
  collapseRepeats = false,
  maxLength = DEFAULT_MINER_CONFIG.maxLineLength,
): Tokens {
  return new Scanner(masker, collapseRepeats, maxLength).scan(line).tokens();
}

/**
 * Splits one word at punctuation, keeping every character: `uid=0` → `uid`, `=`, `0`;
 * `(TID` → `(`, `TID`; `host:` → `host`, `:`. Letters, digits and `_` form the word parts.
 */
export function splitPunctuation(word: string): string[] {
  return word.match(/[\p{L}\p{N}_]+|[^\p{L}\p{N}_]/gu) ?? [];
}

/** Rebuilds a message from words and separators. */
export function joinWords(words: readonly string[], seps: readonly string[]): string {
  let out = words[0] ?? "";
  for (let i = 1; i < words.length; i++) out += (seps[i - 1] ?? " ") + words[i];
  return out;
}
