import { describe, expect, it } from "vitest";
import { shapeLokiPatterns } from "../../src/patterns/loki-patterns.ts";
import { createMiner } from "../../src/patterns/miner/index.ts";
import { bucketOf, bucketsFor, templateStats } from "../../src/patterns/templates.ts";

const MS = 1_000_000n;
const T0 = 1_800_000_000_000; // ms
const ns = (ms: number) => BigInt(ms) * MS;

describe("templateStats", () => {
  const buckets = bucketsFor({ start: ns(T0), end: ns(T0 + 10 * 60_000) }, 60_000);
  const lines = [
    ...Array.from({ length: 30 }, (_, i) => {
      const ts = ns(T0 + 120_000 + i * 5_000); // minutes 2..4
      const msg = `connection pool exhausted: waited ${2000 + i * 91}ms for a connection (active=20 max=20)`;
      return { ts, line: `level=warn msg="${msg}" trace_id=t${i}`, message: msg };
    }),
    ...Array.from({ length: 4 }, (_, i) => {
      const msg = `user ${["ann", "bob", "cy", "dee"][i]} logged in`;
      return { ts: ns(T0 + 540_000 + i), line: msg, message: msg };
    }),
  ];

  it("counts per template with a series that sums to the count, first/last seen and newest examples", () => {
    const stats = templateStats(createMiner(), lines, buckets);
    const pool = stats[0]!;
    expect(pool.template).toBe("connection pool exhausted: waited <*>ms for a connection (active=<*> max=<*>)");
    expect(pool.count).toBe(30);
    expect(pool.series).toHaveLength(10);
    expect(pool.series.reduce((a, b) => a + b, 0)).toBe(30);
    expect(pool.series.slice(0, 2)).toEqual([0, 0]);
    expect(pool.series[2]).toBe(12);
    expect(pool.first_seen).toBe(new Date(T0 + 120_000).toISOString());
    expect(pool.last_seen).toBe(new Date(T0 + 120_000 + 29 * 5_000).toISOString());
    expect(pool.examples).toHaveLength(3);
    expect(pool.examples[0]).toContain("trace_id=t29"); // newest first
    expect(stats.reduce((n, t) => n + t.count, 0)).toBe(lines.length);
  });

  it("samples parameter values per <*> with counts", () => {
    const pool = templateStats(createMiner(), lines, buckets)[0]!;
    const wait = pool.params.find((p) => p.position === 0)!;
    expect(wait.distinct).toBe(30);
    expect(wait.top).toHaveLength(1); // every value differs: one example
    expect(wait.top[0]!.count).toBe(1);
    const active = pool.params.find((p) => p.position === 1)!;
    expect(active).toEqual({ position: 1, distinct: 1, top: [{ value: "20", count: 30 }] });
  });

  it("uses what a miner already learned without losing its template", () => {
    const learned = createMiner();
    for (const l of lines) learned.add(l.message);
    const stats = templateStats(learned, lines.slice(0, 2), buckets);
    expect(stats).toHaveLength(1);
    expect(stats[0]!.template).toContain("waited <*>ms");
  });
});

describe("buckets", () => {
  it("cover the range with whole steps and clamp times outside it", () => {
    const b = bucketsFor({ start: ns(T0), end: ns(T0 + 61_000) }, 30_000);
    expect(b).toEqual({ startMs: T0, stepMs: 30_000, count: 3 });
    expect(bucketOf(b, T0 - 5)).toBe(0);
    expect(bucketOf(b, T0 + 30_000)).toBe(1);
    expect(bucketOf(b, T0 + 999_999)).toBe(2);
  });
});

describe("Loki's patterns", () => {
  it("are re-bucketed on the same buckets, filtered by level, largest first", () => {
    const b = bucketsFor({ start: ns(T0), end: ns(T0 + 120_000) }, 60_000);
    const s = T0 / 1000;
    const rows = shapeLokiPatterns(
      [
        { pattern: "<_> INFO ok <_>", level: "info", samples: [[s, 50]] },
        {
          pattern: "<_> WARN connection pool exhausted: waited <_>",
          level: "warn",
          samples: [
            [s + 10, 3],
            [s + 70, 4],
          ],
        },
        { pattern: "<_> ERROR boom", samples: [[s + 100, 9]] },
      ],
      b,
      ["warn", "error"],
    );
    expect(rows.map((r) => r.count)).toEqual([9, 7]);
    expect(rows[1]).toMatchObject({ level: "warn", series: [3, 4], first_seen: new Date(T0 + 10_000).toISOString() });
  });
});
