import { describe, expect, it } from "vitest";
import {
  checkRegex,
  durationMs,
  formatDuration,
  formatFilterDuration,
  isBacktickSafe,
  isLabelName,
  LogqlError,
  labelName,
  literal,
  parseDuration,
  quote,
  quoteBacktick,
  regexInfo,
  unquoteLiteral,
} from "../../src/logql/index.ts";

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (e) {
    return e instanceof LogqlError ? e.code : `not a LogqlError: ${String(e)}`;
  }
  return undefined;
};

describe("quote", () => {
  it.each([
    ["", '""'],
    ["plain", '"plain"'],
    ['say "hi"', '"say \\"hi\\""'],
    ["C:\\path", '"C:\\\\path"'],
    ["a\nb\rc\td", '"a\\nb\\rc\\td"'],
    ["\x07\b\f\v", '"\\a\\b\\f\\v"'],
    ["nul\0", '"nul\\x00"'],
    ["esc\x1b[31m", '"esc\\x1b[31m"'],
    ["del\x7f", '"del\\x7f"'],
    ["c1\u0085", '"c1\\u0085"'],
    ["line\u2028sep", '"line\\u2028sep"'],
    ["bidi\u202egnp.exe", '"bidi\\u202egnp.exe"'],
    ["bom\ufeff", '"bom\\ufeff"'],
    ["private\u{f0000}", '"private\\U000f0000"'],
    ["`}|{#", '"`}|{#"'],
    ["héllo 日本 😀", '"héllo 日本 😀"'],
  ])("quote(%j) = %s", (value, expected) => {
    expect(quote(value)).toBe(expected);
    expect(unquoteLiteral(expected)).toBe(value);
  });

  it("rejects lone surrogates with a hint", () => {
    for (const bad of ["\ud800", "a\udc00b", "x\ud83d"]) {
      const err = (() => {
        try {
          quote(bad, "filter");
        } catch (e) {
          return e as LogqlError;
        }
        return undefined;
      })();
      expect(err).toBeInstanceOf(LogqlError);
      expect(err?.code).toBe("invalid_string");
      expect(err?.field).toBe("filter");
      expect(err?.hint).toMatch(/valid Unicode/);
    }
  });

  it("keeps astral characters made of surrogate pairs", () => {
    expect(quote("\ud83d\ude00")).toBe('"😀"');
  });
});

describe("backtick literals", () => {
  it("are used only when safe", () => {
    expect(quoteBacktick("\\d+\\.\\d+")).toBe("`\\d+\\.\\d+`");
    expect(quoteBacktick("a`b")).toBeUndefined();
    expect(quoteBacktick("a\nb")).toBeUndefined();
    expect(quoteBacktick("a\rb")).toBeUndefined();
    expect(quoteBacktick("bom\ufeff")).toBeUndefined();
    expect(isBacktickSafe("\ud800")).toBe(false);
  });

  it("literal() picks a style", () => {
    expect(literal("\\d+", "auto")).toBe("`\\d+`");
    expect(literal("plain", "auto")).toBe('"plain"');
    expect(literal("a`\\", "auto")).toBe('"a`\\\\"');
    expect(literal("x", "backtick")).toBe("`x`");
    expect(literal("\\d", "double")).toBe('"\\\\d"');
  });
});

describe("unquoteLiteral", () => {
  it("decodes Go escapes", () => {
    expect(unquoteLiteral('"\\x41\\u00e9\\U0001F600\\101\\""')).toBe('Aé😀A"');
    expect(unquoteLiteral('"\\303\\251"')).toBe("é");
    expect(unquoteLiteral("`raw \\n`")).toBe("raw \\n");
  });

  it.each([
    ['"unterminated', "not terminated"],
    ['"a\nb"', "newline"],
    ['"bad \\q"', "invalid escape"],
    ['"\\ud800"', "valid Unicode"],
    ['"\\xff"', "UTF-8"],
    ["'c'", "double quotes"],
    ['"a"b"', 'unescaped "'],
    ['"\\400"', "octal"],
  ])("rejects %j", (text, message) => {
    expect(() => unquoteLiteral(text)).toThrow(message);
  });
});

describe("labelName", () => {
  it("accepts identifiers", () => {
    for (const n of ["app", "_x", "service_name", "A1", "__error__"]) expect(labelName(n)).toBe(n);
  });

  it.each(["", "1app", "service-name", "a.b", "a b", 'a"', "é", "a}", "a=b"])("rejects %j", (n) => {
    expect(isLabelName(n)).toBe(false);
    expect(code(() => labelName(n))).toBe("invalid_label_name");
  });

  it("suggests the sanitized name in the hint", () => {
    try {
      labelName("service-name", "by[0]");
      expect.unreachable();
    } catch (e) {
      expect((e as LogqlError).field).toBe("by[0]");
      expect((e as LogqlError).hint).toContain("service_name");
    }
  });

  it("rejects over-long names", () => {
    expect(isLabelName("a".repeat(1025))).toBe(false);
  });
});

describe("checkRegex", () => {
  it("returns the pattern unchanged when valid RE2", () => {
    for (const re of ["error|fail", "(?i)timeout", "\\d{3}", "[[:alpha:]]+", "\\pL", "(?P<status>\\d+)"]) {
      expect(checkRegex(re)).toBe(re);
    }
  });

  it.each([
    ["a(?=b)", "lookahead"],
    ["(?<!a)b", "lookbehind"],
    ["(a)\\1", "backreference"],
    ["[", "unclosed class"],
    ["a{1001}", "repeat count"],
    ["a**", "nested repetition"],
    ["\\C", "\\C escape"],
  ])("rejects %j (%s)", (re) => {
    expect(code(() => checkRegex(re))).toBe("invalid_regex");
  });

  it("enforces the length bound", () => {
    expect(checkRegex("a".repeat(20), { maxLength: 20 })).toHaveLength(20);
    expect(code(() => checkRegex("a".repeat(21), { maxLength: 20 }))).toBe("invalid_regex");
    expect(code(() => checkRegex("a".repeat(1025)))).toBe("invalid_regex");
  });

  it("reports named groups and can require them", () => {
    expect(regexInfo("(?P<a>x)(?<b>y)(z)").groupNames).toEqual(["a", "b"]);
    expect(code(() => checkRegex("(x)", { requireNamedGroup: true }))).toBe("invalid_regex");
  });
});

describe("durations", () => {
  it.each([
    [1, "1ms"],
    [1000, "1s"],
    [1500, "1s500ms"],
    [300_000, "5m"],
    [5_400_000, "1h30m"],
    [172_800_000, "48h"],
    ["2d", "48h"],
    ["1h30m", "1h30m"],
  ])("formatDuration(%j) = %s", (input, expected) => {
    expect(formatDuration(input)).toBe(expected);
    expect(parseDuration(expected)).toBe(typeof input === "number" ? input : durationMs(input));
  });

  it("parses Prometheus duration strings", () => {
    expect(parseDuration("1w2d3h4m5s6ms")).toBe(((9 * 24 + 3) * 3600 + 4 * 60 + 5) * 1000 + 6);
    expect(parseDuration("1y")).toBe(365 * 86_400_000);
  });

  it.each([["5"], [""], ["5m1h"], ["1.5h"], ["-5m"], ["5 m"], ["5min"]])("rejects %j", (text) => {
    expect(code(() => parseDuration(text))).toBe("invalid_duration");
  });

  it("rejects zero, negative, fractional and huge ranges", () => {
    for (const v of [0, -1, 1.5, Number.NaN, 11 * 365 * 86_400_000])
      expect(code(() => formatDuration(v))).toBe("invalid_duration");
    expect(formatDuration(0, "offset", true)).toBe("0s");
  });

  it("formats label-filter durations down to nanoseconds", () => {
    expect(formatFilterDuration(250)).toBe("250ms");
    expect(formatFilterDuration(0.25)).toBe("250us");
    expect(formatFilterDuration(1.000001)).toBe("1ms1ns");
    expect(formatFilterDuration(0)).toBe("0s");
    expect(code(() => formatFilterDuration(-1))).toBe("invalid_duration");
    expect(code(() => formatFilterDuration(Number.POSITIVE_INFINITY))).toBe("invalid_duration");
  });
});
