// Character helpers shared by the scanner, the masker and message extraction.

/** Whether a char code is JavaScript white space (what `\s` and `trim` treat as space). */
export function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** `text.trim()`, without the call when neither end is white space (the usual case). */
export function trimmed(text: string): string {
  const n = text.length;
  if (n === 0 || (!isSpace(text.charCodeAt(0)) && !isSpace(text.charCodeAt(n - 1)))) return text;
  return text.trim();
}

/** Whether `text` holds `word` at `start` (and `word` fits there). */
export function regionEquals(text: string, start: number, word: string): boolean {
  const n = word.length;
  if (start + n > text.length) return false;
  for (let k = 0; k < n; k++) if (text.charCodeAt(start + k) !== word.charCodeAt(k)) return false;
  return true;
}
