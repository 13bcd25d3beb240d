import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type BurstRule, evaluateBursts, type TimedMatch } from "../../src/patterns/library/index.ts";

const rule: BurstRule = { count: 3, window: "1m", group_by: ["ip"] };
const at = (sec: number, ip = "203.0.113.5"): TimedMatch => ({ ts: sec * 1000, fields: { ip } });

describe("evaluateBursts", () => {
  it("reports nothing below the threshold", () => {
    expect(evaluateBursts(rule, [at(0), at(10)])).toEqual([]);
  });

  it("reports count matches within the window as one burst", () => {
    expect(evaluateBursts(rule, [at(0), at(20), at(40)])).toEqual([
      { key: { ip: "203.0.113.5" }, count: 3, peak: 3, start: 0, end: 40_000 },
    ]);
  });

  it("uses a half-open window: matches exactly one window apart are not together", () => {
    expect(evaluateBursts(rule, [at(0), at(30), at(60)])).toEqual([]);
    expect(evaluateBursts(rule, [at(0), at(30), at(59.999)])).toHaveLength(1);
  });

  it("merges overlapping hot windows into one burst with its peak", () => {
    // (-5s, 55s] holds 6 matches; (40s, 100s] holds 50, 55, 100: still hot, so the burst extends to 100s.
    const matches = [0, 5, 10, 15, 50, 55, 100, 200].map((s) => at(s));
    expect(evaluateBursts(rule, matches)).toEqual([
      { key: { ip: "203.0.113.5" }, count: 7, peak: 6, start: 0, end: 100_000 },
    ]);
  });

  it("separates bursts with a quiet gap, and groups by the group_by fields", () => {
    const matches = [at(0), at(1), at(2), at(300), at(301), at(302), at(0, "198.51.100.7"), at(1, "198.51.100.7")];
    const bursts = evaluateBursts(rule, matches);
    expect(bursts.map((b) => [b.key.ip, b.start, b.count])).toEqual([
      ["203.0.113.5", 0, 3],
      ["203.0.113.5", 300_000, 3],
    ]);
  });

  it("accepts matches in any order and counts a missing group field as empty", () => {
    const matches: TimedMatch[] = [
      { ts: 2000, fields: {} },
      { ts: 0, fields: {} },
      { ts: 1000, fields: { ip: undefined } },
    ];
    expect(evaluateBursts(rule, matches)).toEqual([{ key: { ip: "" }, count: 3, peak: 3, start: 0, end: 2000 }]);
  });

  it("without group_by counts all matches together; window may be milliseconds", () => {
    const all: BurstRule = { count: 2, window: 1000, group_by: [] };
    expect(evaluateBursts(all, [at(0, "a"), { ts: 500, fields: { ip: "b" } }])).toEqual([
      { key: {}, count: 2, peak: 2, start: 0, end: 500 },
    ]);
  });

  it("agrees with a brute-force model: a match is in a burst iff some window holding it has >= count", () => {
    const windowMs = 10_000;
    const small: BurstRule = { count: 3, window: windowMs, group_by: [] };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60_000 }), { maxLength: 40 }), (times) => {
        const sorted = [...times].sort((a, b) => a - b);
        const inWindowEnding = (t: number) => sorted.filter((u) => u > t - windowMs && u <= t).length;
        const hot = sorted.filter((t) =>
          sorted.some((end) => end >= t && end - windowMs < t && inWindowEnding(end) >= small.count),
        );
        const bursts = evaluateBursts(
          small,
          times.map((ts) => ({ ts, fields: {} })),
        );
        expect(bursts.reduce((n, b) => n + b.count, 0)).toBe(hot.length);
        for (const b of bursts) {
          expect(b.peak).toBeGreaterThanOrEqual(small.count);
          expect(b.count).toBeGreaterThanOrEqual(b.peak);
        }
      }),
      { numRuns: 500 },
    );
  });
});
