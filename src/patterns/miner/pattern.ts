// Word patterns: a template word is a literal or a pattern with `<*>` holes (`blk_<*>`, `uid=<*>`,
// `<*>:<*>`). Matching, capturing the holes, and generalising two words into one pattern.

import { PLACEHOLDER } from "./config.ts";

const PH = PLACEHOLDER;

export function hasPlaceholder(word: string): boolean {
  return word.includes(PH);
}

/** The values `value` gives to the holes of `pattern`, or undefined when it does not match. */
export function capture(pattern: string, value: string): string[] | undefined {
  if (pattern === PH) return [value];
  return capturePieces(pattern.split(PH), value);
}

/** `capture` with the pattern already split at its holes (`pattern.split(PLACEHOLDER)`). */
export function capturePieces(pieces: readonly string[], value: string): string[] | undefined {
  const out: string[] = [];
  return captureInto(pieces, value, out) ? out : undefined;
}

/** Pushes the values of the holes to `out` and returns true, or leaves `out` and returns false. */
export function captureInto(pieces: readonly string[], value: string, out: string[]): boolean {
  return captureRegion(pieces, value, 0, value.length, out);
}

/** `captureInto` for the value `text[start, end)`, without slicing it out first. */
export function captureRegion(pieces: readonly string[], text: string, start: number, end: number, out: string[]) {
  const first = pieces[0] ?? "";
  const last = pieces[pieces.length - 1] ?? "";
  if (pieces.length === 1) return end - start === first.length && text.startsWith(first, start);
  if (!text.startsWith(first, start) || end - start < first.length + last.length || !text.endsWith(last, end)) {
    return false;
  }
  const stop = end - last.length;
  const from = out.length;
  let pos = start + first.length;
  for (let k = 1; k < pieces.length - 1; k++) {
    const piece = pieces[k] ?? "";
    const at = text.indexOf(piece, pos);
    if (at < 0 || at + piece.length > stop) {
      out.length = from;
      return false;
    }
    out.push(text.slice(pos, at));
    pos = at + piece.length;
  }
  out.push(text.slice(pos, stop));
  return true;
}

/** Whether `value` (a word or another pattern) fits `pattern`. */
export function matches(pattern: string, value: string): boolean {
  return pattern === value || pattern === PH || (hasPlaceholder(pattern) && capture(pattern, value) !== undefined);
}

/** Holes joined only by `_`, `-` or `.` (or nothing) are one value. */
const JOINED_HOLES = /<\*>(?:[._-]?<\*>)+/g;
const ALNUM = /[\p{L}\p{N}]/u;
const LETTER = /\p{L}/u;
const DIGIT = /\p{N}/u;

function isAlnum(ch: string | undefined): boolean {
  return ch !== undefined && ALNUM.test(ch);
}

/**
 * Whether `cut` falls strictly inside a placeholder of `word`. Placeholders cannot overlap, so
 * this is a placeholder starting one or two characters before the cut (constant time).
 */
function insideHole(word: string, cut: number): boolean {
  return (cut >= 1 && word.startsWith(PH, cut - 1)) || (cut >= 2 && word.startsWith(PH, cut - 2));
}

/** Length of the longest end of `word` holding no letter or digit. */
function punctuationEnd(word: string): number {
  let s = 0;
  while (s < word.length && !isAlnum(word[word.length - 1 - s])) s++;
  return s;
}

/**
 * One pattern covering both words: the common start (cut where a word part ends, or where letters
 * meet digits), a hole, and the common end when it is only punctuation.
 * `user=root` + `user=admin` → `user=<*>`; `bglio11` + `bglio3` → `bglio<*>`; `Set(a,` + `Set(b,` → `Set(<*>,`.
 */
export function generalize(a: string, b: string): string {
  if (a === b) return a;
  const max = Math.min(a.length, b.length);
  let p = 0;
  while (p < max && a[p] === b[p]) p++;
  while (p > 0 && !prefixBoundary(a, b, p)) p--;
  let s = 0;
  while (s < max - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  // the common end is kept only when it is punctuation: at most the punctuation end of `a`
  s = Math.min(s, punctuationEnd(a));
  while (s > 0 && !suffixBoundary(a, b, s)) s--;
  const out = `${a.slice(0, p)}${PH}${a.slice(a.length - s)}`;
  return out.replace(JOINED_HOLES, PH);
}

function prefixBoundary(a: string, b: string, p: number) {
  if (insideHole(a, p) || insideHole(b, p)) return false;
  const last = a[p - 1];
  if (!isAlnum(last)) return true;
  // letters followed by digits (or a hole) in both words: `bglio` | `11`
  const na = a[p];
  const nb = b[p];
  const digitOrHole = (ch: string | undefined) => ch !== undefined && (DIGIT.test(ch) || ch === "<");
  return last !== undefined && LETTER.test(last) && digitOrHole(na) && digitOrHole(nb);
}

/** Whether the last `s` characters (punctuation, see `generalize`) can be kept: no hole is cut. */
function suffixBoundary(a: string, b: string, s: number) {
  return !insideHole(a, a.length - s) && !insideHole(b, b.length - s);
}

/**
 * Whether two different words at one position look like two values of one parameter rather than
 * two constants: one is wholly a value (`<*>`), one is an instance of the other's pattern
 * (`chdir(<*>)` / `chdir(pwd)`), both are identifiers carrying a value (`rdd_<*>` / `broadcast_<*>`), or both assign to the same key (`user=root` / `user=admin`).
 */
export function looksLikeValueChange(a: string, b: string): boolean {
  if (a === PH || b === PH) return true;
  if (isInstance(a, b) || isInstance(b, a)) return true;
  if (isIdentifierValue(a) && isIdentifierValue(b)) return true;
  const ka = a.indexOf("=");
  if (ka <= 0 || ka === a.length - 1) return false;
  return b.length > ka + 1 && b.slice(0, ka + 1) === a.slice(0, ka + 1) && isAlnum(a[ka - 1]);
}

const VALUE_EDGE_START = /^(?:[\p{L}\p{N}]|<\*>)/u;
const VALUE_EDGE_END = /(?:[\p{L}\p{N}]|<\*>)$/u;

/** `value` fills the holes of `pattern` with word-like values (no bare punctuation at their edges). */
function isInstance(pattern: string, value: string): boolean {
  if (!hasPlaceholder(pattern)) return false;
  const got = capture(pattern, value);
  return got?.every((v) => VALUE_EDGE_START.test(v) && VALUE_EDGE_END.test(v)) === true;
}

const IDENTIFIER = /^(?:[\p{L}\p{N}_-]|<\*>|\.(?!\.))+$/u;

/** An identifier with a value in it (`blk_<*>`, `core.<*>`), not a label glued to a value (`state:<*>`, `total....<*>`). */
function isIdentifierValue(word: string): boolean {
  return hasPlaceholder(word) && IDENTIFIER.test(word);
}

/** An upper-case identifier such as `RUNNING` or `SCREEN_ON`: by convention a state or event name. */
export function isEnumLike(word: string): boolean {
  return /^[A-Z][A-Z0-9_]*[A-Z0-9]$/.test(word) && /[A-Z]{2}/.test(word);
}

const ALNUM_OUTSIDE_HOLES = /[\p{L}\p{N}]/u;

/**
 * Whether a masked word can be an item of a list of like values (`blk_<*> blk_<*> blk_<*>`, one
 * word once collapsed): it holds a placeholder and some constant text (`blk_<*>`, not `<*>`); a run
 * of bare numbers is more often a fixed set of fields.
 */
export function isListItem(word: string): boolean {
  let at = word.indexOf(PH);
  if (at < 0) return false;
  // ASCII letters and digits answer at once; anything else outside ASCII goes to the regex
  for (let i = 0; i < word.length; i++) {
    if (i === at) {
      i += PH.length - 1;
      at = word.indexOf(PH, i + 1);
      continue;
    }
    const c = word.charCodeAt(i);
    if (c >= 128) return ALNUM_OUTSIDE_HOLES.test(word.replaceAll(PH, ""));
    if ((c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122)) return true;
  }
  return false;
}
