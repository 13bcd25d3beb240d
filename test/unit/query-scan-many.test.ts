import { describe, expect, it } from "vitest";
import { NS_PER_S } from "../../src/loki/time.ts";
import type { LogEntry } from "../../src/query/entry.ts";
import type { ScanResult } from "../../src/query/scan.ts";
import { lastNeededSlice, MIN_SLICE_NS, slicesOf } from "../../src/query/scan-many.ts";

const HOUR = 3600n * NS_PER_S;
const T0 = 1_800_000_000n * NS_PER_S;
const MINUTE = 60n * NS_PER_S;
/** An hour cut into slices of at least a minute (the default is an hour: see the last test). */
const base = {
  start: T0,
  end: T0 + HOUR,
  maxLines: 20_000,
  pageSize: 5_000,
  concurrency: 4,
  minSliceNs: MINUTE,
} as const;

describe("slicesOf", () => {
  it("by default reads up to an hour as one slice (Loki's own split), and cuts longer ranges", () => {
    const defaults = { ...base, minSliceNs: undefined, direction: "backward" as const };
    expect(MIN_SLICE_NS).toBe(HOUR);
    expect(slicesOf(defaults)).toHaveLength(1);
    expect(slicesOf({ ...defaults, end: T0 + 168n * HOUR })).toHaveLength(4);
    expect(slicesOf({ ...defaults, end: T0 + 2n * HOUR + 1n })).toHaveLength(2);
  });

  it("cuts a long range into `concurrency` half-open slices that tile it, newest first when backward", () => {
    const slices = slicesOf({ ...base, direction: "backward" });
    expect(slices).toHaveLength(4);
    expect(slices[0]!.end).toBe(base.end);
    expect(slices.at(-1)!.start).toBe(base.start);
    for (let i = 1; i < slices.length; i++) expect(slices[i]!.end).toBe(slices[i - 1]!.start);
    const forward = slicesOf({ ...base, direction: "forward" });
    expect(forward[0]!.start).toBe(base.start);
    for (let i = 1; i < forward.length; i++) expect(forward[i]!.start).toBe(forward[i - 1]!.end);
    expect(forward.at(-1)!.end).toBe(base.end);
  });

  it("reads one page's worth of lines, and a short range, in one slice", () => {
    expect(slicesOf({ ...base, direction: "backward", maxLines: 100 })).toEqual([{ start: base.start, end: base.end }]);
    const short = { ...base, end: base.start + 2n * MINUTE + 1n, direction: "backward" as const };
    expect(slicesOf(short)).toHaveLength(2);
    expect(slicesOf({ ...base, end: base.start + MINUTE - 1n, direction: "backward" })).toHaveLength(1);
    expect(slicesOf({ ...base, direction: "backward", concurrency: 1 })).toHaveLength(1);
  });

  it("starts at the resume boundary, which only the first slice carries", () => {
    const boundary = { ts: base.start + HOUR / 2n, seen: ["h"] };
    const back = slicesOf({ ...base, direction: "backward", boundary });
    expect(back[0]).toMatchObject({ end: boundary.ts + 1n, boundary });
    expect(back.at(-1)!.start).toBe(base.start);
    expect(back.slice(1).every((s) => s.boundary === undefined)).toBe(true);
    const fwd = slicesOf({ ...base, direction: "forward", boundary });
    expect(fwd[0]).toMatchObject({ start: boundary.ts, boundary });
    expect(fwd.at(-1)!.end).toBe(base.end);
  });

  it("never cuts an empty or inverted range", () => {
    expect(slicesOf({ ...base, end: base.start, direction: "backward" })).toEqual([
      { start: base.start, end: base.start },
    ]);
  });
});

describe("lastNeededSlice", () => {
  const lines = (n: number): LogEntry[] =>
    Array.from({ length: n }, (_, i) => ({ ts: BigInt(i), line: "x", labels: {}, metadata: {}, parsed: {} }));
  const done = (n: number, truncated = false): ScanResult => ({
    entries: lines(n),
    truncated,
    pages: 1,
    covered: { start: 0n, end: 1n },
  });

  it("is the first slice whose finished prefix holds more than the cap", () => {
    const tasks = [
      { slice: 0, result: done(6) },
      { slice: 0, result: done(3) },
      { slice: 1, result: done(2) },
      { slice: 2, result: done(0) },
    ];
    expect(lastNeededSlice(10, 3, tasks)).toBe(1);
    expect(lastNeededSlice(8, 3, tasks)).toBe(0);
    expect(lastNeededSlice(11, 3, tasks)).toBe(2);
  });

  it("waits for every part of the earlier slices before ruling any later slice out", () => {
    const tasks = [
      { slice: 0, result: done(6) },
      { slice: 0, result: undefined },
      { slice: 1, result: done(50) },
    ];
    expect(lastNeededSlice(10, 3, tasks)).toBe(2);
  });

  it("stops at a slice with a truncated part, and at exactly the cap it still reads on", () => {
    expect(lastNeededSlice(10, 3, [{ slice: 0, result: done(4, true) }])).toBe(0);
    const exact = [
      { slice: 0, result: done(10) },
      { slice: 1, result: undefined },
    ];
    expect(lastNeededSlice(10, 2, exact)).toBe(1);
  });
});
