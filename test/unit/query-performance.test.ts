import { describe, expect, it } from "vitest";
import { parseLine } from "../../src/query/lines.ts";
import { durationOf, slowest, unitOf } from "../../src/query/performance.ts";
import type { AnalyzedEntry } from "../../src/query/summarize.ts";

const BASE_NS = 1_795_483_200_000_000_000n; // 2026-11-24T…

function analyzed(
  line: string,
  service = "checkout",
  ts = BASE_NS,
  metadata: Record<string, string> = {},
): AnalyzedEntry {
  const entry = { ts, line, labels: { service_name: service }, metadata, parsed: {} };
  return { entry, parsed: parseLine(entry), service };
}

describe("unitOf", () => {
  it("reads the unit from the field name", () => {
    expect(unitOf("duration_ms", "int")).toBe(1);
    expect(unitOf("latency_millis", "float")).toBe(1);
    expect(unitOf("elapsed_us", "int")).toBe(0.001);
    expect(unitOf("took_micros", "int")).toBe(0.001);
    expect(unitOf("wait_ns", "int")).toBe(0.000001);
    expect(unitOf("elapsed_s", "float")).toBe(1000);
    expect(unitOf("latency_seconds", "float")).toBe(1000);
    expect(unitOf("response_secs", "float")).toBe(1000);
    expect(unitOf("DURATION_MS", "int")).toBe(1);
  });

  it("assumes milliseconds for a bare number field", () => {
    expect(unitOf("duration", "int")).toBe(1);
    expect(unitOf("latency", "float")).toBe(1);
  });

  it("leaves duration strings to Loki's duration conversion", () => {
    expect(unitOf("duration", "duration")).toBeUndefined();
    expect(unitOf("duration_ms", "duration")).toBeUndefined();
  });
});

describe("durationOf", () => {
  it("reads a numeric JSON duration_ms", () => {
    expect(durationOf(analyzed('{"level":"info","msg":"done","duration_ms":250}'))).toBe(250);
    expect(durationOf(analyzed('{"level":"info","msg":"done","latency_ms":12.5}'))).toBe(12.5);
  });

  it("converts numeric fields by the unit in their name", () => {
    expect(durationOf(analyzed('{"msg":"done","elapsed_s":1.5}'))).toBe(1500);
    expect(durationOf(analyzed('{"msg":"done","duration_us":2500}'))).toBeCloseTo(2.5, 9);
    expect(durationOf(analyzed('{"msg":"done","latency_seconds":2}'))).toBe(2000);
    expect(durationOf(analyzed('{"msg":"done","response_time":80}'))).toBe(80);
  });

  it("reads a logfmt duration string with its unit", () => {
    expect(durationOf(analyzed("level=info msg=done latency=250ms"))).toBe(250);
    expect(durationOf(analyzed("level=info msg=done duration=1.5s"))).toBe(1500);
    expect(durationOf(analyzed("level=info msg=done elapsed=2m"))).toBe(120_000);
    expect(durationOf(analyzed("level=info msg=done took=750us"))).toBeCloseTo(0.75, 9);
    expect(durationOf(analyzed("level=info msg=done took=750µs"))).toBeCloseTo(0.75, 9);
    expect(durationOf(analyzed("level=info msg=done elapsed_ms=42"))).toBe(42);
  });

  it("reads durations from plain text", () => {
    expect(durationOf(analyzed("2026-11-24T14:05:00Z INFO request done took=1.5s"))).toBe(1500);
    expect(durationOf(analyzed("2026-11-24T14:05:00Z INFO request done duration_ms=41"))).toBe(41);
    expect(durationOf(analyzed("2026-11-24T14:05:00Z INFO request done latency: 300ms"))).toBe(300);
    expect(durationOf(analyzed("INFO request done elapsed=2"))).toBe(2); // no unit: ms
    expect(durationOf(analyzed("INFO request done Took=3s"))).toBe(3000);
  });

  it("skips fields that are not durations or not numbers", () => {
    expect(durationOf(analyzed('{"msg":"done","status":200,"bytes":5123}'))).toBeUndefined();
    expect(durationOf(analyzed('{"msg":"done","duration_ms":"n/a","latency_ms":9}'))).toBe(9);
    expect(durationOf(analyzed("level=info msg=done duration="))).toBeUndefined();
  });

  it("is undefined when nothing says how long", () => {
    expect(durationOf(analyzed("2026-11-24T14:05:00Z INFO request done"))).toBeUndefined();
    expect(durationOf(analyzed('level=info msg="took a while" user=x'))).toBeUndefined();
  });
});

describe("slowest", () => {
  const items = [
    analyzed('{"msg":"a","duration_ms":120,"trace_id":"t-a"}', "checkout", BASE_NS),
    analyzed("level=info msg=b latency=2.5s", "payments", BASE_NS + 1_000_000n),
    analyzed("2026-11-24T14:05:00Z INFO no duration here", "inventory", BASE_NS + 2_000_000n),
    analyzed("INFO c took=45.678ms", "inventory", BASE_NS + 3_000_000n, { trace_id: "t-c" }),
    analyzed('{"msg":"d","duration_ms":900}', "gateway", BASE_NS + 4_000_000n),
  ];

  it("orders by duration, slowest first, and drops lines without one", () => {
    const out = slowest(items);
    expect(out.map((o) => o.duration_ms)).toEqual([2500, 900, 120, 45.68]);
    expect(out.map((o) => o.service)).toEqual(["payments", "gateway", "checkout", "inventory"]);
  });

  it("carries ts, line and the trace id when there is one", () => {
    const [first, , third, fourth] = slowest(items);
    expect(first).toEqual({
      service: "payments",
      duration_ms: 2500,
      ts: new Date(Number((BASE_NS + 1_000_000n) / 1_000_000n)).toISOString(),
      line: "level=info msg=b latency=2.5s",
    });
    expect(Object.hasOwn(first!, "trace_id")).toBe(false);
    expect(third!.trace_id).toBe("t-a");
    expect(fourth!.trace_id).toBe("t-c");
  });

  it("keeps the n slowest", () => {
    expect(slowest(items, 2).map((o) => o.duration_ms)).toEqual([2500, 900]);
    expect(slowest(items, 0)).toEqual([]);
    expect(slowest([])).toEqual([]);
  });

  it("defaults to 10", () => {
    const many = Array.from({ length: 15 }, (_, i) => analyzed(`{"msg":"x","duration_ms":${i}}`));
    const out = slowest(many);
    expect(out).toHaveLength(10);
    expect(out[0]!.duration_ms).toBe(14);
    expect(out.at(-1)!.duration_ms).toBe(5);
  });
});

describe("durations are not timestamps", () => {
  const entry = (line: string) => {
    const e = { ts: 1n, line, labels: {}, metadata: {}, parsed: {} };
    return { entry: e, parsed: parseLine(e), service: "s" };
  };
  it.each([
    ['{"level":30,"time":1700000000000,"msg":"request completed","responseTime":12}', 12],
    ['{"time":"2026-11-24T14:05:00Z","msg":"done","duration_ms":5}', 5],
    ["level=info msg=done elapsed=1m30s", 90_000],
    ["INFO took=1.5s done", 1_500],
    ["level=info start_time=2026-01-01T00:00:00Z msg=ok", undefined],
  ])("%s → %s ms", (line, ms) => {
    expect(durationOf(entry(line))).toBe(ms);
  });
});
