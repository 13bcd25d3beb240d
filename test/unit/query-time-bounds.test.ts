import { describe, expect, it } from "vitest";
import { alignRange, alignStepFor } from "../../src/cache/key.ts";
import { parseDuration } from "../../src/logql/duration.ts";
import { keepWithinMax, parseDurationMs, parseTime, resolveRange } from "../../src/query/time.ts";
import { thrown } from "./helpers/thrown.ts";

// Hostile numbers in time parameters: every one is a 400 naming the field in RFC3339 terms, never a crash
// (BigInt of Infinity) and never an internal nanosecond value.

const NOW = Date.UTC(2026, 10, 24, 15, 0, 0);
const NOW_NS = BigInt(NOW) * 1_000_000n;
const DAY = 86_400_000;
const nines = "9".repeat(400);
/** A run of 12+ digits in a message (beside the caller's own value, quoted) is an internal number leaking out. */
const LONG_NUMBER = /\d{12,}/;
const ownValueOut = (detail: string) => detail.replace(/"[^"]*"/g, '""');

describe("durations are bounded before arithmetic", () => {
  it("parseDuration refuses digits or totals past what Loki parses (~292 years)", () => {
    for (const text of [`${nines}s`, `${nines}ms`, "9999999999999999d", "300y", "99999999999999h"]) {
      expect(() => parseDuration(text), text).toThrow(/too long/);
    }
    expect(parseDuration("292y")).toBe(292 * 365 * DAY);
  });

  it("parseDurationMs answers undefined for them, never Infinity", () => {
    expect(parseDurationMs(`${nines}s`)).toBeUndefined();
    expect(parseDurationMs("300000y")).toBeUndefined();
  });
});

describe("parseTime keeps times in 1970 … 9999", () => {
  it.each([
    ["now- with 400 nines", `now-${nines}s`],
    ["a bare duration of 400 nines", `${nines}m`],
    ["now-300000y", "now-300000y"],
    ["now-100y (before 1970)", "now-100y"],
    ["a date before 1970", "1969-12-31T23:59:59Z"],
    ["year 0", "0000-01-01T00:00:00Z"],
  ])("refuses %s with a 400 that names the window", (_name, value) => {
    const e = thrown(() => parseTime("end", value, NOW));
    expect(e.status).toBe(400);
    expect(e.slug).toBe("bad-time");
    expect(e.detail).toContain("1970-01-01T00:00:00Z");
    expect(ownValueOut(e.detail)).not.toMatch(LONG_NUMBER);
    expect(e.hint).toMatch(/end between/);
  });

  it("shows at most 40 characters of the caller's value", () => {
    const e = thrown(() => parseTime("start", `x${nines}`, NOW));
    expect(e.detail.length).toBeLessThan(80);
  });

  it("still accepts the edges of the window", () => {
    expect(parseTime("start", "1970-01-01T00:00:00Z", NOW)).toBe(0n);
    expect(parseTime("end", "9999-12-31T23:59:59Z", NOW)).toBe(BigInt(Date.UTC(9999, 11, 31, 23, 59, 59)) * 1_000_000n);
    expect(parseTime("start", "now-1h", NOW)).toBe(NOW_NS - 3_600_000_000_000n);
  });
});

describe("resolveRange bounds every input", () => {
  const MAX = 7 * DAY;

  it("since with 400 nines is a range over the maximum, not a crash", () => {
    const e = thrown(() => resolveRange({ since: `${nines}d` }, NOW, MAX));
    expect(e.status).toBe(400);
    expect(e.slug).toBe("range-too-long");
    expect(ownValueOut(e.detail)).not.toMatch(LONG_NUMBER);
  });

  it("start=now- with 400 nines is a 400", () => {
    expect(thrown(() => resolveRange({ start: `now-${nines}h` }, NOW, MAX)).status).toBe(400);
  });

  it("end=now-300000y is a 400 in RFC3339 terms", () => {
    const e = thrown(() => resolveRange({ end: "now-300000y" }, NOW, MAX));
    expect(e.status).toBe(400);
    expect(ownValueOut(e.detail)).not.toMatch(LONG_NUMBER);
  });

  it("a range that would start before 1970 is refused", () => {
    const e = thrown(() => resolveRange({ end: "1970-01-01T00:30:00Z" }, NOW, MAX));
    expect(e.status).toBe(400);
    expect(e.detail).toContain("before 1970-01-01T00:00:00Z");
  });
});

describe("the documented maximum is accepted after cache alignment", () => {
  const MAX = 7 * DAY;

  it.each([
    ["since=7d", { since: "7d" }, NOW + 123_457],
    ["since=7d at an aligned now", { since: "7d" }, NOW],
    ["start=now-7d", { start: "now-7d" }, NOW + 1],
  ])("%s stays within 7d after alignment and still ends at or after now", (_n, input, now) => {
    const resolved = resolveRange(input, now, MAX);
    const step = alignStepFor(resolved);
    const aligned = keepWithinMax(resolved, alignRange(resolved, step), step, MAX);
    expect(aligned.end - aligned.start).toBeLessThanOrEqual(BigInt(MAX) * 1_000_000n);
    expect(aligned.end).toBeGreaterThanOrEqual(resolved.end);
    // what the service re-resolves from the aligned range passes the same limit
    expect(() => resolveRange({ start: String(aligned.start), end: String(aligned.end) }, now, MAX)).not.toThrow();
  });

  it("without keepWithinMax the aligned 7d would be refused (the reported bug)", () => {
    const resolved = resolveRange({ since: "7d" }, NOW + 123_457, MAX);
    const aligned = alignRange(resolved, alignStepFor(resolved));
    expect(thrown(() => resolveRange({ start: String(aligned.start), end: String(aligned.end) }, NOW, MAX)).slug).toBe(
      "range-too-long",
    );
  });

  it("a maximum that is no whole number of steps moves the end in too; a shorter range is left aligned", () => {
    const max = 7 * DAY + 30_000;
    const resolved = resolveRange({ since: "7d30s" }, NOW + 123_457, max);
    const step = alignStepFor(resolved);
    const aligned = keepWithinMax(resolved, alignRange(resolved, step), step, max);
    expect(aligned.end - aligned.start).toBeLessThanOrEqual(BigInt(max) * 1_000_000n);
    const short = resolveRange({ since: "1h" }, NOW + 123_457, max);
    const a = alignRange(short, alignStepFor(short));
    expect(keepWithinMax(short, a, alignStepFor(short), max)).toEqual(a);
  });

  it("falls back to the range as resolved when no aligned range fits", () => {
    const resolved = resolveRange({ since: "5s" }, NOW + 1_234, 5_000);
    expect(keepWithinMax(resolved, alignRange(resolved, 10_000), 10_000, 5_000)).toEqual(resolved);
  });
});
