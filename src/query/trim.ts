import { type Dropped, fitToBudget, stampTokens, tokensOf } from "./budget.ts";
import { QueryError } from "./errors.ts";
import type { QueryAnswer } from "./service.ts";

/**
 * Fitting /query answers into max_tokens: list answers keep as many items as
 * fit, summaries lose their least valuable parts first (extra examples, the
 * rarest groups, next calls, origin detail, …), and every removal is noted in
 * `dropped`. An answer that cannot fit even as a skeleton is a 422.
 */

/**
 * Fits a list-shaped answer: estimates each item's tokens once, in priority
 * order, takes as many as the room left by the skeleton allows, then checks
 * the exact count and gives back items until it fits. Only the items kept
 * (and one more) are tokenized, so a 20,000-line scan costs no more than the
 * page it returns.
 */
export function fitList(
  answer: QueryAnswer,
  total: number,
  maxTokens: number,
  build: (k: number) => void,
  cost: (i: number) => number,
): QueryAnswer {
  build(0);
  const skeleton = tokensOf(answer) + 60; // room for the notes and cursor the final build adds
  let used = skeleton;
  let k = 0;
  while (k < total) {
    used += cost(k);
    if (used > maxTokens) break;
    k++;
  }
  build(k);
  let tokens = tokensOf({ ...answer, tokens: 0 });
  while (tokens > maxTokens && k > 0) {
    k = Math.max(0, k - Math.max(1, Math.ceil(((tokens - maxTokens) / tokens) * k)));
    build(k);
    tokens = tokensOf({ ...answer, tokens: 0 });
  }
  if (k < total) answer.stats.truncated = true;
  return budget(answer, maxTokens, [
    () => {
      if (k === 0) return false;
      build(--k);
      return true;
    },
  ]);
}

export function budget(answer: QueryAnswer, maxTokens: number, steps: Array<() => boolean>): QueryAnswer {
  answer.tokens = 999_999; // the widest value `tokens` can take, so stamping it later cannot overflow
  const scanTruncated = answer.stats.truncated;
  const result = fitToBudget(answer, maxTokens, steps);
  const dropped = answer.dropped.groups + answer.dropped.lines + answer.dropped.examples > 0;
  answer.stats.truncated = scanTruncated || dropped;
  let tokens = stampTokens(answer);
  while (tokens > maxTokens) {
    if (!steps.some((step) => step())) {
      throw new QueryError(
        "refused",
        "budget-too-small",
        "max_tokens too small",
        `even trimmed to its skeleton this answer needs ${Math.max(tokens, result.tokens)} tokens, more than max_tokens=${maxTokens}`,
        `Raise max_tokens to at least ${Math.ceil(Math.max(tokens, result.tokens) * 1.1)}, or narrow the query (fewer services, a shorter logql).`,
      );
    }
    tokens = stampTokens(answer);
  }
  return answer;
}

export function trimOrigin(answer: QueryAnswer): boolean {
  const origin = answer.likely_origin as { evidence: string[]; alternatives: unknown[] } | null | undefined;
  if (!origin) return false;
  if (origin.alternatives.length) return Boolean(origin.alternatives.pop());
  if (origin.evidence.length > 1) return Boolean(origin.evidence.pop());
  const o = origin as unknown as { reason: string; evidence: string[] };
  const clip = (t: string) => (t.length > 100 ? `${t.slice(0, 99)}…` : t);
  if (o.reason.length > 100 || (o.evidence[0]?.length ?? 0) > 100) {
    o.reason = clip(o.reason);
    o.evidence = o.evidence.map(clip);
    return true;
  }
  return false;
}

/** Keeps the five biggest services in counts.by_service. */
export function trimCounts(answer: QueryAnswer): boolean {
  const counts = answer.counts as { by_service: Record<string, number> } | undefined;
  if (!counts) return false;
  const entries = Object.entries(counts.by_service).sort((a, b) => b[1] - a[1]);
  if (entries.length <= 5) return false;
  const [name] = entries.at(-1)!;
  delete counts.by_service[name];
  setNote(answer.dropped, "counts", "counts.by_service keeps only the 5 biggest services");
  return true;
}

export function dropExamples(groups: Array<{ examples: string[] }>, dropped: Dropped, keep: number): boolean {
  // Drop examples from the rarest groups first, down to `keep` per group.
  for (let i = groups.length - 1; i >= 0; i--) {
    const g = groups[i]!;
    if (g.examples.length > keep) {
      g.examples.pop();
      dropped.examples++;
      return true;
    }
  }
  return false;
}

export function dropRarestGroup(
  groups: Array<{ count: number; template: string }>,
  dropped: Dropped,
  keep: number,
): boolean {
  if (groups.length <= keep) return false;
  const g = groups.pop()!;
  dropped.groups++;
  dropped.lines += g.count;
  setNote(dropped, "groups", `the ${dropped.groups} rarest template group(s), ${dropped.lines} line(s) in all`);
  return true;
}

/** One note per kind of removal, updated in place (notes count against the budget too). */
function setNote(dropped: Dropped, kind: string, text: string) {
  const prefix = `${kind}: `;
  const i = dropped.notes.findIndex((n) => n.startsWith(prefix));
  if (i >= 0) dropped.notes[i] = prefix + text;
  else dropped.notes.push(prefix + text);
}

export function dropLast(items: unknown[], dropped: Dropped, what: string): boolean {
  if (items.length === 0) return false;
  items.pop();
  dropped.lines++;
  setNote(dropped, what, `trailing ${what} removed`);
  return true;
}
