import { describe, expect, it } from "vitest";
import { parseBytes } from "../../src/config.ts";
import { eq, LogqlError, re } from "../../src/logql/index.ts";
import { catalogBytes } from "../../src/query/discovery.ts";
import { formatBytes, matcherSelector, refuseMatchAll, selectorsOf } from "../../src/query/guardrail.ts";
import { thrown } from "./helpers/thrown.ts";

describe("formatBytes", () => {
  it("uses decimal units", () => {
    expect(formatBytes(0)).toBe("0B");
    expect(formatBytes(999)).toBe("999B");
    expect(formatBytes(1000)).toBe("1.0KB");
    expect(formatBytes(1500)).toBe("1.5KB");
    expect(formatBytes(10_000)).toBe("10KB");
    expect(formatBytes(123_456_789)).toBe("123MB");
    expect(formatBytes(10e9)).toBe("10GB");
    expect(formatBytes(2.5e12)).toBe("2.5TB");
  });

  it("stops at TB", () => {
    expect(formatBytes(5e15)).toBe("5000TB");
  });

  it("round-trips through parseBytes for whole values", () => {
    for (const n of [0, 999, 10_000, 500e6, 10e9, 3e12]) expect(parseBytes(formatBytes(n))).toBe(n);
  });
});

describe("refuseMatchAll", () => {
  it("refuses a selector that matches every stream with 422 query-too-broad", () => {
    const e = thrown(() => refuseMatchAll('{a=~".+"}'));
    expect(e.status).toBe(422);
    expect(e.slug).toBe("query-too-broad");
    expect(e.detail).toContain('{a=~".+"}');
    expect(e.hint).toContain("service_name=");
  });

  it("refuses negative-only selectors and names the broad one inside a metric query", () => {
    expect(thrown(() => refuseMatchAll('{app!="x"}')).status).toBe(422);
    const e = thrown(() => refuseMatchAll('sum(rate({app="x"}[5m])) / sum(rate({job=~".*", env!="dev"}[5m]))'));
    expect(e.detail.startsWith('{job=~".*", env!="dev"}')).toBe(true);
  });

  it("accepts a selector with a positive matcher", () => {
    expect(() => refuseMatchAll('{app="x"}')).not.toThrow();
    expect(() => refuseMatchAll('{app="x", env=~".+"} |= "error"')).not.toThrow();
    expect(() => refuseMatchAll('{service_name=~"checkout|payments"}')).not.toThrow();
  });

  it("lets LogQL syntax errors through as LogqlError", () => {
    expect(() => refuseMatchAll('{app="x"')).toThrow(LogqlError);
  });
});

describe("selectorsOf", () => {
  it("renders every selector of a metric query", () => {
    expect(
      selectorsOf('sum by (app) (rate({app="x", env="prod"} |= "err" [5m])) / sum(count_over_time({job=~"a|b"}[5m]))'),
    ).toEqual(['{app="x", env="prod"}', '{job=~"a|b"}']);
  });

  it("normalizes spacing and quoting", () => {
    expect(selectorsOf("{app = `x`}")).toEqual(['{app="x"}']);
  });

  it("returns the single selector of a log query", () => {
    expect(selectorsOf('{app="x"} | json | level="error"')).toEqual(['{app="x"}']);
  });
});

describe("matcherSelector", () => {
  it("renders matchers as a selector", () => {
    expect(matcherSelector([eq("service_name", "checkout"), re("env", "prod|staging")])).toBe(
      '{service_name="checkout", env=~"prod|staging"}',
    );
  });
});

describe("parseBytes (src/config.ts)", () => {
  it("reads decimal and binary units, any case, with or without a space", () => {
    expect(parseBytes("10GB")).toBe(10e9);
    expect(parseBytes("500MB")).toBe(500e6);
    expect(parseBytes("1kb")).toBe(1000);
    expect(parseBytes("2 TB")).toBe(2e12);
    expect(parseBytes("1KiB")).toBe(1024);
    expect(parseBytes("1.5 MiB")).toBe(1.5 * 1024 ** 2);
    expect(parseBytes("1gib")).toBe(1024 ** 3);
    expect(parseBytes("1TiB")).toBe(1024 ** 4);
  });

  it("reads a bare number as bytes", () => {
    expect(parseBytes("500")).toBe(500);
    expect(parseBytes("12B")).toBe(12);
    expect(parseBytes(" 7 ")).toBe(7);
    expect(parseBytes("0")).toBe(0);
  });

  it.each(["", "GB", "-1GB", "10 XB", "1e9", "ten", "1,000", "10GBs", "1.GB"])("refuses %j", (v) => {
    expect(() => parseBytes(v)).toThrow(/must be a size like 500MB or 10GB/);
  });
});

describe("catalogBytes", () => {
  const catalog = {
    label: "service_name",
    labelNames: ["service_name"],
    services: [
      { name: "a", label: "service_name", values: ["a"], bytes: 1_000 },
      { name: "b", label: "service_name", values: ["shop/b"], bytes: 234 },
    ],
  };
  it("sums the services' volumes for the every-service selector, the estimate Loki would give", () => {
    expect(catalogBytes(catalog, ['{service_name=~".+"}'])).toBe(1_234);
  });
  it("knows nothing of any other selector", () => {
    expect(catalogBytes(catalog, ['{service_name="a"}'])).toBeUndefined();
    expect(catalogBytes(catalog, ['{app=~".+"}'])).toBeUndefined();
    expect(catalogBytes(catalog, ['{service_name=~".+"}', '{service_name="a"}'])).toBeUndefined();
  });
});
