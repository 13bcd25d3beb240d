// Integer hashes of words and of masked lines, for the memo tables: FNV-1a over UTF-16 code
// units, folded word by word. Lookups verify content, so a collision costs time, never accuracy.

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a hash of a word's code units (the scanner computes the same while it reads a word). */
export function hashWord(word: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), FNV_PRIME);
  return h;
}

/** `hashWord` of `text[start, end)`, without slicing it. */
export function hashRegion(text: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/**
 * `hashWord` of `text[start, end)` with every ASCII digit read as `1`: the scanner's hash of a
 * word, which is the word's own hash when it has no digit, and a key of its digit shape
 * (wordmemo.ts `shapeOf`) when it has.
 */
export function looseHash(text: string, start: number, end: number): number {
  let h = FNV_OFFSET;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    h = Math.imul(h ^ (c >= 48 && c <= 57 ? 49 : c), FNV_PRIME);
  }
  return h;
}

/**
 * A key of the digit shape of a whole line (any two lines of one `shapeOf` get the same): FNV-1a
 * over every fourth position from 0, 1, 2 and 3 apart, so the four chains run side by side, then
 * folded.
 */
export function shapeKey(text: string): number {
  const n = text.length;
  let h0 = FNV_OFFSET;
  let h1 = FNV_OFFSET ^ n;
  let h2 = FNV_OFFSET;
  let h3 = FNV_OFFSET;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    h0 = Math.imul(h0 ^ digitAsOne(text.charCodeAt(i)), FNV_PRIME);
    h1 = Math.imul(h1 ^ digitAsOne(text.charCodeAt(i + 1)), FNV_PRIME);
    h2 = Math.imul(h2 ^ digitAsOne(text.charCodeAt(i + 2)), FNV_PRIME);
    h3 = Math.imul(h3 ^ digitAsOne(text.charCodeAt(i + 3)), FNV_PRIME);
  }
  for (; i < n; i++) h0 = Math.imul(h0 ^ digitAsOne(text.charCodeAt(i)), FNV_PRIME);
  return mix(mix(mix(h0, h1), h2), h3);
}

const digitAsOne = (c: number) => (c >= 48 && c <= 57 ? 49 : c);

/** Folds a word's hash into a line's. */
export function mix(line: number, word: number): number {
  const h = Math.imul(line ^ word, 0x9e3779b1);
  return h ^ (h >>> 16);
}

/** The line hash after `count` words: a small integer (a cheap Map key). */
export function finish(line: number, count: number): number {
  return (mix(line, 0) ^ Math.imul(count, 0x27d4eb2d)) & 0x3fffffff;
}

/** The hash the scanner gives a line whose masked words are `words`. */
export function hashWords(words: readonly string[]): number {
  let h = 0;
  for (const w of words) h = mix(h, hashWord(w));
  return finish(h, words.length);
}
