import type { MaskRule } from "../../../src/patterns/miner/index.ts";
import { PLACEHOLDER } from "../../../src/patterns/miner/index.ts";

/** The plain definition of word masking: every word mask of `masks`, in order, with no trigger, memo or shortcut. */
export function maskPlain(masks: readonly MaskRule[], word: string): string {
  let out = word;
  for (const m of masks) {
    if (m.scope === "line") continue;
    m.pattern.lastIndex = 0;
    out = out.replace(m.pattern, m.replacement ?? PLACEHOLDER);
  }
  return out;
}
