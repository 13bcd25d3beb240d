import { describe, expect, it } from "vitest";
import {
  assertScoped,
  eq,
  findSelectors,
  isBroadMatcher,
  isMatchAll,
  LOKI_MAX_QUERY_BYTES,
  LogqlError,
  matchesEmpty,
  neq,
  re,
  scopeRawQuery,
  selector,
  tokenize,
  validateRawQuery,
} from "../../src/logql/index.ts";

const required = [eq("service_name", "checkout")];
const scope = (q: string) => scopeRawQuery(q, required).logql;
const error = (fn: () => unknown): LogqlError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof LogqlError) return e;
    throw e;
  }
  throw new Error("expected a LogqlError");
};

describe("tokenize", () => {
  it("keeps braces inside strings, raw strings, comments and ranges out of the structure", () => {
    const { tokens, comments } = tokenize('{a="}{"} |= `{x}` # {b="c"}\n| json');
    expect(tokens.map((t) => t.text)).toEqual(["{", "a", "=", '"}{"', "}", "|=", "`{x}`", "|", "json"]);
    expect(tokens[3]?.value).toBe("}{");
    expect(comments).toHaveLength(1);
  });

  it("decodes escapes in strings", () => {
    const { tokens } = tokenize('"a\\"b\\\\\\n\\u00e9"');
    expect(tokens[0]?.value).toBe('a"b\\\né');
  });

  it("reads numbers, durations, bytes, ranges and operators", () => {
    const { tokens } = tokenize('rate({a="b"} | size > 1.5KiB or latency >= 250ms [1h30m]) == 1e+3');
    expect(tokens.map((t) => `${t.kind}:${t.text}`)).toContain("number:1.5KiB");
    expect(tokens.map((t) => `${t.kind}:${t.text}`)).toContain("number:250ms");
    expect(tokens.map((t) => `${t.kind}:${t.text}`)).toContain("range:[1h30m]");
    expect(tokens.map((t) => `${t.kind}:${t.text}`)).toContain("punct:>=");
    expect(tokens.at(-1)?.text).toBe("1e+3");
  });

  it.each([
    ["{a='b'}", "single-quoted"],
    ['{a="b"} /* x */', "comments"],
    ['{a="b"} // x', "comments"],
    ['{a="b} ', "unterminated"],
    ['{a="b\nc"}', "unterminated"],
    ["{a=`b}", "unterminated raw"],
    ['rate({a="b"}[5m)', "missing ]"],
    ['{a="b"} |= "\\q"', "invalid escape"],
    ['{a="b"}\0', "NUL"],
    ['{a="b"} @', "unexpected character"],
    ['{ä="b"}', "unexpected character"],
    ['{a="b"}\u00a0', "unexpected character"],
    ['{a="\ud800"}', "surrogate"],
  ])("rejects %j", (q, message) => {
    const err = error(() => tokenize(q));
    expect(err.message).toContain(message);
    expect(err.position).toBeTypeOf("number");
  });
});

describe("findSelectors", () => {
  it("finds every selector of a metric query", () => {
    const sels = findSelectors(tokenize('sum(rate({a="1"}[5m])) / sum(rate({b=~"2", c!~`3`}[5m]))').tokens);
    expect(sels.map((s) => s.matchers)).toEqual([[eq("a", "1")], [re("b", "2"), { label: "c", op: "!~", value: "3" }]]);
  });

  it.each([
    ["{}", "empty stream selector"],
    ['{a="b"', "expected , or }"],
    ['{a="b",}', "expected a label name"],
    ["{a=b}", "expected a quoted value"],
    ['{a=="b"}', "expected =, !=, =~ or !~"],
    ['{a="b" or c="d"}', "expected , or }"],
    ['{a="b"}}', "unexpected }"],
    ['{a="b", {c="d"}}', "expected a label name"],
  ])("rejects %j", (q, message) => {
    expect(error(() => findSelectors(tokenize(q).tokens)).message).toContain(message);
  });
});

describe("validateRawQuery", () => {
  it("accepts log and metric queries", () => {
    expect(validateRawQuery('{app="api"} |= "error" | json | status >= 500').selectors).toHaveLength(1);
    expect(validateRawQuery("vector(1)").selectors).toHaveLength(0);
    expect(validateRawQuery('{app!=""}').selectors).toHaveLength(1);
  });

  it.each([
    ["", "invalid_query", "empty"],
    ["   # only a comment", "invalid_query", "empty"],
    ['{app=~".*"}', "empty_compatible_selector", "no matcher"],
    ['{app!="x"}', "empty_compatible_selector", "no matcher"],
    ['{app="a"} or {b=~".*"}', "empty_compatible_selector", "selector 2"],
    ['{app=~"(?=x)"}', "invalid_regex", "RE2"],
    ['{app="a"} |~ "a++"', "invalid_regex", "RE2"],
    ['{app="a"} |~ "ok" or "(?<!x)"', "invalid_regex", "RE2"],
    ['{app="a"} | regexp "(\\\\d+)"', "invalid_regex", "named capture"],
    ['rate({app="a"}[5 m])', "invalid_query", "invalid range"],
    ['rate({app="a"}[0s])', "invalid_query", "invalid range"],
    ['sum(rate({app="a"}[5m])', "invalid_query", "unclosed ("],
    ['sum rate({app="a"}[5m]))', "invalid_query", "unexpected )"],
  ])("rejects %j", (q, expectedCode, message) => {
    const err = error(() => validateRawQuery(q));
    expect(err.code).toBe(expectedCode);
    expect(err.message).toContain(message);
    expect(err.hint.length).toBeGreaterThan(10);
  });

  it("enforces Loki's query size limit in UTF-8 bytes", () => {
    const q = (n: number) => `{app="${"é".repeat(n)}"}`;
    expect(() => validateRawQuery(q(2550))).not.toThrow(); // 9 + 5100 bytes
    expect(error(() => validateRawQuery(q(2556))).code).toBe("query_too_long");
    expect(LOKI_MAX_QUERY_BYTES).toBe(5119);
  });
});

describe("scopeRawQuery", () => {
  it("ANDs the required matchers into a log query", () => {
    expect(scope('{app="api"} |= "error"')).toBe('{service_name="checkout", app="api"} |= "error"');
  });

  it("scopes every selector of a metric query, and drops comments", () => {
    const q = 'sum(rate({app="a"} |= "}" # {x="y"}\n[5m])) / sum(rate({app=~"a|b", env!="dev"}[5m]))';
    expect(scopeRawQuery(q, required)).toEqual({
      logql:
        'sum(rate({service_name="checkout", app="a"} |= "}" \n[5m])) / sum(rate({service_name="checkout", app=~"a|b", env!="dev"}[5m]))',
      selectors: 2,
    });
  });

  it("keeps caller values exactly, re-quoting backtick and escaped literals", () => {
    expect(scope('{app=`a\\b`, msg="x\\"y\\u00e9"}')).toBe('{service_name="checkout", app="a\\\\b", msg="x\\"yé"}');
  });

  it("does not duplicate a required matcher the caller already has", () => {
    expect(scope('{service_name="checkout", app="x"}')).toBe('{service_name="checkout", app="x"}');
  });

  it("cannot be widened by a conflicting matcher on the same label", () => {
    expect(scope('{service_name="payments"}')).toBe('{service_name="checkout", service_name="payments"}');
    expect(scope('{service_name=~".+"}')).toBe('{service_name="checkout", service_name=~".+"}');
  });

  it("handles a comment inside a selector", () => {
    expect(scope('{app="a", # note }\n env="b"}')).toBe('{service_name="checkout", app="a", env="b"}');
  });

  it("leaves queries without selectors alone", () => {
    expect(scopeRawQuery("vector(1) + 1", required)).toEqual({ logql: "vector(1) + 1", selectors: 0 });
  });

  it.each(['{app="a"} |= "x" } {app="b"', '{app="a"} /* */ {app="b"}', "{app='a'}", '{app="a"} |= "a\nb"'])(
    "refuses injection attempt %j",
    (q) => {
      expect(() => scope(q)).toThrow(LogqlError);
    },
  );

  it("treats selector-looking text inside a string as the string it is", () => {
    expect(scope('{app="a"} |= "\\"} {b=\\"c"')).toBe('{service_name="checkout", app="a"} |= "\\"} {b=\\"c"');
  });

  it("validates the required matchers", () => {
    expect(error(() => scopeRawQuery('{a="b"}', [eq("bad-name", "x")])).code).toBe("invalid_label_name");
  });

  it("refuses when scoping makes the query too long", () => {
    const q = `{app="${"a".repeat(5100)}"}`;
    expect(error(() => scope(q)).code).toBe("query_too_long");
  });
});

describe("assertScoped", () => {
  it("accepts Loki's reformatted output of a scoped query", () => {
    expect(() => assertScoped('sum(rate({app="a", service_name="checkout"}[5m]))', required)).not.toThrow();
    expect(() => assertScoped("vector(1)", required)).not.toThrow();
  });

  it("refuses a selector without the required matcher", () => {
    const err = error(() => assertScoped('{service_name="checkout"} or {app="b"}', required));
    expect(err.code).toBe("scope_violation");
    expect(err.position).toBe(29);
  });
});

describe("isMatchAll and matchesEmpty", () => {
  it.each([
    [[re("app", ".*")], true],
    [[re("app", ".+")], true],
    [[re("app", "(?s).*"), neq("env", "dev")], true],
    [[neq("app", "x")], true],
    [[{ label: "app", op: "!~", value: "a.*" } as const], true],
    [[eq("app", "")], true],
    [[], true],
    [[eq("app", "x")], false],
    [[re("app", "a.*")], false],
    [[re("app", ".*"), eq("env", "prod")], false],
    [[re("app", "[a-z]+")], false],
  ])("isMatchAll(%j) = %s", (matchers, expected) => {
    expect(isMatchAll(selector(...matchers))).toBe(expected);
    expect(isMatchAll(matchers)).toBe(expected);
  });

  it("matchesEmpty follows Loki's empty-compatible rule", () => {
    expect(matchesEmpty(eq("a", ""))).toBe(true);
    expect(matchesEmpty(eq("a", "x"))).toBe(false);
    expect(matchesEmpty(neq("a", ""))).toBe(false);
    expect(matchesEmpty(neq("a", "x"))).toBe(true);
    expect(matchesEmpty(re("a", ".*"))).toBe(true);
    expect(matchesEmpty(re("a", ".+"))).toBe(false);
    expect(matchesEmpty({ label: "a", op: "!~", value: ".+" })).toBe(true);
    expect(isBroadMatcher(re("a", "x|.*"))).toBe(true);
  });
});
