import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalRedis, startRedis } from "../../scripts/lib/local-redis.ts";
import { RedisCache } from "../../src/cache/redis.ts";
import { errorHandler } from "../../src/http/errors.ts";
import { classifyByPath } from "../../src/http/rate-limit/classify.ts";
import { rateLimit } from "../../src/http/rate-limit/middleware.ts";
import { silentLogger } from "../../src/log.ts";
import { closeClients, eventually, redisClients, runId } from "../harness/services.ts";

const P = "/api/v1/ai_logs";

/** One "API instance": a tiny app whose limiter uses this Redis client (as the app uses the cache's). */
function instance(cache: RedisCache, keyPrefix: string) {
  const app = new Hono();
  app.use(
    "*",
    rateLimit({
      redis: cache.client,
      cheap: { points: 4, durationS: 60 },
      heavy: { points: 2, durationS: 60 },
      classify: classifyByPath,
      keyOf: (c) => c.req.header("x-test-key") ?? "anonymous",
      keyPrefix,
    }),
  );
  app.get(`${P}/labels`, (c) => c.json({ ok: true }));
  app.get(`${P}/query`, (c) => c.json({ ok: true }));
  app.onError(errorHandler(silentLogger));
  return app;
}

const get = (app: Hono, path: string, key = "k1") => app.request(path, { headers: { "X-Test-Key": key } });

describe("rateLimit on the suite's Redis", () => {
  let c1: RedisCache;
  let c2: RedisCache;
  beforeAll(async () => {
    [c1, c2] = (await redisClients(2)) as [RedisCache, RedisCache];
  });
  afterAll(() => closeClients(c1, c2));

  it("shares one budget across API instances, keeps cheap and heavy apart, and answers 429 with headers", async () => {
    const prefix = runId("rl");
    const a = instance(c1, prefix);
    const b = instance(c2, prefix);
    expect((await get(a, `${P}/query`)).status).toBe(200);
    const second = await get(b, `${P}/query`);
    expect(second.status).toBe(200);
    expect(second.headers.get("ratelimit-remaining")).toBe("0");

    const limited = await get(a, `${P}/query`);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get("ratelimit-limit")).toBe("2");
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    expect(Number(limited.headers.get("ratelimit-reset"))).toBe(retryAfter);
    expect(await limited.json()).toMatchObject({ status: 429, hint: expect.stringMatching(/^Retry after/) });

    const cheap = await get(b, `${P}/labels`);
    expect(cheap.status).toBe(200);
    expect(cheap.headers.get("ratelimit-limit")).toBe("4");
    expect(cheap.headers.get("ratelimit-remaining")).toBe("3");
    // The counter lives in Redis, under the key id and the class.
    expect(await c1.client.get(`${prefix}:heavy:k1`)).toBe("3");
  });
});

describe("rateLimit while Redis stops and comes back", () => {
  let redis: LocalRedis;
  let cache: RedisCache;
  beforeAll(async () => {
    redis = await startRedis(); // its own, since this test stops it
    cache = new RedisCache({ url: redis.url });
    await cache.ping(AbortSignal.timeout(5_000));
  });
  afterAll(async () => {
    await cache?.close();
    await redis?.stop();
  });

  it("falls back to an in-memory budget without failing a request, then uses Redis again", async () => {
    const prefix = runId("rlfb");
    const app = instance(cache, prefix);
    expect((await get(app, `${P}/labels`, "before")).status).toBe(200);
    expect(await cache.client.get(`${prefix}:cheap:before`)).toBe("1");

    await redis.stop();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await get(app, `${P}/labels`, "during");
      statuses.push(res.status);
      expect(res.headers.get("ratelimit-limit")).toBe("4");
    }
    // Still limited (memory), never a 5xx.
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);

    await redis.start(); // same port, empty data
    await eventually(async () => (cache.isUp ? true : undefined), 15_000, 100);
    const res = await get(app, `${P}/labels`, "after");
    expect(res.status).toBe(200);
    expect(await cache.client.get(`${prefix}:cheap:after`)).toBe("1");
  });
});
