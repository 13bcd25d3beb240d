// Splits a message into words (runs of non-space characters, a masked span staying whole) and
// the exact separators between them, so a template can be rebuilt with the original spacing.

import type { Masker } from "./mask.ts";

export interface Tokens {
  /** The words as written. */
  words: string[];
  /** The words after masking (`<*>` for the masked parts). */
  masked: string[];
  /** `seps[i]` is the whitespace between `words[i]` and `words[i + 1]`. */
  seps: string[];
}

const SPACE = /\s/;

/** Tokenizes `line` (trimmed) with the masker's line spans kept inside single words. */
export function tokenize(line: string, masker: Masker): Tokens {
  const text = line.trim();
  const spans = masker.lineSpans(text);
  const words: string[] = [];
  const masked: string[] = [];
  const seps: string[] = [];
  let spanIndex = 0;
  let i = 0;
  while (i < text.length) {
    // one word: non-space characters, and any span that starts inside it
    const start = i;
    let maskedWord = "";
    let plainFrom = i;
    while (i < text.length) {
      const span = spans[spanIndex];
      if (span !== undefined && span.start === i) {
        maskedWord += masker.maskWord(text.slice(plainFrom, i)) + span.replacement;
        i = span.end;
        plainFrom = i;
        spanIndex++;
        continue;
      }
      if (SPACE.test(text.charAt(i))) break;
      i++;
    }
    const plain = text.slice(plainFrom, i);
    words.push(text.slice(start, i));
    masked.push(plainFrom === start ? masker.maskWord(plain) : maskedWord + masker.maskWord(plain));
    const sepStart = i;
    while (i < text.length && SPACE.test(text.charAt(i))) i++;
    if (i < text.length) seps.push(text.slice(sepStart, i));
  }
  return { words, masked, seps };
}

const ALNUM_OUTSIDE_HOLES = /[\p{L}\p{N}]/u;

/**
 * A list of like values (`blk_<*> blk_<*> blk_<*>`) becomes one word, so lists of any length share
 * a template. Only words holding a placeholder and some constant text (`blk_<*>`, not `<*>`) count:
 * a run of bare numbers is more often a fixed set of fields.
 */
export function collapseRepeats(tokens: Tokens): Tokens {
  const { words, masked, seps } = tokens;
  let repeated = false;
  for (let i = 1; i < masked.length && !repeated; i++) repeated = masked[i] === masked[i - 1] && isListItem(masked[i]);
  if (!repeated) return tokens;
  const out: Tokens = { words: [words[0] as string], masked: [masked[0] as string], seps: [] };
  for (let i = 1; i < masked.length; i++) {
    const last = out.masked.length - 1;
    if (masked[i] === out.masked[last] && isListItem(masked[i])) {
      out.words[last] += (seps[i - 1] ?? " ") + words[i];
    } else {
      out.words.push(words[i] as string);
      out.masked.push(masked[i] as string);
      out.seps.push(seps[i - 1] ?? " ");
    }
  }
  return out;
}

function isListItem(word: string | undefined): boolean {
  if (word === undefined || !word.includes("<*>")) return false;
  return ALNUM_OUTSIDE_HOLES.test(word.replaceAll("<*>", ""));
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
