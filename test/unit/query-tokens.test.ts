import fc from "fast-check";
import { countTokens } from "gpt-tokenizer";
import { describe, expect, it } from "vitest";
import { chunks, countTokensLinear } from "../../src/query/tokens.ts";

const WORDS = [
  "error",
  "timeout",
  "inventory-db",
  "GET /api/v1/x",
  "status=503",
  "trace_id=4bf92f35",
  '\\"q\\"',
  "é",
  "🙂",
  "12345",
  "  ",
  '{"a":1}',
  "\\n",
];

describe("countTokensLinear", () => {
  it("equals the o200k count on text whose words are of ordinary length (the answers' JSON)", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...WORDS), fc.boolean()), { maxLength: 3000 }), (parts) => {
        const message = parts.map(([w, space]) => (space ? `${w} ` : w)).join("");
        const text = JSON.stringify({ groups: [{ template: message, examples: [message.slice(3)] }] });
        expect(countTokensLinear(text)).toBe(countTokens(text));
      }),
      { numRuns: 200 },
    );
  });

  it("stays close to the o200k count on long runs without spaces, and splits no surrogate pair", () => {
    for (const text of ["ab1-".repeat(2_000), "🙂".repeat(3_000), `x${"a".repeat(5_000)} y`]) {
      const exact = countTokens(text);
      const linear = countTokensLinear(text);
      expect(Math.abs(linear - exact)).toBeLessThanOrEqual(Math.ceil(text.length / 256) + 2);
    }
  });

  it("never hands the tokenizer a run of one kind longer than 256 characters, and counts every character once", () => {
    const hostile = [
      `login failed for user ${"a".repeat(128_000)}@`,
      `{"msg":"${'\\"'.repeat(64_000)}"}`,
      `${" ".repeat(50_000)}x`,
      `${"word ".repeat(10_000)}${"-".repeat(20_000)}`,
    ];
    for (const text of hostile) {
      const pieces = chunksOf(text);
      expect(pieces.join("")).toBe(text);
      for (const p of pieces) expect(longestRun(p)).toBeLessThanOrEqual(256);
      expect(countTokensLinear(text)).toBe(pieces.reduce((n, p) => n + countTokens(p), 0));
    }
  });
});

/** The pieces countTokensLinear counts (recorded through its exported `chunks`). */
function chunksOf(text: string): string[] {
  return [...chunks(text)];
}

/** The longest run of one kind (ASCII letters, digits, other non-space characters): one BPE pre-token at most. */
function longestRun(text: string): number {
  const kind = (ch: string) => (/[A-Za-z]/.test(ch) ? 1 : /[0-9]/.test(ch) ? 2 : ch === " " ? 0 : 3);
  let best = 0;
  let run = 0;
  let last = -1;
  for (const ch of text) {
    const k = kind(ch);
    run = k === 0 ? 0 : k === last ? run + 1 : 1;
    last = k;
    best = Math.max(best, run);
  }
  return best;
}
