import { describe, expect, it } from "vitest";
import { carriesId, hasToken, idOf, requestedId } from "../../src/correlate/ids.ts";
import { parseLine } from "../../src/query/lines.ts";

const ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const entry = (line: string, metadata: Record<string, string> = {}) => ({ line, labels: {}, metadata });

describe("correlation ids", () => {
  it("a whole token, not part of a longer id or word", () => {
    expect(hasToken(`trace_id=${ID} done`, ID)).toBe(true);
    expect(hasToken(`id ${ID}.`, ID)).toBe(true);
    expect(hasToken(`traceparent=00-${ID}-00f067aa0ba902b7-01`, ID)).toBe(true);
    expect(hasToken(`trace_id=${ID}ab`, ID)).toBe(false);
    expect(hasToken(`x${ID}`, ID)).toBe(false);
    expect(hasToken(`batch ${ID}-7`, ID)).toBe(false);
    expect(hasToken(`x-${ID}`, ID)).toBe(false);
  });

  it("under any id key, in fields or structured metadata", () => {
    for (const key of ["trace_id", "traceId", "correlation_id", "request_id", "x-request-id", "X-Request-ID"]) {
      const e = entry(JSON.stringify({ msg: "ok", [key]: ID }));
      expect(carriesId(e, parseLine(e).fields, ID)).toBe(true);
      expect(idOf(e, parseLine(e))).toBe(ID);
    }
    const meta = entry("no id in the text", { trace_id: ID });
    expect(carriesId(meta, parseLine(meta).fields, ID)).toBe(true);
    const tp = entry(`{"traceparent":"00-${ID}-00f067aa0ba902b7-01"}`);
    expect(idOf(tp, parseLine(tp))).toBe(ID);
    const text = entry(`2026-01-01T00:00:00Z INFO ok x-request-id=req-7781aa`);
    expect(idOf(text, parseLine(text))).toBe("req-7781aa");
    const other = entry(JSON.stringify({ msg: "ok", trace_id: `${ID}0` }));
    expect(carriesId(other, parseLine(other).fields, ID)).toBe(false);
  });

  it("the id asked for: checked, a traceparent stands for its trace id", () => {
    expect(requestedId(ID)).toEqual({ id: ID });
    expect(requestedId(`00-${ID}-00f067aa0ba902b7-01`)).toEqual({ id: ID, from: "traceparent" });
    expect(() => requestedId("a\u0000bcd")).toThrow(/control characters/);
    expect(() => requestedId("a".repeat(257))).toThrow(/more than 256/);
    expect(() => requestedId("abc def")).toThrow(/spaces/);
    expect(() => requestedId("abc")).toThrow(/fewer than 4/);
  });
});
