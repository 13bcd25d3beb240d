import { describe, expect, it } from "vitest";
import {
  contains,
  durationCmp,
  eq,
  json,
  type LogQuery,
  LogqlError,
  logfmt,
  logQuery,
  type MetricQuery,
  matches,
  neq,
  noErrors,
  notContains,
  numberCmp,
  type Query,
  rangeAgg,
  re,
  render,
  renderStage,
  selector,
  selectorFrom,
  sumBy,
  topk,
  vectorAgg,
} from "../../src/logql/index.ts";

const svc = selector(eq("service_name", "checkout"));
const logs = (...stages: Parameters<typeof logQuery>[1][]): LogQuery => logQuery(svc, ...stages);

const fails = (q: Query): LogqlError => {
  try {
    render(q);
  } catch (e) {
    if (e instanceof LogqlError) return e;
    throw e;
  }
  throw new Error(`rendered without error: ${render(q)}`);
};

describe("log queries", () => {
  it("renders selectors with every matcher operator", () => {
    const q = logQuery(selector(eq("a", "1"), neq("b", "2"), re("c", "x|y"), { label: "d", op: "!~", value: "z.*" }));
    expect(render(q)).toBe('{a="1", b!="2", c=~"x|y", d!~"z.*"}');
    expect(render(logQuery(selectorFrom({ service_name: "api", env: "prod" })))).toBe(
      '{service_name="api", env="prod"}',
    );
  });

  it("renders line filters, including or and regexes", () => {
    expect(render(logs(contains("error", "fail"), notContains("healthz"), matches("timeout|5\\d\\d")))).toBe(
      '{service_name="checkout"} |= "error" or "fail" != "healthz" |~ "timeout|5\\\\d\\\\d"',
    );
    expect(renderStage({ kind: "line_filter", op: "|>", values: ["<_> level=error <_>"] })).toBe(
      '|> "<_> level=error <_>"',
    );
  });

  it("renders parsers", () => {
    expect(render(logs(json()))).toBe('{service_name="checkout"} | json');
    expect(renderStage(json({ label: "user", expression: "req.user.id" }, { label: "status" }))).toBe(
      '| json user="req.user.id", status',
    );
    expect(renderStage(logfmt())).toBe("| logfmt");
    expect(
      renderStage({ kind: "logfmt", strict: true, keepEmpty: true, extract: [{ label: "lvl", expression: "level" }] }),
    ).toBe('| logfmt --strict --keep-empty lvl="level"');
    expect(renderStage({ kind: "pattern", pattern: '<ip> - - <_> "<method> <path> <_>"' })).toBe(
      '| pattern "<ip> - - <_> \\"<method> <path> <_>\\""',
    );
    expect(renderStage({ kind: "regexp", regex: "(?P<status>\\d{3})" })).toBe('| regexp "(?P<status>\\\\d{3})"');
    expect(renderStage({ kind: "unpack" })).toBe("| unpack");
  });

  it("renders label filters of every type, nested with parentheses", () => {
    expect(renderStage(numberCmp("status", ">=", 500))).toBe("| status >= 500");
    expect(renderStage(numberCmp("ratio", "<", -0.5))).toBe("| ratio < -0.5");
    expect(renderStage(durationCmp("latency", ">", 1500))).toBe("| latency > 1s500ms");
    expect(
      renderStage({ kind: "label_filter", filter: { type: "bytes", label: "size", op: ">", bytes: 1048576 } }),
    ).toBe("| size > 1048576B");
    expect(
      renderStage({ kind: "label_filter", filter: { type: "ip", label: "addr", op: "=", value: "10.0.0.0/8" } }),
    ).toBe('| addr=ip("10.0.0.0/8")');
    expect(
      renderStage({
        kind: "label_filter",
        filter: {
          type: "or",
          filters: [
            { type: "string", label: "level", op: "=", value: "error" },
            {
              type: "and",
              filters: [
                { type: "number", label: "status", op: ">=", value: 500 },
                { type: "duration", label: "latency", op: ">", ms: 250 },
              ],
            },
          ],
        },
      }),
    ).toBe('| level="error" or (status >= 500 and latency > 250ms)');
    expect(renderStage(noErrors())).toBe('| __error__=""');
  });

  it("renders formatting stages", () => {
    expect(renderStage({ kind: "line_format", template: '{{.level}} {{.msg | printf "%q"}}' })).toBe(
      '| line_format "{{.level}} {{.msg | printf \\"%q\\"}}"',
    );
    expect(
      renderStage({
        kind: "label_format",
        labels: [
          { label: "svc", rename: "service_name" },
          { label: "x", template: "{{.a}}" },
        ],
      }),
    ).toBe('| label_format svc=service_name, x="{{.a}}"');
    expect(renderStage({ kind: "drop", labels: ["pod", eq("level", "debug")] })).toBe('| drop pod, level="debug"');
    expect(renderStage({ kind: "keep", labels: ["level", "msg"] })).toBe("| keep level, msg");
    expect(renderStage({ kind: "decolorize" })).toBe("| decolorize");
  });

  it("escapes values that look like LogQL", () => {
    const q = logQuery(selector(eq("service_name", '"} or {app=~".*')), contains('" |~ ".*'));
    expect(render(q)).toBe('{service_name="\\"} or {app=~\\".*"} |= "\\" |~ \\".*"');
  });
});

describe("metric queries", () => {
  it("renders count/rate with sum by and topk", () => {
    const errors = logs(contains("error"));
    expect(render(sumBy(["service_name"], rangeAgg("count_over_time", errors, 300_000)))).toBe(
      'sum by (service_name) (count_over_time({service_name="checkout"} |= "error" [5m]))',
    );
    expect(render(topk(5, vectorAgg("sum", rangeAgg("rate", logs(), "1m"), { by: ["pod"] })))).toBe(
      'topk(5, sum by (pod) (rate({service_name="checkout"} [1m])))',
    );
    // app!="" cannot match an empty value, so Loki accepts it as the selecting matcher
    expect(render(logQuery(selector(neq("app", ""))))).toBe('{app!=""}');
    expect(render(topk(3, rangeAgg("bytes_over_time", logs(), "1h"), ["app"]))).toBe(
      'topk by (app) (3, bytes_over_time({service_name="checkout"} [1h]))',
    );
  });

  it("renders quantile_over_time with unwrap, post filters, offset and grouping", () => {
    const q = rangeAgg("quantile_over_time", logs(json()), 300_000, {
      quantile: 0.99,
      unwrap: {
        label: "latency",
        conversion: "duration",
        postFilters: [{ type: "string", label: "__error__", op: "=", value: "" }],
      },
      offset: "1h",
      by: ["route"],
    });
    expect(render(q)).toBe(
      'quantile_over_time(0.99, {service_name="checkout"} | json | unwrap duration(latency) | __error__="" [5m] offset 1h) by (route)',
    );
  });

  it("renders binary expressions (error ratio)", () => {
    const errs = sumBy(
      ["service_name"],
      rangeAgg("count_over_time", logs(json(), numberCmp("status", ">=", 500)), "5m"),
    );
    const all = sumBy(["service_name"], rangeAgg("count_over_time", logs(json()), "5m"));
    const ratio: MetricQuery = { kind: "binary", op: "/", left: errs, right: all, on: ["service_name"] };
    expect(render(ratio)).toBe(
      '(sum by (service_name) (count_over_time({service_name="checkout"} | json | status >= 500 [5m]))) / on (service_name) (sum by (service_name) (count_over_time({service_name="checkout"} | json [5m])))',
    );
    expect(render({ kind: "binary", op: ">", bool: true, left: all, right: { kind: "number", value: 10 } })).toContain(
      ") > bool (10)",
    );
  });
});

describe("render rejects invalid parts with a field and a hint", () => {
  it.each<[string, Query, string, string]>([
    ["empty selector", logQuery(selector()), "empty_compatible_selector", "query.selector"],
    ["empty-compatible selector", logQuery(selector(re("app", ".*"))), "empty_compatible_selector", "query.selector"],
    [
      "only negative",
      logQuery(selector(neq("app", "x"), re("x", ".*"))),
      "empty_compatible_selector",
      "query.selector",
    ],
    [
      "bad label",
      logQuery(selector(eq("service-name", "x"))),
      "invalid_label_name",
      "query.selector.matchers[0].label",
    ],
    ["bad regex", logQuery(selector(re("app", "(?=x)"))), "invalid_regex", "query.selector.matchers[0].value"],
    ["bad line regex", logs(matches("a(")), "invalid_regex", "query.pipeline[0].values[0]"],
    ["lone surrogate", logs(contains("\ud800")), "invalid_string", "query.pipeline[0].values[0]"],
    [
      "no filter values",
      logs({ kind: "line_filter", op: "|=", values: [] }),
      "invalid_query",
      "query.pipeline[0].values",
    ],
    ["NaN", logs(numberCmp("status", ">", Number.NaN)), "invalid_number", "query.pipeline[0].filter.value"],
    ["regexp without names", logs({ kind: "regexp", regex: "(\\d+)" }), "invalid_regex", "query.pipeline[0].regex"],
    [
      "pattern without names",
      logs({ kind: "pattern", pattern: "<_> x" }),
      "invalid_query",
      "query.pipeline[0].pattern",
    ],
    ["missing unwrap", rangeAgg("avg_over_time", logs(), "5m"), "invalid_query", "query.unwrap"],
    [
      "unwrap on count",
      rangeAgg("count_over_time", logs(), "5m", { unwrap: { label: "x" } }),
      "invalid_query",
      "query.unwrap",
    ],
    ["grouping on rate", rangeAgg("rate", logs(), "5m", { by: ["app"] }), "invalid_query", "query.by"],
    [
      "quantile range",
      rangeAgg("quantile_over_time", logs(), "5m", { quantile: 1.5, unwrap: { label: "x" } }),
      "invalid_query",
      "query.quantile",
    ],
    ["bad range", rangeAgg("rate", logs(), "5 minutes"), "invalid_duration", "query.range"],
    ["zero range", rangeAgg("rate", logs(), 0), "invalid_duration", "query.range"],
    ["bad group label", sumBy(["a-b"], rangeAgg("rate", logs(), "5m")), "invalid_label_name", "query.by[0]"],
    ["topk without k", vectorAgg("topk", rangeAgg("rate", logs(), "5m")), "invalid_query", "query.k"],
    ["sort by", vectorAgg("sort", rangeAgg("rate", logs(), "5m"), { by: ["a"] }), "invalid_query", "query.by"],
    [
      "by and without",
      vectorAgg("sum", rangeAgg("rate", logs(), "5m"), { by: ["a"], without: ["b"] }),
      "invalid_query",
      "query",
    ],
  ])("%s", (_name, q, expectedCode, field) => {
    const err = fails(q);
    expect(err.code).toBe(expectedCode);
    expect(err.field).toBe(field);
    expect(err.hint.length).toBeGreaterThan(10);
  });
});
