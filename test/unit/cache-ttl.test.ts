import { describe, expect, it } from "vitest";
import { DEFAULT_TTL_TABLE, parseDurationMs, parseTtlTable, ttlFor } from "../../src/cache/ttl.ts";

const MIN = 60_000;
const now = 1_700_000_000_000;

describe("ttlFor with the default table", () => {
  it("is short for recent data, minutes for hours-old, hours for days-old", () => {
    expect(ttlFor(now, now)).toBe(30);
    expect(ttlFor(now - 4 * MIN, now)).toBe(30);
    expect(ttlFor(now - 30 * MIN, now)).toBe(120);
    expect(ttlFor(now - 5 * 60 * MIN, now)).toBe(900);
    expect(ttlFor(now - 3 * 24 * 60 * MIN, now)).toBe(6 * 3600);
  });

  it("treats a range ending in the future as age 0", () => {
    expect(ttlFor(now + 10 * MIN, now, DEFAULT_TTL_TABLE)).toBe(30);
  });
});

describe("parseTtlTable", () => {
  it("parses the documented format", () => {
    expect(parseTtlTable("1m:10s, 2h:5m ,*:1d")).toEqual([
      { maxAgeMs: MIN, ttlSeconds: 10 },
      { maxAgeMs: 2 * 60 * MIN, ttlSeconds: 300 },
      { maxAgeMs: Number.POSITIVE_INFINITY, ttlSeconds: 86_400 },
    ]);
    expect(ttlFor(now - 30 * 1000, now, parseTtlTable("1m:10s,*:1h"))).toBe(10);
    expect(ttlFor(now - 2 * MIN, now, parseTtlTable("1m:10s,*:1h"))).toBe(3600);
  });

  it.each([
    ["", /empty/],
    ["5m:30s", /last rule must be "\*:TTL"/],
    ["*:1h,5m:30s", /must be the last rule/],
    ["1h:1m,5m:30s,*:1h", /ages must increase/],
    ["5x:30s,*:1h", /not a duration/],
    ["5m,*:1h", /must be AGE:TTL/],
    ["5m:500ms,*:1h", /at least 1s/],
  ])("rejects %j", (spec, message) => {
    expect(() => parseTtlTable(spec)).toThrow(message);
  });

  it("parses durations", () => {
    expect(parseDurationMs("250ms")).toBe(250);
    expect(parseDurationMs("2d")).toBe(172_800_000);
  });
});
