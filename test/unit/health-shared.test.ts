import { describe, expect, it } from "vitest";
import { MemoryCache } from "../../src/cache/memory.ts";
import { sharedHealthCheck } from "../../src/health/service.ts";
import type { LokiClient } from "../../src/loki/client.ts";

/** A stand-in for the Loki client's two health calls, counting how often /health reaches it. */
function countingLoki() {
  const calls = { ready: 0 };
  const loki = {
    url: "http://loki.invalid",
    ready: async () => {
      calls.ready++;
      await new Promise((r) => setTimeout(r, 20));
      return { ready: true, message: "ready" };
    },
    buildInfo: async () => ({ version: "3.7.8" }),
  } as unknown as LokiClient;
  return { loki, calls };
}

describe("sharedHealthCheck", () => {
  it("shares one check among concurrent probes and reuses it within reuseMs", async () => {
    const { loki, calls } = countingLoki();
    const check = sharedHealthCheck({ loki, cache: new MemoryCache(1 << 20), startedAt: Date.now() }, 1_000, 200);
    const reports = await Promise.all(Array.from({ length: 50 }, () => check()));
    expect(calls.ready).toBe(1);
    expect(reports.every((r) => r.status === "ok")).toBe(true);
    await check();
    expect(calls.ready).toBe(1);
    await new Promise((r) => setTimeout(r, 250));
    await check();
    expect(calls.ready).toBe(2);
  });

  it("with reuseMs=0 shares only a check in flight", async () => {
    const { loki, calls } = countingLoki();
    const check = sharedHealthCheck({ loki, cache: new MemoryCache(1 << 20), startedAt: Date.now() }, 1_000, 0);
    await Promise.all([check(), check(), check()]);
    expect(calls.ready).toBe(1);
    await check();
    expect(calls.ready).toBe(2);
  });
});
