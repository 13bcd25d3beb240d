import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { linesIn, mergeSnapshots } from "../../src/patterns/merge.ts";
import { createMiner, type MinerSnapshot, restoreMiner } from "../../src/patterns/miner/index.ts";
import { encodeSegment, minerKey } from "../../src/patterns/store-format.ts";

/** A miner's snapshot after learning `lines`. */
function learned(lines: string[], maxClusters = 1_000): MinerSnapshot {
  const miner = createMiner({ maxClusters });
  for (const l of lines) miner.train(l);
  return miner.snapshot();
}

const pool = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `connection pool exhausted: waited ${2000 + (from + i) * 37}ms for a connection`);
const tls = (n: number) =>
  Array.from({ length: n }, (_, i) => `TLS handshake with 10.0.0.${i} failed: certificate expired`);

/** Template → count of a snapshot. */
const counts = (s: MinerSnapshot) =>
  Object.fromEntries(
    restoreMiner(s)
      .clusters()
      .map((c) => [c.template, c.count] as const),
  );

describe("mergeSnapshots", () => {
  it("unions what two miners learned, each count once", () => {
    const a = learned(pool(5));
    const b = learned(tls(7));
    const merged = mergeSnapshots(a, b);
    expect(counts(merged)).toEqual({
      "connection pool exhausted: waited <*>ms for a connection": 5,
      "TLS handshake with <*> failed: certificate expired": 7,
    });
    expect(linesIn(merged)).toBe(12);
  });

  it("adds the counts of a template both learned, and into nothing gives the delta back", () => {
    const merged = mergeSnapshots(learned(pool(5)), learned(pool(9, 50)));
    expect(counts(merged)).toEqual({ "connection pool exhausted: waited <*>ms for a connection": 14 });
    const alone = learned([...pool(4), ...tls(3)]);
    expect(counts(mergeSnapshots(undefined, alone))).toEqual(counts(alone));
    expect(linesIn(mergeSnapshots(undefined, alone))).toBe(7);
  });

  it("a general template takes in the constant one of a miner that saw fewer values", () => {
    const few = learned(["user ann logged in from web"]);
    const many = learned(["bob", "cy", "dee", "eve", "fay"].map((u) => `user ${u} logged in from web`));
    expect(counts(many)).toEqual({ "user <*> logged in from web": 5 });
    expect(counts(mergeSnapshots(few, many))).toEqual({ "user <*> logged in from web": 6 });
    expect(counts(mergeSnapshots(many, few))).toEqual({ "user <*> logged in from web": 6 });
  });

  it("stays within maxClusters and leaves its inputs unchanged", () => {
    const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];
    const a = learned(words.slice(0, 4).map((w) => `${w} subsystem stopped ${w}`));
    const b = learned(words.slice(4).map((w) => `${w} subsystem stopped ${w}`));
    const before = JSON.stringify([a, b]);
    const merged = mergeSnapshots(a, b, { maxClusters: 5 });
    expect(merged.clusters.length).toBeLessThanOrEqual(5);
    // The delta's templates are the most recent: they survive the bound.
    expect(Object.keys(counts(merged))).toEqual(
      expect.arrayContaining(words.slice(4).map((w) => `${w} subsystem stopped ${w}`)),
    );
    expect(JSON.stringify([a, b])).toBe(before);
  });

  it("counts every line once whatever the order of the merges", () => {
    const parts = [learned(pool(3)), learned(tls(4)), learned(pool(6, 100)), learned(tls(2))];
    const forward = parts.reduce<MinerSnapshot | undefined>((acc, p) => mergeSnapshots(acc, p), undefined)!;
    const backward = [...parts]
      .reverse()
      .reduce<MinerSnapshot | undefined>((acc, p) => mergeSnapshots(acc, p), undefined)!;
    expect(counts(forward)).toEqual(counts(backward));
    expect(linesIn(forward)).toBe(15);
  });
});

describe("learned-state keys", () => {
  it("give no-tenant, `_`, the empty tenant and look-alikes their own keys", () => {
    const keys = [
      minerKey(undefined, "s"),
      minerKey("_", "s"),
      minerKey("", "s"),
      minerKey("t0", "s"),
      minerKey("%5F", "s"),
      minerKey("a:b", "c"),
      minerKey("a", "b:c"),
      minerKey("a%3Ab", "c"),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of keys) expect(k.split(":").length).toBe(minerKey("x", "y").split(":").length);
  });

  it("encode every pair injectively, lone surrogates too", () => {
    expect(encodeSegment("shop/api v2")).toBe("shop%2Fapi%20v2");
    expect(encodeSegment("é\ud800")).toBe("%u00E9%uD800");
    const tenant = fc.option(fc.string({ unit: "binary", maxLength: 8 }), { nil: undefined });
    const service = fc.string({ unit: "binary", maxLength: 8 });
    fc.assert(
      fc.property(
        tenant,
        service,
        tenant,
        service,
        (t1, s1, t2, s2) => (minerKey(t1, s1) === minerKey(t2, s2)) === (t1 === t2 && s1 === s2),
      ),
      { numRuns: 1_000 },
    );
    // Look-alikes, which random strings rarely hit.
    fc.assert(
      fc.property(
        fc.constantFrom("_", "", "t0", "t=", ":", "%", "%25", "a:b"),
        fc.constantFrom("", ":", "s"),
        (t, s) => {
          expect(minerKey(t, s)).not.toBe(minerKey(undefined, s));
          expect(minerKey(`${t}:x`, s)).not.toBe(minerKey(t, `x:${s}`));
        },
      ),
    );
  });
});
