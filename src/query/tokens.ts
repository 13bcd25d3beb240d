import { createRequire } from "node:module";
import type { countTokens as CountTokens } from "gpt-tokenizer";

// The o200k tokenizer's tables take ~50 MB and ~150 ms to load: loaded on the first count, so a process that
// never budgets an answer (`npm run export`, a script) does not hold them; the server loads them before it listens
// (warmTokenizer), so no request pays for it.
const load = createRequire(import.meta.url);
let counter: typeof CountTokens | undefined;
function countTokens(text: string): number {
  counter ??= (load("gpt-tokenizer") as { countTokens: typeof CountTokens }).countTokens;
  return counter(text);
}

/** Loads the tokenizer now (the server calls it at start-up). */
export function warmTokenizer(): void {
  countTokens("");
}

import { LRUCache } from "lru-cache";

/**
 * Token counts in linear time. The o200k BPE is quadratic in the length of one
 * pre-token: a log line of 128,000 `a` (one pre-token) costs ~11 s to count.
 * So the text is counted in chunks cut where the tokenizer's pre-tokens start
 * anyway (see `safeCut`: the count is unchanged), and a run of one kind longer
 * than RUN_PIECE characters (a letters-only or punctuation-only run) is cut
 * every RUN_PIECE characters (its count is then within a token or so per
 * piece, and never costs more than a piece's square).
 *
 * A JSON answer is also cut at the end of each string value (`"` before `,`
 * `}` `]`, a safe cut), so its pieces are its values: counting an answer again
 * after the budget dropped part of it finds the other pieces' counts in a small
 * memo instead of running the BPE over them again.
 */
const WINDOW = 4096;
const RUN_PIECE = 256;

/** Token counts of recent pieces (bounded by their characters). */
const memo = new LRUCache<string, number>({ maxSize: 8 << 20, sizeCalculation: (_n, piece) => piece.length + 16 });

export function countTokensLinear(text: string): number {
  if (text.length <= RUN_PIECE) return countTokens(text);
  let total = 0;
  for (const piece of chunks(text)) total += countPiece(piece);
  return total;
}

function countPiece(piece: string): number {
  if (piece.length < 16) return countTokens(piece);
  let n = memo.get(piece);
  if (n === undefined) {
    n = countTokens(piece);
    memo.set(piece, n);
  }
  return n;
}

/** The pieces `countTokensLinear` counts, in order; together they are the text. */
export function* chunks(text: string): Generator<string> {
  let start = 0;
  while (start < text.length) {
    const end = cutAfter(text, start);
    yield text.slice(start, end);
    start = end;
  }
}

/** Where the chunk starting at `start` ends: the last safe cut in the window, or inside a long run of one kind. */
function cutAfter(text: string, start: number): number {
  const stop = Math.min(start + WINDOW, text.length);
  let cut = -1;
  let run = 0;
  for (let i = start + 1; i < stop; i++) {
    if (safeCut(text.charCodeAt(i - 1), text.charCodeAt(i))) {
      if (endsValue(text, i)) return i;
      cut = i;
      run = 0;
    } else if (++run >= RUN_PIECE) {
      // A long run of one kind (one pre-token, the BPE's quadratic case): end before it, or cut inside it.
      return cut > start ? cut : pieceEnd(text, start + RUN_PIECE);
    }
  }
  if (stop === text.length) return text.length;
  return cut > start ? cut : pieceEnd(text, start + RUN_PIECE);
}

const SPACE = 32;
const QUOTE = 34;

/** Whether a JSON string value ends at `i` (`"` followed by `,` `}` or `]`): where answers are cut into values. */
function endsValue(text: string, i: number): boolean {
  if (text.charCodeAt(i) !== QUOTE) return false;
  const next = text.charCodeAt(i + 1);
  return next === 44 || next === 125 || next === 93;
}
const APOSTROPHE = 39;
const kindOf = (c: number): number =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? 1 : c >= 48 && c <= 57 ? 2 : c < 128 && c !== SPACE ? 3 : 0;

/**
 * Whether o200k's pre-tokenizer always starts a new pre-token between `a` and `b` (so counting the two
 * sides apart gives the same count): before a space that follows a non-space; between an ASCII letter,
 * digit and punctuation of different kinds, except where punctuation may lead a word (`"word`, `'s`).
 */
function safeCut(a: number, b: number): boolean {
  if (b === SPACE) return a !== SPACE && a !== 9 && a !== 10 && a !== 13;
  const ka = kindOf(a);
  const kb = kindOf(b);
  if (ka === 0 || kb === 0 || ka === kb) return false;
  if (ka === 3 && kb === 1) return false; // punctuation may be the leading character of a word
  if (b === APOSTROPHE) return false; // contractions ('s, 't, …) stay with their word
  return true;
}

/** `at`, moved back one when it would split a surrogate pair. */
function pieceEnd(text: string, at: number): number {
  const c = text.charCodeAt(at - 1);
  return c >= 0xd800 && c <= 0xdbff ? at - 1 : at;
}
