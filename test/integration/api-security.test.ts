import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalRedis, startRedis } from "../../scripts/lib/local-redis.ts";
import { generateKey, sha256Hex } from "../../src/http/auth/keys.ts";
import { appendKeyEntry } from "../../src/http/auth/keys-file.ts";
import { NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { startCountingProxy } from "../harness/counting-proxy.ts";
import { buildTestApp, lokiClient, runId, services } from "../harness/services.ts";

/**
 * Issue 5's guarantees through the real app: API keys → tenants on the
 * multi-tenant Loki, the Redis cache, rate limits and the cost guardrail.
 */
const dir = mkdtempSync(path.join(tmpdir(), "api-security-"));
const keysFile = path.join(dir, "keys.yaml");
const tenantA = runId("acme");
const tenantB = runId("globex");
const keyA = generateKey();
const keyB = generateKey();
const keyIngestOnly = generateKey();

let proxy: Awaited<ReturnType<typeof startCountingProxy>>;
let redis: LocalRedis;
let t: ReturnType<typeof buildTestApp>;

beforeAll(async () => {
  await appendKeyEntry(keysFile, { id: "a", sha256: sha256Hex(keyA), tenant: tenantA, scopes: ["read"] });
  await appendKeyEntry(keysFile, { id: "b", sha256: sha256Hex(keyB), tenant: tenantB, scopes: ["read"] });
  await appendKeyEntry(keysFile, { id: "i", sha256: sha256Hex(keyIngestOnly), tenant: tenantA, scopes: ["ingest"] });
  const loki = lokiClient(services().lokiMtUrl);
  const ts = nowNs() - 30n * NS_PER_S;
  for (const [tenant, who] of [
    [tenantA, "A"],
    [tenantB, "B"],
  ] as const) {
    await loki.withTenant(tenant).push([
      {
        stream: { service_name: "checkout", env: "prod" },
        values: Array.from({ length: 20 }, (_, i) => [
          ts + BigInt(i),
          `level=error msg="payment of tenant ${who} failed" n=${i}`,
        ]),
      },
    ]);
  }
  await loki.close();
  proxy = await startCountingProxy(services().lokiMtUrl);
  redis = await startRedis();
  t = buildTestApp({ LOKI_URL: proxy.url, REDIS_URL: redis.url, API_KEYS_FILE: keysFile });
});
afterAll(async () => {
  await t?.close();
  await proxy?.close();
  await redis?.stop();
});

const call = (url: string, key?: string, headers: Record<string, string> = {}) =>
  t.app.request(url, { headers: { ...(key ? { Authorization: `Bearer ${key}` } : {}), ...headers } });

describe("API keys → tenants", () => {
  it("each key sees only its tenant's lines, even with the same service names", async () => {
    for (const [key, mine, theirs] of [
      [keyA, "tenant A", "tenant B"],
      [keyB, "tenant B", "tenant A"],
    ] as const) {
      const res = await call("/api/v1/ai_logs/query?service=checkout&since=10m&limit=100", key);
      expect(res.status).toBe(200);
      const lines = ((await res.json()) as { lines: Array<{ line: string }> }).lines.map((l) => l.line);
      expect(lines).toHaveLength(20);
      expect(lines.every((l) => l.includes(mine) && !l.includes(theirs))).toBe(true);
    }
  });

  it("raw LogQL cannot reach another tenant", async () => {
    const logql = encodeURIComponent('{env="prod"} |= "tenant B"');
    const res = await call(`/api/v1/ai_logs/query?logql=${logql}&since=10m`, keyA);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { lines: unknown[] }).lines).toEqual([]);
  });

  it("/services lists only the key's tenant", async () => {
    const res = await call("/api/v1/ai_logs/services?since=10m", keyA);
    const body = (await res.json()) as { services: Array<{ name: string; lines: number }> };
    expect(body.services.map((s) => [s.name, s.lines])).toEqual([["checkout", 20]]);
  });

  it("/patterns learns and shows only the key's tenant's lines", async () => {
    for (const [key, mine, theirs] of [
      [keyA, "tenant A", "tenant B"],
      [keyB, "tenant B", "tenant A"],
    ] as const) {
      const res = await call("/api/v1/ai_logs/patterns?service=checkout&since=10m&include_loki=false", key);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain(mine);
      expect(text).not.toContain(theirs);
    }
  });

  it("401 without a key or with an unknown one (same body), 403 without the scope", async () => {
    const none = await call("/api/v1/ai_logs/query?since=10m");
    const unknown = await call("/api/v1/ai_logs/query?since=10m", generateKey());
    expect(none.status).toBe(401);
    expect(unknown.status).toBe(401);
    const [a, b] = [(await none.json()) as Record<string, unknown>, (await unknown.json()) as Record<string, unknown>];
    expect({ ...a, request_id: 0 }).toEqual({ ...b, request_id: 0 });
    const forbidden = await call("/api/v1/ai_logs/query?since=10m", keyIngestOnly);
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get("content-type")).toBe("application/problem+json");
  });

  it("/health needs no key", async () => {
    expect((await call("/api/v1/ai_logs/health")).status).toBe(200);
  });
});

describe("Redis cache", () => {
  it("answers a second identical /query from the cache with the same body", async () => {
    const url = "/api/v1/ai_logs/query?mode=errors&service=checkout&since=10m";
    const first = await call(url, keyA);
    const second = await call(url, keyA);
    expect(first.headers.get("x-cache")).toBe("MISS");
    expect(second.headers.get("x-cache")).toBe("HIT");
    expect(await second.text()).toBe(await first.text());
    const bypass = await call(url, keyA, { "Cache-Control": "no-cache" });
    expect(bypass.headers.get("x-cache")).toBe("BYPASS");
  });

  it("keeps a recent range for seconds and an old one for hours", async () => {
    await call("/api/v1/ai_logs/query?service=checkout&since=5m&format=compact", keyB);
    await call("/api/v1/ai_logs/query?service=checkout&start=now-3d&end=now-2d&format=compact", keyB);
    const client = new Redis(redis.url);
    const keys = await client.keys(`*${encodeURIComponent(tenantB)}*query*`);
    const ttls = (await Promise.all(keys.filter((k) => !k.endsWith(":lock")).map((k) => client.ttl(k)))).sort(
      (x, y) => x - y,
    );
    client.disconnect();
    expect(ttls[0]).toBeLessThanOrEqual(30);
    expect(ttls.at(-1)).toBeGreaterThan(3600);
  });

  it("runs 20 concurrent identical /query requests as one computation (the Loki reads of one request)", async () => {
    proxy.reset();
    const url = "/api/v1/ai_logs/query?service=checkout&since=10m&contains=payment&format=compact";
    const responses = await Promise.all(Array.from({ length: 20 }, () => call(url, keyA)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const reads = proxy.count("/loki/api/v1/query_range");
    // The same request once more, computed afresh: one computation reads exactly as much.
    proxy.reset();
    const alone = await call(url, keyA, { "Cache-Control": "no-cache" });
    expect(alone.status).toBe(200);
    expect(alone.headers.get("x-cache")).toBe("BYPASS");
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBe(proxy.count("/loki/api/v1/query_range"));
    expect(responses.filter((r) => r.headers.get("x-cache") === "MISS")).toHaveLength(1);
  });

  it("fails no request while Redis is stopped, and caches again once it is back", async () => {
    const url = (i: number) => `/api/v1/ai_logs/query?service=checkout&since=10m&limit=${i}`;
    await redis.stop();
    const during = await Promise.all(Array.from({ length: 10 }, (_, i) => call(url(i + 1), keyA)));
    expect(during.map((r) => r.status)).toEqual(Array(10).fill(200));
    await redis.start();
    await new Promise((r) => setTimeout(r, 1_500)); // the client reconnects on its own
    await call(url(50), keyA);
    const again = await call(url(50), keyA);
    expect(again.status).toBe(200);
    expect(again.headers.get("x-cache")).toBe("HIT");
  });
});

describe("guardrails and rate limits", () => {
  it("refuses a raw selector that matches every stream with 422 and a hint", async () => {
    const res = await call(`/api/v1/ai_logs/query?logql=${encodeURIComponent('{env=~".+"}')}&since=10m`, keyA);
    expect(res.status).toBe(422);
    const body = (await res.json()) as { detail: string; hint: string };
    expect(body.detail).toMatch(/every stream/);
    expect(body.hint).toMatch(/positive matcher/);
    // Selectors that could match an empty value are already invalid LogQL (Loki's own rule): 400.
    const empty = await call(`/api/v1/ai_logs/query?logql=${encodeURIComponent('{env=~".*"}')}&since=10m`, keyA);
    expect(empty.status).toBe(400);
  });

  it("refuses a query whose estimated bytes exceed the budget, with the estimate", async () => {
    const small = buildTestApp({ LOKI_URL: services().lokiMtUrl, LOKI_TENANT: tenantA, QUERY_MAX_BYTES: "100B" });
    const res = await small.app.request("/api/v1/ai_logs/query?service=checkout&since=10m");
    await small.close();
    expect(res.status).toBe(422);
    const body = (await res.json()) as { detail: string; hint: string };
    expect(body.detail).toMatch(/estimates \d+(\.\d)?[KM]?B .* over the budget of 100B/);
    expect(body.hint).toMatch(/add a service|shorten the range/);
  });

  it("answers 429 with Retry-After and RateLimit-* past the heavy budget, /services included; /health is never limited", async () => {
    const limited = buildTestApp({ LOKI_URL: services().lokiMtUrl, LOKI_TENANT: tenantA, RATE_LIMIT_HEAVY: "3/1m" });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i++) {
      last = await limited.app.request(`/api/v1/ai_logs/query?service=checkout&since=10m&limit=${i + 1}`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(last!.headers.get("ratelimit-limit")).toBe("3");
    expect(last!.headers.get("ratelimit-remaining")).toBe("0");
    expect(((await last!.json()) as { hint: string }).hint).toMatch(/retry/i);
    // /services counts every stream: it draws from the heavy budget too; /health is never limited.
    expect((await limited.app.request("/api/v1/ai_logs/services?since=10m")).status).toBe(429);
    expect((await limited.app.request("/api/v1/ai_logs/health")).status).toBe(200);
    await limited.close();
  });
});
