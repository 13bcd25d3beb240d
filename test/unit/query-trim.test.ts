import { describe, expect, it, vi } from "vitest";
import { bigPatterns, bigSummary } from "../../scripts/bench/big-answers.ts";
import { fitPatternsAnswer } from "../../src/patterns/fit.ts";
import { tokensOf } from "../../src/query/budget.ts";
import { budget, summarySteps } from "../../src/query/trim.ts";
import { thrown } from "./helpers/thrown.ts";

/** Every call of the tokenizer, by the length of the text it was given. */
const tokenizer = vi.hoisted(() => ({ lengths: [] as number[] }));
vi.mock("../../src/query/tokens.ts", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/query/tokens.ts")>();
  return {
    ...real,
    countTokensLinear: (text: string) => {
      tokenizer.lengths.push(text.length);
      return real.countTokensLinear(text);
    },
  };
});

/** Runs `fn`, returning what the tokenizer was asked to do meanwhile. */
function counted<T>(fn: () => T, wholeChars: number) {
  tokenizer.lengths = [];
  const value = fn();
  const lengths = tokenizer.lengths;
  return {
    value,
    calls: lengths.length,
    /** Calls on something at least a tenth of the whole answer: whole-answer counts. */
    wholeCounts: lengths.filter((n) => n >= wholeChars / 10).length,
    /** Characters tokenized, in units of the whole answer. */
    wholes: lengths.reduce((a, b) => a + b, 0) / wholeChars,
  };
}

describe("budget on a 2,000-group summary (work bounded, not timed)", () => {
  it.each([80_000, 2_000])("max_tokens=%i: each item costs once, the answer is counted a few times", (maxTokens) => {
    const { answer, groups } = bigSummary(2000);
    const original = structuredClone(groups);
    const objects = [...groups];
    const chars = JSON.stringify(answer).length;
    const initialTokens = tokensOf(answer);
    expect(initialTokens).toBeGreaterThan(4 * 80_000); // far over either budget

    const run = counted(() => budget(answer, maxTokens, summarySteps(answer, groups)), chars);

    // Bounded work: a handful of whole-answer counts, and at most ~one more tokenization per removed item.
    expect(run.wholeCounts).toBeLessThanOrEqual(10);
    expect(run.wholes).toBeLessThanOrEqual(6);
    expect(run.calls).toBeLessThanOrEqual(12 + 2 * (original.length * 4 + 20));

    // Exact and within budget.
    expect(answer.tokens).toBe(tokensOf(answer));
    expect(answer.tokens).toBeLessThanOrEqual(maxTokens);
    // Cut in bulk, yet not far below the budget.
    expect(answer.tokens).toBeGreaterThan(maxTokens * 0.95);

    // Cheapest loss first: extra examples of the rarest groups go before any group, the rarest groups go first.
    const kept = answer.groups!;
    expect(kept).toEqual(groups);
    expect(kept.map((g) => g.template)).toEqual(original.slice(0, kept.length).map((g) => g.template));
    expect(answer.dropped.groups).toBe(original.length - kept.length);
    expect(answer.dropped.lines).toBe(original.slice(kept.length).reduce((a, g) => a + g.count, 0));
    // Every example removed is counted (the dropped groups keep the examples they had when they went).
    expect(answer.dropped.examples).toBe(objects.reduce((a, g) => a + 3 - g.examples.length, 0));
    expect(answer.stats.truncated).toBe(true);
    expect(answer.dropped.notes.join(" ")).toMatch(
      new RegExp(`the ${answer.dropped.groups} rarest template group\\(s\\), ${answer.dropped.lines} line\\(s\\)`),
    );
  });

  it("at 80,000 tokens: every group's extra examples go before the rarest groups, and nothing after them", () => {
    const { answer, groups } = bigSummary(2000);
    budget(answer, 80_000, summarySteps(answer, groups));
    expect(answer.dropped.groups).toBeGreaterThan(0);
    expect(groups.every((g) => g.examples.length === 1)).toBe(true);
    expect(answer.next_calls).toHaveLength(2);
    expect(answer.likely_origin!.alternatives).toHaveLength(1);
    expect(Object.keys(answer.counts!.by_service)).toHaveLength(12);
  });

  it("at 500 tokens goes down the list: groups to one, next_calls, then origin detail", () => {
    const { answer, groups } = bigSummary(2000);
    budget(answer, 500, summarySteps(answer, groups));
    expect(groups).toHaveLength(1);
    expect(groups[0]!.template).toContain("kind 0 ");
    expect(answer.next_calls).toEqual([]);
    expect(answer.likely_origin!.alternatives).toEqual([]);
    expect(answer.likely_origin!.evidence).toHaveLength(1);
    expect(answer.tokens).toBe(tokensOf(answer));
    expect(answer.tokens).toBeLessThanOrEqual(500);
  });

  it("refuses (422) when even the skeleton does not fit", () => {
    const { answer, groups } = bigSummary(50);
    const e = thrown(() => budget(answer, 50, summarySteps(answer, groups)));
    expect(e.status).toBe(422);
    expect(e.slug).toBe("budget-too-small");
    expect(e.hint).toMatch(/Raise max_tokens to at least \d+/);
  });
});

describe("fitPatternsAnswer on 2,000 learned templates (work bounded, not timed)", () => {
  it.each([80_000, 2_000])("max_tokens=%i", (maxTokens) => {
    const answer = bigPatterns(4, 500);
    const total = 2000;
    const chars = JSON.stringify(answer).length;
    const run = counted(() => fitPatternsAnswer(answer, maxTokens), chars);
    expect(run.wholeCounts).toBeLessThanOrEqual(14);
    expect(run.wholes).toBeLessThanOrEqual(6);
    expect(answer.tokens).toBe(tokensOf(answer));
    expect(answer.tokens).toBeLessThanOrEqual(maxTokens);
    expect(answer.tokens).toBeGreaterThan(maxTokens * 0.9);
    const kept = answer.learned!.reduce((a, s) => a + s.templates.length, 0);
    expect(answer.dropped.groups).toBe(total - kept);
    // Parameter samples go before any template.
    expect(answer.dropped.params).toBeGreaterThan(0);
    expect(answer.learned!.flatMap((s) => s.templates).every((t) => t.params === undefined || maxTokens > 2_000)).toBe(
      true,
    );
  });
});
