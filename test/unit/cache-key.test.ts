import { describe, expect, it } from "vitest";
import { alignRange, alignStepFor, cacheKey, normalizeParams } from "../../src/cache/key.ts";

const NS = 1_000_000n;
const ms = (n: number) => BigInt(n) * NS;
const base = { endpoint: "query", params: { mode: "errors", service: ["checkout", "api"] }, alignMs: 10_000 };

describe("alignRange", () => {
  it("floors the start and ceils the end to the step", () => {
    expect(alignRange({ start: ms(12_345), end: ms(67_890) }, 10_000)).toEqual({ start: ms(10_000), end: ms(70_000) });
  });

  it("keeps an already aligned range and ignores a non-positive step", () => {
    const r = { start: ms(10_000), end: ms(20_000) };
    expect(alignRange(r, 10_000)).toEqual(r);
    expect(alignRange({ start: 5n, end: 7n }, 0)).toEqual({ start: 5n, end: 7n });
  });

  it("makes 'last 15m' asked a second apart the same range", () => {
    const now = 1_700_000_003_000;
    const a = alignRange({ start: ms(now - 900_000), end: ms(now) }, 10_000);
    const b = alignRange({ start: ms(now + 1_000 - 900_000), end: ms(now + 1_000) }, 10_000);
    expect(a).toEqual(b);
  });

  it("suggests coarser steps for longer ranges", () => {
    expect(alignStepFor({ start: 0n, end: ms(15 * 60_000) })).toBe(10_000);
    expect(alignStepFor({ start: 0n, end: ms(6 * 3_600_000) })).toBe(60_000);
    expect(alignStepFor({ start: 0n, end: ms(7 * 86_400_000) })).toBe(300_000);
  });
});

describe("normalizeParams", () => {
  it("sorts keys, drops empties and secrets, stringifies scalars", () => {
    expect(
      normalizeParams({
        b: 2,
        a: "x",
        c: undefined,
        d: null,
        api_key: "s3cret",
        Token: "t",
        when: new Date(5),
        on: true,
      }),
    ).toEqual({ a: "x", b: "2", on: "true", when: "5" });
  });

  it("keeps array order and normalizes nested objects", () => {
    expect(normalizeParams({ f: ["b", "a"], o: { z: 1, y: undefined, x: 2n } })).toEqual({
      f: ["b", "a"],
      o: { x: "2", z: "1" },
    });
  });
});

describe("cacheKey", () => {
  const range = { start: ms(1_700_000_002_000), end: ms(1_700_000_902_000) };

  it("is stable under parameter order and a step-sized time shift", () => {
    const a = cacheKey({ ...base, tenant: "acme", range });
    const b = cacheKey({
      ...base,
      tenant: "acme",
      params: { service: ["checkout", "api"], mode: "errors" },
      range: { start: range.start + ms(1_000), end: range.end + ms(1_000) },
    });
    expect(a).toBe(b);
    expect(a).toMatch(/^ls:v1:t=acme:query:[0-9a-f]{32}$/);
  });

  it("separates tenants structurally, including no tenant", () => {
    const keys = [
      cacheKey({ ...base, tenant: "acme", range }),
      cacheKey({ ...base, tenant: "globex", range }),
      cacheKey({ ...base, tenant: undefined, range }),
      cacheKey({ ...base, tenant: "t0", range }),
      cacheKey({ ...base, tenant: "acme:query", range }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys[0]?.split(":")[2]).toBe("t=acme");
    expect(keys[2]?.split(":")[2]).toBe("t0");
    // A tenant can never inject the separator into its segment.
    expect(keys[4]?.split(":")).toHaveLength(5);
  });

  it("differs by endpoint, parameters and range", () => {
    const k = cacheKey({ ...base, tenant: "a", range });
    expect(cacheKey({ ...base, endpoint: "analyze", tenant: "a", range })).not.toBe(k);
    expect(cacheKey({ ...base, params: { mode: "audit" }, tenant: "a", range })).not.toBe(k);
    expect(cacheKey({ ...base, tenant: "a", range: { ...range, end: range.end + ms(60_000) } })).not.toBe(k);
  });

  it("never contains a secret and ignores credentials in params", () => {
    const secret = "lsk_very_secret_value";
    const withSecret = cacheKey({
      ...base,
      params: { ...base.params, api_key: secret, authorization: `Bearer ${secret}` },
      tenant: "a",
      range,
    });
    expect(withSecret).not.toContain(secret);
    expect(withSecret).toBe(cacheKey({ ...base, tenant: "a", range }));
  });
});
