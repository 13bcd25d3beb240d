// Hand-written shortcuts for the built-in masks (config.ts MASKS), keyed by their pattern
// objects, so any mask list that uses a built-in pattern gets them and a custom one never does.
//
// A `mayMatch` check is a cheap necessary condition: false means the regex cannot match the
// text, so it is not run. A `replace` function does exactly what `text.replace(pattern, r)` does
// for a replacement `r` without `$` references. test/unit/miner-fast.test.ts checks both
// against the regexes.

import type { MaskRule } from "./config.ts";
import { MASKS, PLACEHOLDER } from "./config.ts";

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlnum = (c: number) => (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122);
const isHex = (c: number) => (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);

/** How many times `text` holds the char code `a` or `b`. */
function count(text: string, a: number, b = a): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === a || c === b) n++;
  }
  return n;
}

/** `0x` + a hex digit, or a run of 6 hex characters. */
function mayBeHex(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!isHex(c)) {
      if ((c | 32) === 120 && i > 0 && text.charCodeAt(i - 1) === 48 && isHex(text.charCodeAt(i + 1))) return true;
      run = 0;
    } else if (++run >= 6) return true;
  }
  return false;
}

/** First characters of the duration units (config.ts UNITS). */
const UNIT_START = new Set([..."nuµmshdbBkKgGtTMx%"].map((ch) => ch.charCodeAt(0)));

/** A digit right before the first character of a unit. */
function mayBeDuration(text: string): boolean {
  for (let i = 1; i < text.length; i++) {
    if (UNIT_START.has(text.charCodeAt(i)) && isDigit(text.charCodeAt(i - 1))) return true;
  }
  return false;
}

/** The top-level domains of the hostname mask (config.ts HOST_TLDS). */
const TLDS = [
  "com",
  "net",
  "org",
  "edu",
  "gov",
  "mil",
  "int",
  "io",
  "info",
  "biz",
  "local",
  "localdomain",
  "internal",
  "lan",
  "cloud",
];
/** `[\w.-]`: what may not follow a top-level domain. */
const isHostChar = (c: number) => isAlnum(c) || c === 95 || c === 46 || c === 45;

/** Two `-` and one before a digit (`web-node-12`), or `.` + a top-level domain at a word end. */
function mayBeHostname(text: string): boolean {
  let dashes = 0;
  let dashDigit = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 45) {
      dashes++;
      if (isDigit(text.charCodeAt(i + 1))) dashDigit = true;
    } else if (c === 46) {
      for (const tld of TLDS) {
        if (text.startsWith(tld, i + 1) && !isHostChar(text.charCodeAt(i + 1 + tld.length))) return true;
      }
    }
  }
  return dashDigit && dashes >= 2;
}

/** Two path separators, or `./`. */
function mayBePath(text: string): boolean {
  return count(text, 47, 92) >= 2 || text.includes("./");
}

const isJoin = (c: number) => c === 46 || c === 95 || c === 45;
const isLetter = (c: number) => (c | 32) >= 97 && (c | 32) <= 122;

/** `<*>` followed by `<*>`, or by `[._-]` and `<*>` with at most two letters and a `[._-]` between. */
function mayCollapse(text: string): boolean {
  for (let at = text.indexOf("<*>"); at >= 0; at = text.indexOf("<*>", at + 3)) {
    const e = at + 3;
    if (text.startsWith("<*>", e)) return true;
    if (!isJoin(text.charCodeAt(e))) continue;
    if (text.startsWith("<*>", e + 1)) return true;
    if (!isLetter(text.charCodeAt(e + 1))) continue;
    if (isJoin(text.charCodeAt(e + 2)) && text.startsWith("<*>", e + 3)) return true;
    if (isLetter(text.charCodeAt(e + 2)) && isJoin(text.charCodeAt(e + 3)) && text.startsWith("<*>", e + 4))
      return true;
  }
  return false;
}

/** What every timestamp match holds: `d-dd-dd` + `T` or space + `dd:`, or a day name and a space. */
const TIMESTAMP_CORE = /\d-\d\d-\d\d[T ]\d\d:|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s/;

const mayBeTimestamp = (text: string) => TIMESTAMP_CORE.test(text);

/** A digit, a space, and `B` or `[KMGTP]B` or `[KMGTP]iB`. */
function mayBeSize(text: string): boolean {
  for (let at = text.indexOf(" "); at >= 0; at = text.indexOf(" ", at + 1)) {
    if (!isDigit(text.charCodeAt(at - 1))) continue;
    let c = text.charCodeAt(at + 1);
    if (c === 66) return true;
    if (c !== 75 && c !== 77 && c !== 71 && c !== 84 && c !== 80) continue;
    c = text.charCodeAt(at + 2);
    if (c === 66 || (c === 105 && text.charCodeAt(at + 3) === 66)) return true;
  }
  return false;
}

const MAY_MATCH = new Map<RegExp, (text: string) => boolean>([
  [MASKS.timestamp.pattern, mayBeTimestamp],
  [MASKS.size.pattern, mayBeSize],
  [MASKS.path.pattern, mayBePath],
  [MASKS.url.pattern, (t) => t.includes("://")],
  [MASKS.uuid.pattern, (t) => t.length >= 36 && count(t, 45) >= 4],
  [MASKS.mac.pattern, (t) => t.length >= 17 && count(t, 58, 45) >= 5],
  [MASKS.ipv6.pattern, (t) => t.length >= 15 && count(t, 58) >= 7],
  [MASKS.ipv4.pattern, (t) => t.length >= 7 && count(t, 46) >= 3],
  [MASKS.hostname.pattern, mayBeHostname],
  [MASKS.hex.pattern, mayBeHex],
  [MASKS.duration.pattern, mayBeDuration],
  [MASKS.collapse.pattern, mayCollapse],
]);

/** The necessary-condition check of a built-in pattern, if it has one. */
export function mayMatchOf(pattern: RegExp): ((text: string) => boolean) | undefined {
  return MAY_MATCH.get(pattern);
}

/**
 * Where the digits starting at `q` end as the number mask matches them: the greedy end of
 * `\d+(?:\.\d+)*` if an end condition holds there, else the end before its last `.digits`
 * (followed by `.`, which always passes), else -1. Shorter ends stop before a digit and fail.
 */
function numberEnd(text: string, q: number): number {
  const n = text.length;
  let e = q;
  while (e < n && isDigit(text.charCodeAt(e))) e++;
  if (e === q) return -1;
  let previous = -1;
  while (e + 1 < n && text.charCodeAt(e) === 46 && isDigit(text.charCodeAt(e + 1))) {
    previous = e;
    e += 2;
    while (e < n && isDigit(text.charCodeAt(e))) e++;
  }
  const c = e < n ? text.charCodeAt(e) : -1;
  if (!isAlnum(c)) return e;
  const d = e + 1 < n ? text.charCodeAt(e + 1) : -1;
  if (c >= 65 && c <= 90 && d >= 97 && d <= 122) return e;
  return previous;
}

/** Where the number mask's match starting at `p` ends, or -1 (the regex's start conditions, then `numberEnd`). */
function numberMatchEnd(text: string, p: number): number {
  const c = text.charCodeAt(p);
  const before = p > 0 ? text.charCodeAt(p - 1) : -1;
  if (c === 45) return isAlnum(before) ? -1 : numberEnd(text, p + 1);
  if (isDigit(c) && !isAlnum(before) && !(before === 46 && p >= 2 && isDigit(text.charCodeAt(p - 2)))) {
    return numberEnd(text, p);
  }
  return -1;
}

/**
 * `text.replace(pattern, replacement)` for a global pattern whose match at a position ends at
 * `matchEnd(text, p)` (-1: none there), tried left to right after each match, as the regex does.
 */
function replaceEach(text: string, replacement: string, matchEnd: (text: string, p: number) => number): string {
  const n = text.length;
  let out = "";
  let copied = 0;
  let p = 0;
  while (p < n) {
    const end = matchEnd(text, p);
    if (end < 0) {
      p++;
      continue;
    }
    out += text.slice(copied, p) + replacement;
    copied = p = end;
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/**
 * Where the hex mask's match starting at `p` ends, or -1: `0x` + a run of hex digits, or a run of
 * six or more holding a digit and a letter, either not followed by a letter or digit. (A shorter
 * end would be followed by a hex digit, so backtracking never finds one.)
 */
function hexEnd(text: string, p: number): number {
  const n = text.length;
  if (text.charCodeAt(p) === 48 && (text.charCodeAt(p + 1) | 32) === 120 && isHex(text.charCodeAt(p + 2))) {
    let e = p + 2;
    while (e < n && isHex(text.charCodeAt(e))) e++;
    if (!isAlnum(text.charCodeAt(e))) return e;
  }
  let e = p;
  let digit = false;
  let letter = false;
  for (; e < n; e++) {
    const c = text.charCodeAt(e);
    if (!isHex(c)) break;
    if (c <= 57) digit = true;
    else letter = true;
  }
  return e - p >= 6 && digit && letter && !isAlnum(text.charCodeAt(e)) ? e : -1;
}

/** Where the hex mask's match starting at `p` ends, or -1: `hexEnd` at a word start. */
const hexMatchEnd = (text: string, p: number) => (p === 0 || !isAlnum(text.charCodeAt(p - 1)) ? hexEnd(text, p) : -1);

const REPLACE = new Map<RegExp, (text: string, replacement: string) => string>([
  [MASKS.number.pattern, (text, replacement) => replaceEach(text, replacement, numberMatchEnd)],
  [MASKS.hex.pattern, (text, replacement) => replaceEach(text, replacement, hexMatchEnd)],
]);

/** Whether `.` in a regex stops at this char code (a line terminator). */
const isLineEnd = (c: number) => c === 10 || c === 13 || c === 0x2028 || c === 0x2029;

/**
 * The quoted mask's first match at or after `from`, as `exec` finds it, in linear time. From a
 * `"` the regex reads escapes (`\` and a character other than a line end) and other characters
 * up to an unescaped `"`. When it is stuck first (at the end, or at a `\` before a line end),
 * every `"` it read on the way was escaped, so a match tried from one reads the same characters
 * from there on and is stuck at the same place: the search goes on from there, not from each `"`.
 */
function nextQuoted(text: string, from: number): [number, number] | undefined {
  const n = text.length;
  for (let start = text.indexOf('"', from); start >= 0; ) {
    let i = start + 1;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) return [start, i + 1];
      if (c !== 92) continue;
      if (i + 1 < n && !isLineEnd(text.charCodeAt(i + 1))) i++;
      else break;
    }
    if (i >= n) return undefined;
    start = text.indexOf('"', i);
  }
  return undefined;
}

const FIND = new Map<RegExp, (text: string, from: number) => [number, number] | undefined>([
  [MASKS.quoted.pattern, nextQuoted],
]);

/**
 * The hand-written search of a built-in line pattern, if it has one: the [start, end) of its first
 * match at or after `from`, as `exec` from `lastIndex = from` finds it.
 */
export function findOf(pattern: RegExp): ((text: string, from: number) => [number, number] | undefined) | undefined {
  return FIND.get(pattern);
}

/** The hand-written replace of a built-in pattern, if it has one (for replacements without `$`). */
export function replaceOf(pattern: RegExp): ((text: string, replacement: string) => string) | undefined {
  return REPLACE.get(pattern);
}

/** The built-in patterns and their own replacements. */
const BUILT_IN = new Map<RegExp, string>(
  Object.values(MASKS).map((m: MaskRule) => [m.pattern, m.replacement ?? PLACEHOLDER]),
);

/**
 * Whether the masks are all built-in ones with their own replacements. Those treat every digit
 * alike, except a `0` before `x` (hex `0x1f`), and their replacements never join a `0` to an `x`,
 * so words that differ only in such digits are masked at the same places: when the masked form
 * of one holds no digit, it is the masked form of the other too (see wordmemo.ts `shapeOf`).
 */
export function digitBlind(masks: readonly MaskRule[]): boolean {
  return masks.every((m) => BUILT_IN.get(m.pattern) === (m.replacement ?? PLACEHOLDER));
}

/** Whether `text` holds an ASCII digit. */
export function hasDigit(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isDigit(text.charCodeAt(i))) return true;
  return false;
}
