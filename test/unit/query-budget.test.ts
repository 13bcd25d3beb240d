import { countTokens } from "gpt-tokenizer";
import { describe, expect, it } from "vitest";
import { fitToBudget, noneDropped, tokensOf } from "../../src/query/budget.ts";

describe("tokensOf", () => {
  it("counts the BPE tokens of the JSON text", () => {
    for (const value of [
      { a: 1 },
      "hello world",
      [1, 2, 3],
      { lines: ["2026-11-24T14:05:00Z ERROR call to inventory failed: timeout after 3000ms"] },
      { nested: { unicode: "naïve café — 日本語", emoji: "🚀" } },
    ]) {
      expect(tokensOf(value)).toBe(countTokens(JSON.stringify(value)));
    }
  });

  it("is not chars/4", () => {
    // (a run of one letter past 256 characters is counted in pieces: see query-tokens.test.ts)
    const value = { text: "a".repeat(200) };
    expect(tokensOf(value)).toBe(countTokens(JSON.stringify(value)));
    expect(tokensOf(value)).not.toBe(Math.ceil(JSON.stringify(value).length / 4));
  });

  it("grows with content", () => {
    expect(tokensOf({ lines: ["x y z"] })).toBeLessThan(tokensOf({ lines: ["x y z", "x y z", "x y z"] }));
  });
});

describe("noneDropped", () => {
  it("starts at zero and is fresh each time", () => {
    const a = noneDropped();
    expect(a).toEqual({ groups: 0, lines: 0, examples: 0, notes: [] });
    a.notes.push("x");
    expect(noneDropped().notes).toEqual([]);
  });
});

describe("fitToBudget", () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i}: call to inventory failed: timeout`);

  it("does nothing when the answer already fits", () => {
    const answer = { lines: lines(3) };
    let calls = 0;
    const result = fitToBudget(answer, 10_000, [
      () => {
        calls++;
        return false;
      },
    ]);
    expect(calls).toBe(0);
    expect(result).toEqual({ tokens: tokensOf({ lines: lines(3) }), fits: true });
    expect(answer.lines).toHaveLength(3);
  });

  it("stops removing as soon as the answer fits", () => {
    const answer = { lines: lines(40) };
    const budget = tokensOf({ lines: lines(30) });
    let calls = 0;
    const result = fitToBudget(answer, budget, [
      () => {
        calls++;
        return answer.lines.pop() !== undefined;
      },
    ]);
    expect(result.fits).toBe(true);
    expect(result.tokens).toBeLessThanOrEqual(budget);
    expect(result.tokens).toBe(tokensOf(answer));
    // Overshoot < 2: one item per step call, so exactly the surplus is removed.
    expect(answer.lines).toHaveLength(30);
    expect(calls).toBe(10);
  });

  it("uses later steps only when earlier ones run out", () => {
    const answer = { examples: ["e1 some example text", "e2 some example text"], lines: lines(20) };
    const budget = tokensOf({ examples: [], lines: lines(18) });
    const order: string[] = [];
    const result = fitToBudget(answer, budget, [
      () => {
        const x = answer.examples.pop();
        if (x !== undefined) order.push("example");
        return x !== undefined;
      },
      () => {
        const x = answer.lines.pop();
        if (x !== undefined) order.push("line");
        return x !== undefined;
      },
      () => {
        order.push("never");
        return false;
      },
    ]);
    expect(result.fits).toBe(true);
    expect(answer.examples).toEqual([]);
    expect(answer.lines).toHaveLength(18);
    expect(order).toEqual(["example", "example", "line", "line"]);
  });

  it("reports fits=false when the steps run out", () => {
    const answer = { header: "x ".repeat(200), lines: lines(5) };
    const result = fitToBudget(answer, 20, [() => answer.lines.pop() !== undefined]);
    expect(result.fits).toBe(false);
    expect(answer.lines).toEqual([]);
    expect(result.tokens).toBe(tokensOf(answer));
    expect(result.tokens).toBeGreaterThan(20);
  });

  it("reports fits=false with no steps at all", () => {
    const answer = { text: "y ".repeat(100) };
    expect(fitToBudget(answer, 5, [])).toEqual({ tokens: tokensOf(answer), fits: false });
  });

  it("removes in chunks when far over budget, and still ends within it", () => {
    const answer = { lines: lines(2000) };
    let calls = 0;
    const budget = 500;
    const result = fitToBudget(answer, budget, [
      () => {
        calls++;
        return answer.lines.pop() !== undefined;
      },
    ]);
    expect(result.fits).toBe(true);
    expect(result.tokens).toBeLessThanOrEqual(budget);
    expect(answer.lines.length).toBeGreaterThan(0);
    // chunks overshoot a little at most: the result keeps most of what fits
    expect(tokensOf({ lines: lines(answer.lines.length + 10) })).toBeGreaterThan(budget * 0.9);
    expect(calls).toBe(2000 - answer.lines.length);
  });
});
