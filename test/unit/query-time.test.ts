import { describe, expect, it } from "vitest";
import { formatMs, parseDurationMs, parseTime, resolveRange } from "../../src/query/time.ts";
import { thrown } from "./helpers/thrown.ts";

// A fixed "now": 2026-11-24T15:00:00Z.
const NOW = Date.UTC(2026, 10, 24, 15, 0, 0);
const NOW_NS = BigInt(NOW) * 1_000_000n;
const HOUR_NS = 3_600_000_000_000n;
const MIN_NS = 60_000_000_000n;
const ns = (iso: string) => BigInt(Date.parse(iso)) * 1_000_000n;

describe("parseDurationMs", () => {
  it("parses LogQL durations to milliseconds", () => {
    expect(parseDurationMs("15m")).toBe(900_000);
    expect(parseDurationMs("1h30m")).toBe(5_400_000);
    expect(parseDurationMs("500ms")).toBe(500);
    expect(parseDurationMs("2d")).toBe(172_800_000);
  });

  it("returns undefined for anything that is not a duration", () => {
    for (const v of ["", "15", "m", "1.5h", "15 m", "now", "30m1h"]) expect(parseDurationMs(v)).toBeUndefined();
  });
});

describe("parseTime", () => {
  describe("RFC3339", () => {
    it("parses UTC without a fraction", () => {
      expect(parseTime("start", "2026-11-24T14:05:00Z", NOW)).toBe(ns("2026-11-24T14:05:00Z"));
    });

    it("keeps millisecond fractions", () => {
      expect(parseTime("start", "2026-11-24T14:05:00.250Z", NOW)).toBe(ns("2026-11-24T14:05:00Z") + 250_000_000n);
    });

    it("keeps nanosecond fractions beyond milliseconds", () => {
      expect(parseTime("start", "2026-11-24T14:05:00.123456789Z", NOW)).toBe(ns("2026-11-24T14:05:00Z") + 123_456_789n);
      // microseconds: the missing digits are zeros
      expect(parseTime("start", "2026-11-24T14:05:00.123456Z", NOW)).toBe(ns("2026-11-24T14:05:00Z") + 123_456_000n);
      // a single digit is a tenth of a second
      expect(parseTime("start", "2026-11-24T14:05:00.5Z", NOW)).toBe(ns("2026-11-24T14:05:00Z") + 500_000_000n);
    });

    it("applies positive and negative offsets", () => {
      const utc = ns("2026-11-24T14:05:00Z");
      expect(parseTime("start", "2026-11-24T16:05:00+02:00", NOW)).toBe(utc);
      expect(parseTime("start", "2026-11-24T09:05:00-05:00", NOW)).toBe(utc);
      expect(parseTime("start", "2026-11-24T16:05:00.5+02:00", NOW)).toBe(utc + 500_000_000n);
    });

    it("accepts an offset without a colon and a space instead of T", () => {
      const utc = ns("2026-11-24T14:05:00Z");
      expect(parseTime("start", "2026-11-24T16:05:00+0200", NOW)).toBe(utc);
      expect(parseTime("start", "2026-11-24 14:05:00Z", NOW)).toBe(utc);
    });

    it("accepts lower-case t and z (RFC3339 allows them)", () => {
      expect(parseTime("start", "2026-11-24t14:05:00z", NOW)).toBe(ns("2026-11-24T14:05:00Z"));
    });

    it("treats a bare date as midnight UTC", () => {
      expect(parseTime("start", "2026-11-24", NOW)).toBe(ns("2026-11-24T00:00:00Z"));
    });

    it("trims surrounding whitespace", () => {
      expect(parseTime("start", "  2026-11-24T14:05:00Z\n", NOW)).toBe(ns("2026-11-24T14:05:00Z"));
    });

    it("refuses impossible calendar values that Date.parse rejects", () => {
      expect(thrown(() => parseTime("start", "2026-13-01T00:00:00Z", NOW)).slug).toBe("bad-time");
      expect(thrown(() => parseTime("start", "2026-11-24T25:00:00Z", NOW)).slug).toBe("bad-time");
    });
  });

  describe("unix timestamps, unit by digit count", () => {
    it("reads up to 11 digits as seconds", () => {
      expect(parseTime("start", "1795483200", NOW)).toBe(1_795_483_200_000_000_000n);
      expect(parseTime("start", "0", NOW)).toBe(0n);
      expect(parseTime("start", "15", NOW)).toBe(15_000_000_000n);
      expect(parseTime("start", "99999999999", NOW)).toBe(99_999_999_999_000_000_000n);
    });

    it("keeps fractional seconds to the nanosecond", () => {
      expect(parseTime("start", "1795483200.5", NOW)).toBe(1_795_483_200_500_000_000n);
      expect(parseTime("start", "1795483200.123456789", NOW)).toBe(1_795_483_200_123_456_789n);
      // digits past nanoseconds are cut, not rounded
      expect(parseTime("start", "1795483200.1234567899", NOW)).toBe(1_795_483_200_123_456_789n);
    });

    it("reads 12 to 14 digits as milliseconds", () => {
      expect(parseTime("start", "1795483200123", NOW)).toBe(1_795_483_200_123_000_000n);
      expect(parseTime("start", "100000000000", NOW)).toBe(100_000_000_000_000_000n);
    });

    it("reads 15 to 19 digits as nanoseconds", () => {
      expect(parseTime("start", "1795483200123456789", NOW)).toBe(1_795_483_200_123_456_789n);
      expect(parseTime("start", "179548320012345", NOW)).toBe(179_548_320_012_345n);
    });

    it("the same instant in s, ms and ns agrees", () => {
      const s = parseTime("start", "1795483200", NOW);
      expect(parseTime("start", "1795483200000", NOW)).toBe(s);
      expect(parseTime("start", "1795483200000000000", NOW)).toBe(s);
    });

    it("refuses more than 19 digits", () => {
      const e = thrown(() => parseTime("start", "99999999999999999999", NOW));
      expect(e.slug).toBe("bad-time");
      expect(e.status).toBe(400);
    });
  });

  describe("relative times", () => {
    it("now is the given clock in nanoseconds", () => {
      expect(parseTime("end", "now", NOW)).toBe(NOW_NS);
      expect(parseTime("end", " now ", NOW)).toBe(NOW_NS);
    });

    it("now-<duration> subtracts the duration", () => {
      expect(parseTime("start", "now-1h", NOW)).toBe(NOW_NS - HOUR_NS);
      expect(parseTime("start", "now-15m", NOW)).toBe(NOW_NS - 15n * MIN_NS);
      expect(parseTime("start", "now-1h30m", NOW)).toBe(NOW_NS - HOUR_NS - 30n * MIN_NS);
      expect(parseTime("start", "now-0s", NOW)).toBe(NOW_NS);
    });

    it("a bare duration means that long ago", () => {
      expect(parseTime("start", "15m", NOW)).toBe(NOW_NS - 15n * MIN_NS);
      expect(parseTime("start", "2d", NOW)).toBe(NOW_NS - 48n * HOUR_NS);
      expect(parseTime("start", "500ms", NOW)).toBe(NOW_NS - 500_000_000n);
    });

    it("refuses now- with something that is not a duration", () => {
      for (const v of ["now-", "now-abc", "now-1.5h", "now - 1h", "now+1h"]) {
        expect(thrown(() => parseTime("start", v, NOW)).slug, v).toBe("bad-time");
      }
    });
  });

  describe("garbage", () => {
    it.each([
      "",
      "   ",
      "yesterday",
      "-15m",
      "1.5h",
      "12:00",
      "2026/11/24",
      "24-11-2026",
      "2026-11-24T14:05:00Zjunk",
      "1e9",
      "0x10",
    ])("refuses %j with a 400 bad-time problem and a hint", (v) => {
      const e = thrown(() => parseTime("start", v, NOW));
      expect(e.status).toBe(400);
      expect(e.slug).toBe("bad-time");
      expect(e.title).toBe("Invalid time");
      expect(e.detail).toBe(`start="${v}" is not a time`);
      expect(e.hint).toContain("RFC3339");
      expect(e.hint).toContain("now-1h");
      expect(e.hint).toContain("15m");
    });

    it("names the field it was given", () => {
      const e = thrown(() => parseTime("end", "soon", NOW));
      expect(e.detail).toBe('end="soon" is not a time');
      expect(e.hint).toMatch(/^Write end as/);
    });
  });
});

describe("resolveRange", () => {
  const MAX = 30 * 86_400_000; // 30 days

  it("defaults to the last hour ending now", () => {
    expect(resolveRange({}, NOW, MAX)).toEqual({ start: NOW_NS - HOUR_NS, end: NOW_NS });
  });

  it("honours a custom default length", () => {
    expect(resolveRange({}, NOW, MAX, 5 * 60_000)).toEqual({ start: NOW_NS - 5n * MIN_NS, end: NOW_NS });
  });

  it("since is a duration back from end", () => {
    expect(resolveRange({ since: "15m" }, NOW, MAX)).toEqual({ start: NOW_NS - 15n * MIN_NS, end: NOW_NS });
    const end = "2026-11-24T12:00:00Z";
    expect(resolveRange({ since: "2h", end }, NOW, MAX)).toEqual({ start: ns(end) - 2n * HOUR_NS, end: ns(end) });
    expect(resolveRange({ since: " 30s " }, NOW, MAX).start).toBe(NOW_NS - 30_000_000_000n);
  });

  it("start alone ends now; start and end are both parsed", () => {
    expect(resolveRange({ start: "now-6h" }, NOW, MAX)).toEqual({ start: NOW_NS - 6n * HOUR_NS, end: NOW_NS });
    expect(resolveRange({ start: "2026-11-24T10:00:00Z", end: "2026-11-24T11:00:00+00:00" }, NOW, MAX)).toEqual({
      start: ns("2026-11-24T10:00:00Z"),
      end: ns("2026-11-24T11:00:00Z"),
    });
  });

  it("end alone gets the default length before it", () => {
    const end = "2026-11-20T00:00:00Z";
    expect(resolveRange({ end }, NOW, MAX)).toEqual({ start: ns(end) - HOUR_NS, end: ns(end) });
  });

  it("refuses since together with start", () => {
    const e = thrown(() => resolveRange({ since: "1h", start: "now-2h" }, NOW, MAX));
    expect(e.status).toBe(400);
    expect(e.slug).toBe("bad-time");
    expect(e.title).toBe("Conflicting time parameters");
    expect(e.hint).toContain("not both");
  });

  it("refuses a since that is not a duration", () => {
    for (const since of ["1 hour", "now-1h", "2026-11-24T10:00:00Z", ""]) {
      const e = thrown(() => resolveRange({ since }, NOW, MAX));
      expect(e.slug, since).toBe("bad-time");
      expect(e.detail).toBe(`since="${since}" is not a duration`);
      expect(e.hint).toContain("15m");
    }
  });

  it("propagates bad-time from start and end", () => {
    expect(thrown(() => resolveRange({ start: "nope" }, NOW, MAX)).detail).toBe('start="nope" is not a time');
    expect(thrown(() => resolveRange({ end: "nope" }, NOW, MAX)).detail).toBe('end="nope" is not a time');
  });

  it("refuses end before start, and end equal to start, as bad-range", () => {
    const before = thrown(() => resolveRange({ start: "now-1h", end: "now-2h" }, NOW, MAX));
    expect(before.status).toBe(400);
    expect(before.slug).toBe("bad-range");
    expect(before.detail).toContain("2026-11-24T13:00:00.000Z");
    expect(before.detail).toContain("2026-11-24T14:00:00.000Z");
    expect(before.hint).toContain("start=now-1h&end=now");

    const equal = thrown(() => resolveRange({ start: "1795483200", end: "1795483200000" }, NOW, MAX));
    expect(equal.slug).toBe("bad-range");

    // a start in the future with the default end (now)
    expect(thrown(() => resolveRange({ start: "2027-01-01T00:00:00Z" }, NOW, MAX)).slug).toBe("bad-range");
  });

  it("accepts a range of exactly the maximum", () => {
    expect(resolveRange({ since: "1h" }, NOW, 3_600_000)).toEqual({ start: NOW_NS - HOUR_NS, end: NOW_NS });
  });

  it("refuses a range over the maximum with range-too-long, naming the maximum", () => {
    const e = thrown(() => resolveRange({ since: "31d" }, NOW, MAX));
    expect(e.status).toBe(400);
    expect(e.slug).toBe("range-too-long");
    expect(e.detail).toBe("the range covers 31d, more than the maximum of 30d");
    expect(e.hint).toContain("at most 30d");
    // the suggested since is at most an hour
    expect(e.hint).toContain("since=1h");
  });

  it("suggests the maximum itself when it is shorter than an hour", () => {
    const e = thrown(() => resolveRange({ since: "45m" }, NOW, 30 * 60_000));
    expect(e.slug).toBe("range-too-long");
    expect(e.hint).toContain("at most 30m");
    expect(e.hint).toContain("since=30m");
    // the suggestion is itself a valid since
    const suggested = /since=(\S+?)\)/.exec(e.hint)?.[1];
    expect(suggested).toBe("30m");
    expect(resolveRange({ since: suggested! }, NOW, 30 * 60_000).start).toBe(NOW_NS - 30n * MIN_NS);
  });

  it("checks the default range against the maximum too", () => {
    expect(thrown(() => resolveRange({}, NOW, 60_000)).slug).toBe("range-too-long");
  });
});

describe("formatMs", () => {
  it("renders days, hours, minutes and seconds, largest first", () => {
    expect(formatMs(90_061_000)).toBe("1d1h1m1s");
    expect(formatMs(3_600_000)).toBe("1h");
    expect(formatMs(5_400_000)).toBe("1h30m");
    expect(formatMs(30 * 86_400_000)).toBe("30d");
    expect(formatMs(86_400_000 + 1000)).toBe("1d1s");
  });

  it("uses ms below a second", () => {
    expect(formatMs(0)).toBe("0ms");
    expect(formatMs(500)).toBe("500ms");
    expect(formatMs(999.4)).toBe("999ms");
  });

  it("rounds to whole ms and drops a sub-second remainder above a second", () => {
    expect(formatMs(999.6)).toBe("1s");
    expect(formatMs(1500)).toBe("1s");
    expect(formatMs(60_500)).toBe("1m");
  });

  it("produces durations that parse back (whole seconds)", () => {
    for (const ms of [1000, 61_000, 3_600_000, 90_061_000, 30 * 86_400_000]) {
      expect(parseDurationMs(formatMs(ms))).toBe(ms);
    }
  });
});

describe("date-times are UTC without an offset, and impossible dates are refused", () => {
  const now = Date.parse("2026-11-24T15:00:00Z");
  it("reads a date-time without an offset as UTC, whatever the server's zone", () => {
    expect(parseTime("start", "2026-11-24T14:05:00", now)).toBe(
      BigInt(Date.parse("2026-11-24T14:05:00Z")) * 1_000_000n,
    );
    expect(parseTime("start", "2026-11-24 14:05", now)).toBe(BigInt(Date.parse("2026-11-24T14:05:00Z")) * 1_000_000n);
  });
  it.each(["2026-02-30", "2026-02-30T00:00:00Z", "2026-13-01"])("refuses %s", (v) => {
    expect(() => parseTime("start", v, now)).toThrow(/is not a time/);
  });
});
