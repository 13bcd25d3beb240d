import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cached } from "../../src/cache/cached.ts";
import { bypassRequested, setCacheStatus } from "../../src/cache/http.ts";
import { cacheKey } from "../../src/cache/key.ts";
import { RedisCache } from "../../src/cache/redis.ts";
import { generateKey, sha256Hex } from "../../src/http/auth/keys.ts";
import { appendKeyEntry } from "../../src/http/auth/keys-file.ts";
import { type Auth, createAuth } from "../../src/http/auth/middleware.ts";
import { errorHandler } from "../../src/http/errors.ts";
import { silentLogger } from "../../src/log.ts";
import { NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { eventually, lokiClient, runId, services } from "../harness/services.ts";

// A key's tenant becomes X-Scope-OrgID (through LokiClient.withTenant) and is
// part of the cache key: the same request with two keys never sees the other
// tenant's lines, not even through the cache.
describe("API key → tenant → Loki and cache, on the multi-tenant Loki and Redis", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "auth-tenant-"));
  const file = path.join(dir, "keys.yaml");
  const tenantA = runId("acme");
  const tenantB = runId("globex");
  const keyA = generateKey();
  const keyB = generateKey();
  const loki = lokiClient(services().lokiMtUrl);
  let cache: RedisCache;
  let auth: Auth;
  let app: Hono;
  let computes = 0;

  beforeAll(async () => {
    await appendKeyEntry(file, { id: "a", sha256: sha256Hex(keyA), tenant: tenantA, scopes: ["read"] });
    await appendKeyEntry(file, { id: "b", sha256: sha256Hex(keyB), tenant: tenantB, scopes: ["read"] });
    auth = createAuth({ mode: "keys", keysFile: file, logger: silentLogger });
    cache = new RedisCache({ url: services().redisUrl });
    const t = nowNs() - NS_PER_S;
    await loki.withTenant(tenantA).push([{ stream: { service_name: "checkout" }, values: [[t, "line of A"]] }]);
    await loki.withTenant(tenantB).push([{ stream: { service_name: "checkout" }, values: [[t, "line of B"]] }]);

    app = new Hono();
    app.use("*", auth.middleware);
    app.get("/lines", auth.requireScope("read"), async (c) => {
      const { tenant } = c.get("auth");
      const end = nowNs();
      const range = { start: end - 300n * NS_PER_S, end };
      const key = cacheKey({ tenant, endpoint: "lines", params: { service: "checkout" }, range, alignMs: 10_000 });
      const result = await cached(
        cache,
        key,
        30,
        async () => {
          computes++;
          const d = await loki.withTenant(tenant).queryRange({ query: `{service_name="checkout"}`, ...range });
          return d.resultType === "streams" ? d.result.flatMap((s) => s.values.map((v) => v[1])) : [];
        },
        { bypass: bypassRequested(c), shouldStore: (lines) => lines.length > 0 },
      );
      setCacheStatus(c, result.status);
      return c.json(result.value);
    });
    app.onError(errorHandler(silentLogger));
  });
  afterAll(async () => {
    auth?.close();
    await Promise.allSettled([cache?.close(), loki.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = (key: string, headers: Record<string, string> = {}) =>
    app.request("/lines", { headers: { Authorization: `Bearer ${key}`, ...headers } });

  it("serves each key its own tenant's lines, from Loki then from the cache", async () => {
    const a = await eventually(async () => {
      const res = await lines(keyA);
      const body = (await res.json()) as string[];
      return body.length ? { res, body } : undefined;
    });
    expect(a.body).toEqual(["line of A"]);
    expect(a.res.headers.get("x-cache")).toBe("MISS");

    const b = await eventually(async () => {
      const res = await lines(keyB);
      const body = (await res.json()) as string[];
      return body.length ? { res, body } : undefined;
    });
    expect(b.body).toEqual(["line of B"]);
    expect(b.res.headers.get("x-cache")).toBe("MISS");

    const again = await lines(keyA);
    expect(again.headers.get("x-cache")).toBe("HIT");
    expect(await again.json()).toEqual(["line of A"]);

    const before = computes;
    const fresh = await lines(keyA, { "Cache-Control": "no-cache" });
    expect(fresh.headers.get("x-cache")).toBe("BYPASS");
    expect(await fresh.json()).toEqual(["line of A"]);
    expect(computes).toBe(before + 1);
  });

  it("answers 401 without a key, before any Loki call", async () => {
    const before = computes;
    const res = await app.request("/lines");
    expect(res.status).toBe(401);
    expect(computes).toBe(before);
  });
});
