import { countTokensLinear } from "./tokens.ts";

/**
 * Token budget for answers (counted with a real BPE tokenizer, o200k, not
 * chars/4, in linear time: see tokens.ts). `fitToBudget` removes the least valuable parts first until the
 * JSON of the answer fits, and says what it removed.
 */
export const tokensOf = (value: unknown): number => countTokensLinear(JSON.stringify(value));

export interface Dropped {
  groups: number;
  lines: number;
  examples: number;
  /** Human-readable notes on what the budget removed. */
  notes: string[];
}

export const noneDropped = (): Dropped => ({ groups: 0, lines: 0, examples: 0, notes: [] });

/**
 * One removal step: removes one item and returns the tokens it removed,
 * estimated from the removed part alone (e.g. `tokensOf(item) + 1` for an
 * array element and its comma); `true` when it removed something of unknown
 * size; `false` when it has nothing left to remove.
 */
export type Step = () => number | boolean;

/** The estimated cost of removing `value` from a list or object (its text and one separator). */
export const costOf = (value: unknown): number => tokensOf(value) + 1;

/**
 * Shrinks `answer` in place with the `steps` given, cheapest loss first, and
 * stops as soon as the answer fits. Each pass removes, in bulk, as many items
 * of the current step as the overshoot calls for (by the items' own token
 * costs, so each removed item is tokenized once), then checks with one exact
 * count of the whole answer; the next pass corrects the small remainder. Steps
 * of unknown cost are cut by the average cost their last pass measured.
 * Returns the final (exact) token count.
 */
export function fitToBudget(answer: object, maxTokens: number, steps: Step[]): { tokens: number; fits: boolean } {
  let tokens = tokensOf(answer);
  for (const step of steps) {
    let perItem: number | undefined; // measured average of this step's unknown-cost removals
    while (tokens > maxTokens) {
      const pass = cutInBulk(step, tokens - maxTokens, perItem);
      if (pass.removed === 0) break;
      const before = tokens;
      tokens = tokensOf(answer);
      if (pass.unknown === pass.removed) perItem = Math.max(1, (before - tokens) / pass.removed);
    }
    if (tokens <= maxTokens) return { tokens, fits: true };
  }
  return { tokens, fits: tokens <= maxTokens };
}

/**
 * Calls `step` until the tokens it reports removed cover `need`. A removal of
 * unknown size counts as `perItem` (or, before any was measured, as all of
 * `need`, so the first one is measured alone).
 */
function cutInBulk(step: Step, need: number, perItem: number | undefined): { removed: number; unknown: number } {
  let left = need;
  let removed = 0;
  let unknown = 0;
  while (left > 0) {
    const r = step();
    if (r === false) break;
    removed++;
    if (typeof r === "number") left -= Math.max(1, r);
    else {
      unknown++;
      left -= perItem ?? need;
    }
  }
  return { removed, unknown };
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

/**
 * Fits `answer` with `steps`, then stamps its exact `tokens` (≤ maxTokens),
 * removing a few more items when the stamp itself does not fit. `settle` runs
 * before each stamp (e.g. to set `truncated` from what was dropped). Returns
 * the tokens the answer needs when even its skeleton does not fit.
 */
export function fitAndStamp(
  answer: { tokens?: number | undefined },
  maxTokens: number,
  steps: Step[],
  settle: () => void,
): { fits: true; tokens: number } | { fits: false; need: number } {
  answer.tokens = 999_999; // the widest value `tokens` takes, so stamping it later cannot overflow
  const result = fitToBudget(answer, maxTokens, steps);
  settle();
  let tokens = stampTokens(answer);
  while (tokens > maxTokens) {
    if (!steps.some((step) => step() !== false)) return { fits: false, need: Math.max(tokens, result.tokens) };
    settle();
    tokens = stampTokens(answer);
  }
  return { fits: true, tokens };
}

/** The detail and hint of a budget too small for even an answer's skeleton; `askForLess` ends the hint. */
export function budgetTooSmall(need: number, maxTokens: number, askForLess: string): [detail: string, hint: string] {
  return [
    `even trimmed to its skeleton this answer needs ${need} tokens, more than max_tokens=${maxTokens}`,
    `Raise max_tokens to at least ${Math.ceil(need * 1.1)}, or ${askForLess}.`,
  ];
}
