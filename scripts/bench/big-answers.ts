// Large answers for the budget: a troubleshoot summary of n template groups and a /patterns answer of many
// learned templates, far over any max_tokens (used by the budget benchmark and its unit test).
import { nonePatternsDropped, type Trimmable } from "../../src/patterns/fit.ts";
import { noneDropped } from "../../src/query/budget.ts";
import type { Group } from "../../src/query/summarize.ts";
import type { QueryAnswer } from "../../src/query/types.ts";

/** A line of about 150 characters, different for every (group, example). */
const line = (g: number, e: number) =>
  `2026-11-24T14:${String(g % 60).padStart(2, "0")}:0${e}Z ERROR checkout-${g % 7} request ${g * 31 + e} to inventory-${g % 5} failed: upstream connect error after ${1000 + g} ms (attempt ${e + 1}, pool ${g % 13})`;

/** `n` template groups as the summary builds them, most frequent first, three examples each. */
export function bigGroups(n: number): Group[] {
  return Array.from({ length: n }, (_, g) => ({
    template: `request <*> to inventory-${g % 5} failed: upstream connect error kind ${g} after <*> ms`,
    count: n - g + 1,
    services: [`checkout-${g % 7}`],
    levels: { error: n - g + 1 },
    first_seen: "2026-11-24T14:00:00.000Z",
    last_seen: "2026-11-24T14:59:59.000Z",
    examples: [line(g, 0), line(g, 1), line(g, 2)],
  }));
}

/** A troubleshoot summary answer with `n` groups, as runQuery hands it to `budget`. */
export function bigSummary(n: number): { answer: QueryAnswer; groups: Group[] } {
  const groups = bigGroups(n);
  const answer: QueryAnswer = {
    mode: "troubleshoot",
    format: "summary",
    logql: '{service_name=~".+"} |~ "(?i)error"',
    range: { start: "2026-11-24T14:00:00.000Z", end: "2026-11-24T15:00:00.000Z" },
    stats: {
      lines_scanned: 20_000,
      lines_returned: 20_000,
      truncated: false,
      scan_cap: 20_000,
      pages: 4,
      bytes_estimated: 1e7,
    },
    dropped: noneDropped(),
    hints: ["first hint", "second hint", "third hint"],
    counts: {
      by_service: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`svc-${i}`, 1000 - i])),
      by_level: { error: 20_000 },
    },
    groups,
    likely_origin: {
      service: "inventory-0",
      reason: "x".repeat(300),
      evidence: ["e".repeat(200), "f".repeat(50)],
      confidence: 0.8,
      alternatives: [{ service: "checkout-1", score: 0.4 }],
    },
    next_calls: ["GET /api/v1/ai_logs/query?service=inventory-0&mode=errors", "GET /api/v1/ai_logs/correlate?id=x"],
  };
  return { answer, groups };
}

/** A /patterns answer with `services` services of `perService` learned templates each. */
export function bigPatterns(services: number, perService: number): Trimmable {
  return {
    library: {
      patterns: Array.from({ length: 40 }, (_, i) => ({
        description: `library pattern ${i} description `.repeat(4),
        remediation: `do the thing number ${i} `.repeat(4),
      })),
    },
    learned: Array.from({ length: services }, (_, s) => ({
      service: `svc-${s}`,
      templates: bigGroups(perService).map((g) => ({
        count: g.count,
        examples: g.examples,
        params: [{ position: 1, values: [`v${s}`, `w${g.count}`] }],
      })),
    })),
    loki: [{ patterns: Array.from({ length: 50 }, (_, i) => ({ pattern: `<_> pattern ${i} <_>`, samples: [i] })) }],
    hints: ["a hint", "another hint"],
    dropped: nonePatternsDropped(),
    stats: { truncated: false },
  };
}
