import { describe, expect, it } from "vitest";
import { fitAnalyze } from "../../src/analyze/budget.ts";
import { overRepresented } from "../../src/analyze/distinguish.ts";
import { toFinding } from "../../src/analyze/findings.ts";
import { rank } from "../../src/analyze/rank.ts";
import type { AnalyzeAnswer } from "../../src/analyze/schemas.ts";
import { baselineOf, longestLiteral } from "../../src/analyze/service.ts";
import { bucketEnds, detectSpikes } from "../../src/analyze/spikes.ts";
import {
  binomialUpperTail,
  bonferroni,
  lnGamma,
  mad,
  median,
  poissonUpperTail,
  rateIncreaseP,
  robustZ,
} from "../../src/analyze/stats.ts";
import { compareTemplates, type ProblemLine, type TemplateStat } from "../../src/analyze/templates.ts";

// References computed exactly (60-digit decimals / rational sums), not by the code under test.
describe("statistics", () => {
  it("lnGamma matches factorials", () => {
    expect(lnGamma(1)).toBeCloseTo(0, 12);
    expect(lnGamma(11)).toBeCloseTo(Math.log(3_628_800), 10);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
  });

  it("Poisson upper tail, both sides of the mode and far in the tail", () => {
    expect(poissonUpperTail(0, 3)).toBe(1);
    expect(poissonUpperTail(1, 2)).toBeCloseTo(1 - Math.exp(-2), 12);
    expect(poissonUpperTail(10, 2) / 4.6498075017263805e-5).toBeCloseTo(1, 8);
    expect(poissonUpperTail(1100, 1000) / 0.0009626304058665572).toBeCloseTo(1, 6);
    expect(poissonUpperTail(60, 5) / 7.649610081149393e-43).toBeCloseTo(1, 6);
    expect(poissonUpperTail(95, 100)).toBeCloseTo(0.7048206930985568, 9);
    expect(poissonUpperTail(1_000_000, 10)).toBe(0);
    expect(poissonUpperTail(5, 0)).toBe(0);
  });

  it("binomial upper tail and the two-rate test", () => {
    expect(binomialUpperTail(60, 100, 0.5)).toBeCloseTo(0.028443966820490395, 10);
    expect(binomialUpperTail(3, 1000, 0.001)).toBeCloseTo(0.08020934284020105, 10);
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.3)).toBe(0);
    // Equal durations: 130 against 100 is the tail of Binomial(230, 1/2) at 130.
    expect(rateIncreaseP(130, 60_000, 100, 60_000)).toBeCloseTo(0.027806788890696193, 10);
    // The same counts over a baseline twice as long are a clear rise.
    expect(rateIncreaseP(130, 60_000, 100, 120_000)).toBeLessThan(1e-10);
    // Fewer lines than before is no rise.
    expect(rateIncreaseP(50, 60_000, 100, 60_000)).toBeGreaterThan(0.99);
    expect(bonferroni(0.004, 10)).toBeCloseTo(0.04, 12);
    expect(bonferroni(0.3, 10)).toBe(1);
  });

  it("median, MAD and robust z", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
    // One outlier in the reference barely moves the robust z (a mean/sd z would collapse).
    expect(robustZ(20, [1, 2, 3, 4, 100])).toBeCloseTo((20 - 3) / 1.4826, 9);
    // A flat reference has MAD 0: the scale floor keeps z finite.
    expect(robustZ(7, [0, 0, 0, 0])).toBe(7);
  });
});

describe("spikes", () => {
  const step = 60_000;
  const baseline = { start: 0, end: 10 * step };
  const window = { start: 10 * step, end: 20 * step };

  it("finds the first spiking bucket against the baseline's median and MAD", () => {
    const buckets = new Map<number, number>();
    for (const t of bucketEnds({ start: 0, end: 20 * step }, step)) buckets.set(t, 2 + ((t / step) % 2));
    buckets.set(15 * step, 40);
    buckets.set(16 * step, 60);
    const steady = new Map([...buckets].map(([t]) => [t, 3] as [number, number]));
    const spikes = detectSpikes(
      new Map([
        ["db", buckets],
        ["web", steady],
      ]),
      "errors",
      window,
      baseline,
      step,
    );
    expect(spikes).toHaveLength(1);
    expect(spikes[0]).toMatchObject({ service: "db", firstBucket: 14 * step, peak: 60, baselineMedian: 3 });
    expect(spikes[0]!.values).toHaveLength(10);
  });

  it("a burst below the minimum count is no spike", () => {
    const buckets = new Map([[15 * step, 4]]);
    expect(detectSpikes(new Map([["db", buckets]]), "errors", window, baseline, step)).toEqual([]);
  });
});

let seq = 0;
const line = (service: string, text: string, level: ProblemLine["level"] = "error", ts = ++seq): ProblemLine => ({
  ts,
  service,
  level,
  line: text,
  mined: text,
  message: text,
  fields: {},
  labels: {},
});
const repeat = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
const HOUR = { windowMs: 600_000, baselineMs: 600_000 };

describe("templates against the baseline", () => {
  const byTemplate = (stats: TemplateStat[], re: RegExp) => stats.find((s) => re.test(s.template));

  it("new, rising and steady, from one miner over both sides", () => {
    const base = [
      ...repeat(60, () => line("notifications", "failed to render email template: missing locale fr-CA")),
      ...repeat(10, (i) => line("api", `slow request took ${100 + i}ms on route /orders`, "warn")),
    ];
    const win = [
      ...repeat(62, () => line("notifications", "failed to render email template: missing locale fr-CA")),
      ...repeat(80, (i) => line("api", `slow request took ${300 + i}ms on route /orders`, "warn")),
      ...repeat(30, (i) => line("db", `connection pool exhausted: waited ${2000 + i}ms for a connection`)),
    ];
    const stats = compareTemplates(win, base, HOUR, ["api", "db", "notifications"]);
    expect(byTemplate(stats, /missing locale/)).toMatchObject({ kind: "steady", window: 62, baseline: 60 });
    const slow = byTemplate(stats, /slow request/)!;
    expect(slow).toMatchObject({ kind: "rising", window: 80, baseline: 10, ratio: 8 });
    expect(slow.pValue).toBeLessThan(0.01);
    expect(byTemplate(stats, /pool exhausted/)).toMatchObject({ kind: "new", service: "db", baseline: 0 });
  });

  it("a new value of a parameter joins its cluster: not a new template", () => {
    const users = ["alice", "bob", "carol", "dave", "erin"];
    const base = repeat(40, (i) => line("auth", `login failed for user ${users[i % users.length]}: invalid password`));
    const win = [...repeat(8, (i) => line("auth", `login failed for user ${users[i % 2]}: invalid password`))];
    win.push(line("auth", "login failed for user zoltan: invalid password"));
    const stats = compareTemplates(win, base, HOUR, ["auth"]);
    expect(stats).toHaveLength(1);
    expect(stats[0]!.kind).not.toBe("new");
    expect(stats[0]!.window).toBe(9);
  });

  it("the same template at another service is new there", () => {
    const base = repeat(5, () => line("a", "upstream connect error"));
    const win = [...repeat(5, () => line("a", "upstream connect error")), line("b", "upstream connect error")];
    const stats = compareTemplates(win, base, HOUR, ["a", "b"]);
    expect(stats.find((s) => s.service === "b")!.kind).toBe("new");
    expect(stats.find((s) => s.service === "a")!.kind).toBe("steady");
  });
});

const stat = (over: Partial<TemplateStat> & Pick<TemplateStat, "service" | "template">): TemplateStat => ({
  kind: "new",
  level: "error",
  window: 10,
  baseline: 0,
  ratio: 10,
  firstSeen: 1_000,
  examples: [`${over.template} example`],
  mentions: [],
  ...over,
});

describe("ranking", () => {
  const stats = [
    // A harmless new error elsewhere, earlier and louder than everything else.
    stat({ service: "search", template: "index shard <*> is read-only", firstSeen: 100, window: 500 }),
    stat({ service: "gateway", template: "call to checkout failed", mentions: ["checkout"], firstSeen: 2_000 }),
    stat({ service: "checkout", template: "call to inventory failed", mentions: ["inventory"], firstSeen: 1_900 }),
    stat({ service: "inventory", template: "pool exhausted", level: "warn", firstSeen: 1_800, window: 3 }),
    stat({ service: "notifications", template: "missing locale", kind: "steady", baseline: 60, window: 60 }),
    stat({ service: "api", template: "slow request", kind: "rising", baseline: 5, window: 50, pValue: 1e-9 }),
  ];

  it("the service the failures point at comes first, steady last", () => {
    const ranked = rank(stats, [], []);
    expect(ranked.map((r) => `${r.tier}:${r.item.type === "template" ? r.item.stat.service : ""}`)).toEqual([
      "cause:inventory",
      "new:search",
      "symptom:checkout",
      "symptom:gateway",
      "rising:api",
      "steady:notifications",
    ]);
    expect(ranked[0]!.upstream).toEqual(["checkout", "gateway"]);
  });

  it("library hits by severity come right after the causes", () => {
    const hit = (id: string, severity: "critical" | "medium") => ({
      id,
      title: id,
      severity,
      remediation: "fix it",
      window: 3,
      baseline: 0,
      services: ["inventory"],
      firstSeen: 1_800,
      examples: [],
    });
    const ranked = rank(stats, [hit("minor", "medium"), hit("pool", "critical")], []);
    const order = ranked.map((r) => (r.item.type === "library" ? r.item.hit.id : r.tier));
    expect(order.slice(0, 4)).toEqual(["cause", "pool", "minor", "new"]);
  });

  it("a known failure at its baseline rate ranks with the steady findings", () => {
    const hit = {
      id: "auth",
      title: "auth",
      severity: "critical" as const,
      remediation: "",
      window: 30,
      baseline: 30,
      services: ["accounts"],
      firstSeen: 0,
      examples: [],
      pValue: 0.5,
    };
    const ranked = rank(stats, [hit, { ...hit, id: "rising", pValue: 0.001 }], []);
    const tierOf = (id: string) => ranked.find((r) => r.item.type === "library" && r.item.hit.id === id)!.tier;
    expect(tierOf("auth")).toBe("steady");
    expect(tierOf("rising")).toBe("library");
    const finding = toFinding(ranked.find((r) => r.tier === "steady" && r.item.type === "library")!, {
      logqlFor: () => "",
      spikeLogql: () => "",
    });
    expect(finding).toMatchObject({ kind: "library", severity: "low" });
  });

  it("fits max_tokens, dropping steady findings first and saying so", () => {
    const ctx = { logqlFor: (s: string) => `{service_name="${s}"}`, spikeLogql: () => "" };
    const many = [
      ...stats,
      ...repeat(30, (i) =>
        stat({ service: `svc${i}`, template: `steady thing ${i} ${"x".repeat(80)}`, kind: "steady", baseline: 9 }),
      ),
    ];
    const answer: AnalyzeAnswer = {
      findings: rank(many, [], []).map((r) => toFinding(r, ctx)),
      range: { start: "a", end: "b" },
      baseline: { kind: "previous", start: "a", end: "b" },
      dropped: { findings: 0, examples: 0, notes: [] },
      hints: [],
    };
    const fitted = fitAnalyze(answer, 1_500);
    expect(fitted.tokens).toBeLessThanOrEqual(1_500);
    expect(fitted.dropped.findings).toBeGreaterThan(0);
    expect(fitted.dropped.notes.join(" ")).toMatch(/steady/);
    expect(fitted.findings[0]!.service).toBe("inventory");
    expect(fitted.findings.filter((f) => f.kind !== "steady")).toHaveLength(5);
  });
});

describe("helpers", () => {
  it("baselines: the same length before, or a day earlier", () => {
    const r = { start: 10_000n, end: 16_000n };
    expect(baselineOf(r, "previous")).toEqual({ start: 4_000n, end: 10_000n });
    expect(baselineOf(r, "day")).toEqual({ start: 10_000n - 86_400_000_000_000n, end: 16_000n - 86_400_000_000_000n });
  });

  it("the literal a template's LogQL filters on", () => {
    expect(longestLiteral("connection pool exhausted: waited <*> for a connection")).toBe(
      "connection pool exhausted: waited",
    );
    expect(longestLiteral("<*> <*> ab")).toBeUndefined();
    expect(longestLiteral('say "hi" <*> ok')).toBeUndefined();
  });
});

describe("distinguishing values", () => {
  it("finds the over-represented value, not the ones at their usual share", () => {
    const spike = new Map([
      ["region\u0000eu-west-2", 90],
      ["region\u0000eu-west-1", 6],
      ["region\u0000us-east-1", 4],
    ]);
    const reference = new Map([
      ["region\u0000eu-west-2", 300],
      ["region\u0000eu-west-1", 300],
      ["region\u0000us-east-1", 300],
    ]);
    const found = overRepresented(spike, 100, reference, 900);
    expect(found.map((v) => `${v.label}=${v.value}`)).toEqual(["region=eu-west-2"]);
    expect(found[0]!.ratio).toBeCloseTo(0.9 / (300.5 / 901), 6);
    expect(found[0]!.pValue).toBeLessThan(1e-20);
  });

  it("nothing stands out when the spike's lines spread as before", () => {
    const even = new Map([
      ["region\u0000a", 34],
      ["region\u0000b", 33],
      ["region\u0000c", 33],
    ]);
    expect(overRepresented(even, 100, even, 100)).toEqual([]);
  });
});
