import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

describe("loadConfig", () => {
  it("has working defaults", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ PORT: 8080, HOST: "127.0.0.1", LOKI_URL: "http://127.0.0.1:3100", LOG_LEVEL: "info" });
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.LOKI_TENANT).toBeUndefined();
  });

  it("reads every variable", () => {
    const c = loadConfig({
      PORT: "9000",
      HOST: "0.0.0.0",
      LOKI_URL: "http://loki:3100/",
      LOKI_TENANT: "team-a",
      REDIS_URL: "redis://redis:6379/0",
      LOG_LEVEL: "debug",
      LOKI_TIMEOUT_MS: "5000",
      HEALTH_TIMEOUT_MS: "700",
    });
    expect(c).toMatchObject({
      PORT: 9000,
      HOST: "0.0.0.0",
      LOKI_URL: "http://loki:3100",
      LOKI_TENANT: "team-a",
      REDIS_URL: "redis://redis:6379/0",
      LOKI_TIMEOUT_MS: 5000,
      HEALTH_TIMEOUT_MS: 700,
    });
  });

  it("QUERY_CONCURRENCY: 4 by default, a whole number from 1 to 32", () => {
    expect(loadConfig({}).QUERY_CONCURRENCY).toBe(4);
    expect(loadConfig({ QUERY_CONCURRENCY: "1" }).QUERY_CONCURRENCY).toBe(1);
    expect(loadConfig({ QUERY_CONCURRENCY: "32" }).QUERY_CONCURRENCY).toBe(32);
    for (const bad of ["0", "33", "2.5", "four"]) {
      expect(() => loadConfig({ QUERY_CONCURRENCY: bad }), bad).toThrow(/QUERY_CONCURRENCY/);
    }
  });

  it("names every bad variable and what it expects", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "80x", LOKI_URL: "loki:3100", LOKI_TIMEOUT_MS: "-1", LOKI_TENANT: "a b" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toMatch(/PORT must be a TCP port number 0-65535, got "80x"/);
    expect(problems).toMatch(/LOKI_URL must use http: or https:/);
    expect(problems).toMatch(/LOKI_TIMEOUT_MS must be a positive whole number of milliseconds/);
    expect(problems).toMatch(/LOKI_TENANT must be a Loki tenant id/);
  });

  it("rejects a port out of range", () => {
    expect(() => loadConfig({ PORT: "70000" })).toThrow(/PORT/);
  });
});

describe("CURSOR_KEYS and SERVICES_MAX_RANGE", () => {
  it("reads comma-separated cursor secrets in order, unset meaning none", () => {
    expect(loadConfig({}).CURSOR_KEYS).toBeUndefined();
    expect(loadConfig({ CURSOR_KEYS: " new-secret-0123456789 , old-secret-0123456789 " }).CURSOR_KEYS).toEqual([
      "new-secret-0123456789",
      "old-secret-0123456789",
    ]);
  });

  it("refuses a short secret without echoing it", () => {
    let error: unknown;
    try {
      loadConfig({ CURSOR_KEYS: "long-enough-secret-0123,hunter2" });
    } catch (e) {
      error = e;
    }
    const problems = (error as ConfigError).problems.join("\n");
    expect(problems).toMatch(/CURSOR_KEYS secret 2 is shorter than 16 characters/);
    expect(problems).not.toContain("hunter2");
  });

  it("caps /services at a day by default", () => {
    expect(loadConfig({}).SERVICES_MAX_RANGE).toBe(86_400_000);
    expect(loadConfig({ SERVICES_MAX_RANGE: "6h" }).SERVICES_MAX_RANGE).toBe(21_600_000);
    expect(() => loadConfig({ SERVICES_MAX_RANGE: "soon" })).toThrow(/SERVICES_MAX_RANGE/);
  });
});
