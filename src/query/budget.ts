import { countTokens } from "gpt-tokenizer";

/**
 * Token budget for answers (counted with a real BPE tokenizer, o200k, not
 * chars/4). `fit` removes the least valuable parts first until the JSON of
 * the answer fits, and says what it removed.
 */
export const tokensOf = (value: unknown): number => countTokens(JSON.stringify(value));

export interface Dropped {
  groups: number;
  lines: number;
  examples: number;
  /** Human-readable notes on what the budget removed. */
  notes: string[];
}

export const noneDropped = (): Dropped => ({ groups: 0, lines: 0, examples: 0, notes: [] });

/**
 * Shrinks `answer` in place with the `steps` given, cheapest loss first, each
 * step removing one item and returning false when it has nothing left. Stops
 * as soon as the answer fits. Returns the final token count.
 */
export function fitToBudget(
  answer: object,
  maxTokens: number,
  steps: Array<() => boolean>,
): { tokens: number; fits: boolean } {
  let tokens = tokensOf(answer);
  for (const step of steps) {
    while (tokens > maxTokens) {
      // Remove in chunks proportional to the overshoot to stay fast on big answers.
      const overshoot = tokens / maxTokens;
      const n = overshoot > 2 ? Math.ceil(overshoot) * 4 : 1;
      let removed = false;
      for (let i = 0; i < n; i++) {
        if (!step()) break;
        removed = true;
      }
      if (!removed) break;
      tokens = tokensOf(answer);
    }
    if (tokens <= maxTokens) return { tokens, fits: true };
  }
  return { tokens, fits: tokens <= maxTokens };
}

/** Sets `tokens` to the token count of the answer including that very field (a fixed point). */
export function stampTokens(answer: { tokens?: number | undefined }): number {
  let tokens = tokensOf({ ...answer, tokens: 0 });
  for (let i = 0; i < 4; i++) {
    answer.tokens = tokens;
    const again = tokensOf(answer);
    if (again === tokens) break;
    tokens = again;
  }
  return answer.tokens ?? tokens;
}
