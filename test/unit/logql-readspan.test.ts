import { describe, expect, it } from "vitest";
import { LogqlError, readSpan } from "../../src/logql/index.ts";
import { isMetricQuery, readRangeOf, refuseMetricInMode } from "../../src/query/guardrail.ts";
import { thrown } from "./helpers/thrown.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NS = 1_000_000n;

describe("readSpan: how far outside [start, end] LogQL reads", () => {
  it("is zero for a log query", () => {
    expect(readSpan('{app="x"} |= "offset 5m" | json | offset > 3')).toEqual({
      maxRangeMs: 0,
      maxOffsetMs: 0,
      minOffsetMs: 0,
    });
  });

  it("takes the longest range vector, in nested functions too", () => {
    const q = 'sum(rate({a="1"}[5m])) / max_over_time(sum by (x) (count_over_time({b="2"}[1h30m]))[2h])';
    expect(readSpan(q).maxRangeMs).toBe(2 * HOUR);
  });

  it("adds the largest offset; a negative offset reads after end", () => {
    expect(readSpan('count_over_time({a="1"}[3650d] offset 3650d)')).toEqual({
      maxRangeMs: 3650 * DAY,
      maxOffsetMs: 3650 * DAY,
      minOffsetMs: 0,
    });
    expect(readSpan('count_over_time({a="1"}[5m] offset -1h)')).toEqual({
      maxRangeMs: 5 * MIN,
      maxOffsetMs: 0,
      minOffsetMs: -HOUR,
    });
    const both = readSpan('rate({a="1"}[1m] offset 2h) - rate({a="1"}[1m] OFFSET -30m)');
    expect([both.maxOffsetMs, both.minOffsetMs]).toEqual([2 * HOUR, -30 * MIN]);
  });

  it("reads Go-style offsets (1.5h, 90s500ms)", () => {
    expect(readSpan('rate({a="1"}[1m] offset 1.5h)').maxOffsetMs).toBe(90 * MIN);
    expect(readSpan('rate({a="1"}[1m] offset 90s500ms)').maxOffsetMs).toBe(90_500);
  });

  it("counts the range of a subquery [1h:1m]", () => {
    expect(readSpan('max_over_time(rate({a="1"}[5m])[1h:1m])').maxRangeMs).toBe(HOUR);
    expect(readSpan('max_over_time(rate({a="1"}[5m])[6h:])').maxRangeMs).toBe(6 * HOUR);
  });

  it("ignores `offset` as a label name", () => {
    expect(readSpan('sum by (offset) (rate({offset="1"}[1m]))')).toEqual({
      maxRangeMs: MIN,
      maxOffsetMs: 0,
      minOffsetMs: 0,
    });
  });

  it("refuses a range or offset that is no duration or longer than Loki parses", () => {
    for (const q of [
      `rate({a="1"}[${"9".repeat(400)}d])`,
      'rate({a="1"}[1m] offset 300y)',
      'rate({a="1"}[1m] offset 1x)',
      'rate({a="1"}[])',
    ]) {
      expect(() => readSpan(q), q).toThrow(LogqlError);
    }
  });
});

describe("readRangeOf: the range a raw query reads, within the maximum", () => {
  const end = BigInt(Date.UTC(2026, 10, 24, 15)) * NS;
  const range = { start: end - BigInt(HOUR) * NS, end };

  it("refuses [3650d] offset 3650d over a 1h range as range-too-long (400) with a hint", () => {
    const e = thrown(() => readRangeOf('count_over_time({a="1"}[3650d] offset 3650d)', range, 7 * DAY));
    expect(e.status).toBe(400);
    expect(e.slug).toBe("range-too-long");
    expect(e.detail).toContain("3650d");
    expect(e.hint).toMatch(/\[range\]/);
  });

  it("refuses a negative offset that reaches past the maximum", () => {
    expect(thrown(() => readRangeOf('rate({a="1"}[1m] offset -8d)', range, 7 * DAY)).slug).toBe("range-too-long");
  });

  it("widens the range by the longest range and offset for the byte estimate", () => {
    expect(readRangeOf('rate({a="1"}[5m] offset 1h)', range, 7 * DAY)).toEqual({
      start: range.start - BigInt(HOUR + 5 * MIN) * NS,
      end,
    });
    expect(readRangeOf('rate({a="1"}[5m] offset -10m)', range, 7 * DAY)).toEqual({
      start: range.start - BigInt(5 * MIN) * NS,
      end: end + BigInt(10 * MIN) * NS,
    });
    expect(readRangeOf('{a="1"} |= "x"', range, HOUR)).toEqual(range);
  });

  it("counts the range vector against the maximum (since=max plus [5m] is over it)", () => {
    expect(thrown(() => readRangeOf('rate({a="1"}[5m])', range, HOUR)).slug).toBe("range-too-long");
  });
});

describe("a metric logql outside raw mode", () => {
  it("isMetricQuery tells log queries from metric queries", () => {
    expect(isMetricQuery('{a="1"} |= "x"')).toBe(false);
    expect(isMetricQuery('  {a="1"}')).toBe(false);
    expect(isMetricQuery('sum(rate({a="1"}[5m]))')).toBe(true);
  });

  it("is a 400 with a hint naming mode=raw, not a server error", () => {
    const e = thrown(() => refuseMetricInMode("errors", 'sum(count_over_time({a="1"}[5m]))'));
    expect(e.status).toBe(400);
    expect(e.slug).toBe("metric-needs-raw");
    expect(e.hint).toContain("mode=raw");
    expect(() => refuseMetricInMode("errors", '{a="1"}')).not.toThrow();
  });
});
