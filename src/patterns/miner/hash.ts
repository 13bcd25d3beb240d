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
