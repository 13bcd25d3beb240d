// Applies the configured masks: line masks find spans in the whole message, word masks rewrite
// one whitespace-separated word at a time (memoised, since constant words repeat).

import type { MaskRule } from "./config.ts";
import { PLACEHOLDER } from "./config.ts";

/** A part of the message a line mask replaced: [start, end) in the message, and its replacement. */
export interface MaskSpan {
  start: number;
  end: number;
  replacement: string;
}

export class Masker {
  readonly #lineMasks: MaskRule[];
  readonly #wordMasks: MaskRule[];
  readonly #cache = new Map<string, string>();
  readonly #cacheSize: number;

  constructor(masks: readonly MaskRule[], cacheSize: number) {
    for (const mask of masks) {
      if (!mask.pattern.global) throw new Error(`mask "${mask.name}" needs the g flag`);
    }
    this.#lineMasks = masks.filter((m) => m.scope === "line");
    this.#wordMasks = masks.filter((m) => m.scope !== "line");
    this.#cacheSize = Math.max(0, cacheSize);
  }

  /** Non-overlapping spans of `line` matched by the line masks, sorted by start. */
  lineSpans(line: string): MaskSpan[] {
    if (this.#lineMasks.length === 0) return [];
    const spans: MaskSpan[] = [];
    for (const mask of this.#lineMasks) {
      const re = mask.pattern;
      re.lastIndex = 0;
      for (let m = re.exec(line); m !== null; m = re.exec(line)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const start = m.index;
        const end = start + m[0].length;
        if (spans.some((s) => start < s.end && end > s.start)) continue;
        spans.push({ start, end, replacement: expand(mask, m) });
      }
    }
    return spans.sort((a, b) => a.start - b.start);
  }

  /** The word with every word mask applied in order. */
  maskWord(word: string): string {
    const cached = this.#cache.get(word);
    if (cached !== undefined) return cached;
    let out = word;
    for (const mask of this.#wordMasks) {
      mask.pattern.lastIndex = 0;
      out = out.replace(mask.pattern, mask.replacement ?? PLACEHOLDER);
    }
    if (this.#cache.size >= this.#cacheSize) this.#cache.clear();
    if (this.#cacheSize > 0) this.#cache.set(word, out);
    return out;
  }
}

/** Expands `$1`-style references of the mask's replacement for one match. */
function expand(mask: MaskRule, m: RegExpExecArray): string {
  const replacement = mask.replacement ?? PLACEHOLDER;
  if (!replacement.includes("$")) return replacement;
  return replacement.replace(/\$(\d)/g, (_all, n: string) => m[Number(n)] ?? "");
}
