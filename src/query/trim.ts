import { budgetTooSmall, costOf, type Dropped, fitAndStamp, type Step, tokensOf } from "./budget.ts";
import { QueryError } from "./errors.ts";
import type { Group } from "./summarize.ts";
import type { QueryAnswer } from "./types.ts";

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

export function budget(answer: QueryAnswer, maxTokens: number, steps: Step[]): QueryAnswer {
  const scanTruncated = answer.stats.truncated;
  const settle = () => {
    const dropped = answer.dropped.groups + answer.dropped.lines + answer.dropped.examples > 0;
    answer.stats.truncated = scanTruncated || dropped;
  };
  const result = fitAndStamp(answer, maxTokens, steps, settle);
  if (!result.fits) {
    throw new QueryError(
      "refused",
      "budget-too-small",
      "max_tokens too small",
      ...budgetTooSmall(result.need, maxTokens, "narrow the query (fewer services, a shorter logql)"),
    );
  }
  return answer;
}

/** The trimming order of a summary, cheapest loss first. */
export function summarySteps(answer: QueryAnswer, groups: Group[]): Step[] {
  return [
    examplesDropper(groups, answer.dropped, 1),
    () => dropRarestGroup(groups, answer.dropped, 1),
    () => dropLast(answer.next_calls ?? [], answer.dropped, "next_calls"),
    () => trimOrigin(answer),
    examplesDropper(groups, answer.dropped, 0),
    () => dropRarestGroup(groups, answer.dropped, 0),
    () => trimCounts(answer),
    () => (answer.hints.length > 1 ? costOf(answer.hints.pop()) : false),
  ];
}

export function trimOrigin(answer: QueryAnswer): number | false {
  const origin = answer.likely_origin;
  if (!origin) return false;
  if (origin.alternatives.length) return costOf(origin.alternatives.pop());
  if (origin.evidence.length > 1) return costOf(origin.evidence.pop());
  const clip = (t: string) => (t.length > 100 ? `${t.slice(0, 99)}…` : t);
  if (origin.reason.length > 100 || (origin.evidence[0]?.length ?? 0) > 100) {
    const before = tokensOf([origin.reason, origin.evidence]);
    origin.reason = clip(origin.reason);
    origin.evidence = origin.evidence.map(clip);
    return Math.max(1, before - tokensOf([origin.reason, origin.evidence]));
  }
  return false;
}

/** Keeps the five biggest services in counts.by_service: removes the smallest (the last of equals). */
export function trimCounts(answer: QueryAnswer): number | false {
  const counts = answer.counts;
  if (!counts) return false;
  const entries = Object.entries(counts.by_service);
  if (entries.length <= 5) return false;
  let smallest = entries[0]!;
  for (const e of entries) if (e[1] <= smallest[1]) smallest = e;
  delete counts.by_service[smallest[0]];
  setNote(answer.dropped, "counts", "counts.by_service keeps only the 5 biggest services");
  return costOf({ [smallest[0]]: smallest[1] });
}

/**
 * A step that drops examples from the rarest groups first, down to `keep` per
 * group. It remembers where it stopped, so trimming n groups costs O(n) in all.
 */
export function examplesDropper(groups: Array<{ examples: string[] }>, dropped: Dropped, keep: number): Step {
  let i = groups.length - 1;
  return () => {
    for (i = Math.min(i, groups.length - 1); i >= 0; i--) {
      const g = groups[i]!;
      if (g.examples.length > keep) {
        dropped.examples++;
        return costOf(g.examples.pop());
      }
    }
    return false;
  };
}

export function dropRarestGroup(
  groups: Array<{ count: number; template: string }>,
  dropped: Dropped,
  keep: number,
): number | false {
  if (groups.length <= keep) return false;
  const g = groups.pop()!;
  dropped.groups++;
  dropped.lines += g.count;
  setNote(dropped, "groups", `the ${dropped.groups} rarest template group(s), ${dropped.lines} line(s) in all`);
  return costOf(g);
}

/** One note per kind of removal, updated in place (notes count against the budget too). */
function setNote(dropped: Dropped, kind: string, text: string) {
  const prefix = `${kind}: `;
  const i = dropped.notes.findIndex((n) => n.startsWith(prefix));
  if (i >= 0) dropped.notes[i] = prefix + text;
  else dropped.notes.push(prefix + text);
}

export function dropLast(items: unknown[], dropped: Dropped, what: string): number | false {
  if (items.length === 0) return false;
  const item = items.pop();
  dropped.lines++;
  setNote(dropped, what, `trailing ${what} removed`);
  return costOf(item);
}
