import { describe, expect, it } from "vitest";
import { clipExample, isProblemLevel, type Level, normalizeLevel, parseLine } from "../../src/query/lines.ts";

const parse = (line: string, labels: Record<string, string> = {}, metadata: Record<string, string> = {}) =>
  parseLine({ line, labels, metadata });

describe("normalizeLevel", () => {
  it("maps level words case-insensitively, trimming", () => {
    const cases: Array<[string, Level]> = [
      ["fatal", "fatal"],
      ["PANIC", "fatal"],
      ["critical", "fatal"],
      ["Crit", "fatal"],
      ["emerg", "fatal"],
      ["alert", "fatal"],
      ["error", "error"],
      ["ERR", "error"],
      ["eror", "error"],
      ["warn", "warn"],
      ["WARNING", "warn"],
      ["info", "info"],
      ["Information", "info"],
      ["notice", "info"],
      ["debug", "debug"],
      ["dbug", "debug"],
      ["trace", "trace"],
      [" error\n", "error"],
    ];
    for (const [word, level] of cases) expect(normalizeLevel(word), word).toBe(level);
  });

  it("returns undefined for unknown words and non-strings", () => {
    for (const v of ["", "E", "errors", "verbose", "50", null, undefined, true, {}, ["error"]]) {
      expect(normalizeLevel(v), JSON.stringify(v)).toBeUndefined();
    }
  });

  it("maps pino numeric levels", () => {
    expect(normalizeLevel(60)).toBe("fatal");
    expect(normalizeLevel(50)).toBe("error");
    expect(normalizeLevel(40)).toBe("warn");
    expect(normalizeLevel(30)).toBe("info");
    expect(normalizeLevel(20)).toBe("debug");
  });

  it("maps syslog severities 0-7", () => {
    const expected: Level[] = ["fatal", "fatal", "fatal", "error", "warn", "info", "info", "debug"];
    for (const [n, level] of expected.entries()) expect(normalizeLevel(n), String(n)).toBe(level);
  });
});

describe("parseLine: level", () => {
  it("reads JSON level, severity and friends", () => {
    expect(parse('{"level":"error","msg":"boom"}').level).toBe("error");
    expect(parse('{"severity":"WARNING","message":"disk 91% full"}').level).toBe("warn");
    expect(parse('{"lvl":"crit","msg":"x"}').level).toBe("fatal");
    expect(parse('{"levelname":"INFO","msg":"x"}').level).toBe("info");
    expect(parse('{"log_level":"debug","msg":"x"}').level).toBe("debug");
  });

  it("reads numeric pino levels from JSON", () => {
    expect(parse('{"level":50,"time":1795483200000,"msg":"db connection lost"}').level).toBe("error");
    expect(parse('{"level":60,"msg":"x"}').level).toBe("fatal");
    expect(parse('{"level":40,"msg":"x"}').level).toBe("warn");
    expect(parse('{"level":30,"msg":"x"}').level).toBe("info");
  });

  it("prefers the level field over words in the message", () => {
    expect(parse('{"level":"info","msg":"retrying after ERROR from upstream"}').level).toBe("info");
    expect(parse('level=info msg="ERROR count is 0"').level).toBe("info");
  });

  it("reads logfmt level", () => {
    expect(parse("ts=2026-11-24T14:05:00Z level=warn msg=slow").level).toBe("warn");
    expect(parse('level=error msg="call failed" upstream=inventory').level).toBe("error");
    expect(parse("lvl=eror msg=x t=1").level).toBe("error");
  });

  it("reads plain-text level tokens", () => {
    expect(parse("2026-11-24T14:05:00Z ERROR call to inventory failed").level).toBe("error");
    expect(parse("[WARN] cache miss ratio high").level).toBe("warn");
    expect(parse("2026-11-24 14:05:00 [ERROR] boom").level).toBe("error");
    expect(parse("FATAL: cannot bind :8080").level).toBe("fatal");
    expect(parse("main | CRITICAL | disk gone").level).toBe("fatal");
    expect(parse("(WARNING) low memory").level).toBe("warn");
    expect(parse("INFO, starting").level).toBe("info");
    expect(parse("DEBUG").level).toBe("debug");
    expect(parse("E1124 14:05:00 PANIC runtime error").level).toBe("fatal");
  });

  it("takes the first level token of plain text", () => {
    expect(parse("INFO retry succeeded after ERROR").level).toBe("info");
  });

  it("ignores level words that are not tokens", () => {
    // lower case, or glued to other characters
    expect(parse("an error occurred while saving").level).toBe("unknown");
    expect(parse("ERRORS=0 WARNINGS=0").level).toBe("unknown");
    expect(parse("class=ErrorHandler started").level).toBe("unknown");
    expect(parse("TERROR alert").level).toBe("unknown");
  });

  it("falls back to level= / level: anywhere in the text", () => {
    expect(parse("something happened level: warning, see docs").level).toBe("warn");
    expect(parse('weird prefix >>> Level="Error" <<<').level).toBe("error");
  });

  it("only looks at the first 300 characters for upper-case tokens", () => {
    expect(parse(`${"x".repeat(300)} ERROR late`).level).toBe("unknown");
    expect(parse(`${"x".repeat(290)} ERROR late`).level).toBe("error");
  });

  it("uses the detected_level stream label when the line says nothing", () => {
    expect(parse("connection to db lost", { detected_level: "error" }).level).toBe("error");
    expect(parse("connection to db lost", { level: "WARN" }).level).toBe("warn");
    expect(parse("connection to db lost", { severity: "critical" }).level).toBe("fatal");
  });

  it("uses structured metadata when labels say nothing", () => {
    expect(parse("connection to db lost", {}, { detected_level: "warn" }).level).toBe("warn");
    expect(parse("connection to db lost", { service_name: "x" }, { level: "fatal" }).level).toBe("fatal");
  });

  it("takes Loki's detected level as the authority (the pushdown filters on it), labels before metadata", () => {
    expect(parse('{"level":"info","msg":"x"}', { detected_level: "error" }).level).toBe("error");
    expect(parse('{"level":"error","msg":"x"}', {}, { detected_level: "info" }).level).toBe("info");
    expect(parse("x", { detected_level: "error" }, { detected_level: "warn" }).level).toBe("error");
    expect(parse('{"level":"error","msg":"x"}', {}, { detected_level: "critical" }).level).toBe("fatal");
  });

  it("reads the line when Loki could not place it, or wrote a value it never writes", () => {
    for (const detected_level of ["unknown", "ERROR", "notice", ""]) {
      expect(parse('{"level":"error","msg":"x"}', {}, { detected_level }).level, detected_level).toBe("error");
    }
  });

  it("prefers line fields over other level labels, and labels over metadata", () => {
    expect(parse('{"level":"info","msg":"x"}', { level: "error" }).level).toBe("info");
    expect(parse("x", { level: "error" }, { level: "warn" }).level).toBe("error");
  });

  it("prefers labels over a text token", () => {
    expect(parse("ERROR but really fine", { detected_level: "info" }).level).toBe("info");
  });

  it("ignores unknown level values and keeps looking", () => {
    expect(parse('{"level":"verbose","severity":"error","msg":"x"}').level).toBe("error");
    expect(parse('{"level":"verbose","msg":"x"}', { detected_level: "unknown" }).level).toBe("unknown");
  });

  it("is unknown when nothing says a level", () => {
    expect(parse("GET /health 200").level).toBe("unknown");
    expect(parse("").level).toBe("unknown");
  });
});

describe("parseLine: message and fields", () => {
  it("extracts the JSON message and keeps the other fields", () => {
    const p = parse('{"ts":"2026-11-24T14:05:00Z","level":"error","msg":"boom","upstream":"inventory","n":3}');
    expect(p.message).toBe("boom");
    expect(p.fields).toEqual({ ts: "2026-11-24T14:05:00Z", level: "error", upstream: "inventory", n: 3 });
  });

  it("tries msg, message, log, text, event in that order", () => {
    expect(parse('{"message":"second","msg":"first"}').message).toBe("first");
    expect(parse('{"message":"m","log":"l"}').message).toBe("m");
    expect(parse('{"event":"user.login","text":"t"}').message).toBe("t");
    expect(parse('{"event":"user.login","user":"ann"}').message).toBe("user.login");
  });

  it("keeps the whole JSON line as the message when no message field is a string, and still reads its fields", () => {
    const line = '{"code":500,"path":"/api/checkout"}';
    const p = parse(line);
    expect(p.message).toBe(line);
    expect(p.fields).toEqual({ code: 500, path: "/api/checkout" });
    expect(parse('{"level":"error","error":"connection refused","status":500}').level).toBe("error");
  });

  it("extracts the logfmt message, unquoting it", () => {
    const p = parse('ts=2026-11-24T14:05:00Z level=error msg="call to inventory failed: timeout" upstream=inventory');
    expect(p.message).toBe("call to inventory failed: timeout");
    expect(p.fields).toEqual({ ts: "2026-11-24T14:05:00Z", level: "error", upstream: "inventory" });
  });

  it("keeps plain text as it is, with no fields", () => {
    const line = "2026-11-24T14:05:00Z WARN slow query took 2500ms on table stock";
    const p = parse(line);
    expect(p.message).toBe(line);
    expect(p.fields).toEqual({});
  });

  it("treats broken JSON as text", () => {
    const line = '{"level":"error","msg":"cut off';
    const p = parse(line);
    expect(p.message).toBe(line);
    expect(p.fields).toEqual({});
  });
});

describe("parseLine: trace id", () => {
  it("reads trace id fields of JSON and logfmt", () => {
    expect(parse('{"msg":"x","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}').traceId).toBe(
      "4bf92f3577b34da6a3ce929d0e0e4736",
    );
    expect(parse('{"msg":"x","traceId":"abc-1"}').traceId).toBe("abc-1");
    expect(parse('{"msg":"x","traceID":"abc-2"}').traceId).toBe("abc-2");
    expect(parse("msg=x correlation_id=corr-9 level=info").traceId).toBe("corr-9");
    expect(parse('{"msg":"x","request_id":"req-7"}').traceId).toBe("req-7");
    expect(parse('{"msg":"x","requestId":"req-8"}').traceId).toBe("req-8");
    expect(parse('{"msg":"x","x_request_id":"req-9"}').traceId).toBe("req-9");
  });

  it("prefers trace_id over correlation and request ids", () => {
    expect(parse('{"msg":"x","request_id":"r","correlation_id":"c","trace_id":"t"}').traceId).toBe("t");
    expect(parse('{"msg":"x","request_id":"r","correlation_id":"c"}').traceId).toBe("c");
  });

  it("skips empty and non-string id fields", () => {
    expect(parse('{"msg":"x","trace_id":"","request_id":"r1"}').traceId).toBe("r1");
    // a numeric id is not a field value, but the text fallback still finds it
    expect(parse('{"msg":"x","request_id":123456}').traceId).toBe("123456");
  });

  it("reads structured metadata, then labels", () => {
    expect(parse("plain line", {}, { trace_id: "meta-1" }).traceId).toBe("meta-1");
    expect(parse("plain line", { trace_id: "label-1" }, {}).traceId).toBe("label-1");
    expect(parse("plain line", { trace_id: "label-1" }, { trace_id: "meta-1" }).traceId).toBe("meta-1");
    expect(parse('{"msg":"x","trace_id":"field-1"}', {}, { trace_id: "meta-1" }).traceId).toBe("field-1");
  });

  it("finds ids in plain text", () => {
    expect(parse("ERROR payment declined trace_id=abc123 user=7").traceId).toBe("abc123");
    expect(parse("ERROR payment declined traceId: 0af7651916cd43dd").traceId).toBe("0af7651916cd43dd");
    expect(parse('WARN x correlation-id="c0ffee-42"').traceId).toBe("c0ffee-42");
    expect(parse("INFO done RequestID=req:77:a").traceId).toBe("req:77:a");
  });

  it("needs at least four characters for a text id", () => {
    expect(parse("ERROR trace_id=abc").traceId).toBeUndefined();
    expect(parse("ERROR trace_id=abcd").traceId).toBe("abcd");
  });

  it("has no traceId key when there is none", () => {
    const p = parse("ERROR nothing to see");
    expect(p.traceId).toBeUndefined();
    expect(Object.hasOwn(p, "traceId")).toBe(false);
  });
});

describe("isProblemLevel", () => {
  it("is true from warn up", () => {
    const levels: Level[] = ["fatal", "error", "warn", "info", "debug", "trace", "unknown"];
    expect(levels.filter(isProblemLevel)).toEqual(["fatal", "error", "warn"]);
  });
});

describe("clipExample", () => {
  it("keeps a short line whole and cuts a long one, saying how much was cut, never inside a surrogate pair", () => {
    expect(clipExample("short")).toBe("short");
    const long = "x".repeat(1500);
    expect(clipExample(long)).toBe(`${"x".repeat(1000)}… [500 more characters]`);
    expect(clipExample(long, 8192)).toBe(long);
    const emoji = `${"a".repeat(999)}🙂${"b".repeat(10)}`;
    expect(clipExample(emoji)).toBe(`${"a".repeat(999)}… [12 more characters]`);
  });
});
