import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { errorHandler } from "../../src/http/errors.ts";
import { parseBudget } from "../../src/http/rate-limit/budget.ts";
import { classifyByPath, keyOfAuth } from "../../src/http/rate-limit/classify.ts";
import { type RateLimitOptions, rateLimit } from "../../src/http/rate-limit/middleware.ts";
import { silentLogger } from "../../src/log.ts";

const P = "/api/v1/ai_logs";

function tinyApp(overrides: Partial<RateLimitOptions> = {}) {
  const app = new Hono();
  app.use(
    "*",
    rateLimit({
      cheap: { points: 3, durationS: 60 },
      heavy: { points: 2, durationS: 60 },
      classify: classifyByPath,
      keyOf: (c) => c.req.header("x-test-key") ?? "anonymous",
      ...overrides,
    }),
  );
  app.get(`${P}/labels`, (c) => c.json({ ok: true }));
  app.get(`${P}/query`, (c) => c.json({ ok: true }));
  app.get(`${P}/health`, (c) => c.json({ ok: true }));
  app.get(`${P}/raw`, () => new Response("raw"));
  app.get(`${P}/boom`, () => {
    throw new Error("boom");
  });
  app.get("/api/v1/openapi.json", (c) => c.json({}));
  app.onError(errorHandler(silentLogger));
  return app;
}

const get = (app: Hono, path: string, key = "k1") => app.request(path, { headers: { "X-Test-Key": key } });
const rl = (res: Response) => ({
  limit: res.headers.get("ratelimit-limit"),
  remaining: res.headers.get("ratelimit-remaining"),
  reset: Number(res.headers.get("ratelimit-reset")),
});

describe("rateLimit (in memory)", () => {
  it("sends RateLimit-* on successes and 429 with Retry-After after the budget", async () => {
    const app = tinyApp();
    for (const remaining of ["2", "1", "0"]) {
      const res = await get(app, `${P}/labels`);
      expect(res.status).toBe(200);
      expect(rl(res)).toMatchObject({ limit: "3", remaining });
      expect(rl(res).reset).toBeGreaterThan(0);
      expect(rl(res).reset).toBeLessThanOrEqual(60);
      expect(res.headers.get("ratelimit-policy")).toBe("3;w=60");
    }
    const res = await get(app, `${P}/labels`);
    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(rl(res)).toMatchObject({ limit: "3", remaining: "0", reset: retryAfter });
    expect(await res.json()).toMatchObject({
      type: "urn:logsleuth:problem:rate-limited",
      status: 429,
      hint: expect.stringMatching(/^Retry after \d+ s \(at \d{4}-/),
    });
  });

  it("keeps cheap and heavy budgets separate, and keys separate", async () => {
    const app = tinyApp();
    expect((await get(app, `${P}/query`)).status).toBe(200);
    expect((await get(app, `${P}/query`)).status).toBe(200);
    const heavy = await get(app, `${P}/query`);
    expect(heavy.status).toBe(429);
    expect(await heavy.json()).toMatchObject({ detail: expect.stringContaining("heavy budget of 2") });
    // Cheap calls still work, with their own count.
    const cheap = await get(app, `${P}/labels`);
    expect(cheap.status).toBe(200);
    expect(rl(cheap)).toMatchObject({ limit: "3", remaining: "2" });
    // Another key has its own budgets.
    expect((await get(app, `${P}/query`, "k2")).status).toBe(200);
  });

  it("adds the headers to error responses and handler-built responses, and not outside the API", async () => {
    const app = tinyApp();
    const failed = await get(app, `${P}/boom`);
    expect(failed.status).toBe(500);
    expect(rl(failed).limit).toBe("3");
    const raw = await get(app, `${P}/raw`);
    expect(await raw.text()).toBe("raw");
    expect(rl(raw).limit).toBe("3");
    const doc = await get(app, "/api/v1/openapi.json");
    expect(doc.headers.get("ratelimit-limit")).toBeNull();
  });

  it("lets the window reset", async () => {
    const app = tinyApp({ cheap: { points: 1, durationS: 1 } });
    expect((await get(app, `${P}/labels`)).status).toBe(200);
    expect((await get(app, `${P}/labels`)).status).toBe(429);
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await get(app, `${P}/labels`)).status).toBe(200);
  });
});

describe("/health is never limited", () => {
  it("answers probes after every budget is spent, without RateLimit-* headers", async () => {
    const app = tinyApp();
    for (let i = 0; i < 5; i++) await get(app, `${P}/labels`, "anonymous");
    for (let i = 0; i < 5; i++) await get(app, `${P}/query`, "anonymous");
    expect((await get(app, `${P}/labels`, "anonymous")).status).toBe(429);
    for (let i = 0; i < 20; i++) {
      const res = await get(app, `${P}/health`, "anonymous");
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit-limit")).toBeNull();
    }
  });

  it("/services draws from the heavy budget", async () => {
    const app = tinyApp();
    app.get(`${P}/services`, (c) => c.json({ ok: true }));
    expect((await get(app, `${P}/services`)).headers.get("ratelimit-limit")).toBe("2");
  });
});

describe("classification and keys", () => {
  const ctx = (path: string, auth?: { keyId: string }) =>
    ({ req: { path }, get: (name: string) => (name === "auth" ? auth : undefined) }) as never;

  it.each([
    [`${P}/query`, "heavy"],
    [`${P}/analyze`, "heavy"],
    [`${P}/export`, "heavy"],
    [`${P}/conversations/abc`, "heavy"],
    [`${P}/services`, "heavy"],
    [`${P}/labels`, "cheap"],
    [`${P}/health`, "none"],
    [`${P}/patterns`, "heavy"],
    ["/api/v1/openapi.json", "none"],
    ["/metrics", "none"],
  ])("%s is %s", (path, cls) => {
    expect(classifyByPath(ctx(path))).toBe(cls);
  });

  it("limits by key id, never by the key", () => {
    expect(keyOfAuth(ctx(`${P}/query`, { keyId: "k_abc" }))).toBe("key:k_abc");
    expect(keyOfAuth(ctx(`${P}/query`))).toBe("anonymous");
  });
});

describe("parseBudget", () => {
  it("reads requests per window", () => {
    expect(parseBudget("300/1m")).toEqual({ points: 300, durationS: 60 });
    expect(parseBudget(" 30 / 90s ")).toEqual({ points: 30, durationS: 90 });
    expect(parseBudget("1000/1h")).toEqual({ points: 1000, durationS: 3600 });
  });

  it.each([
    ["300", /not a budget/],
    ["0/1m", /at least 1/],
    ["10/1x", /window must be a duration/],
    ["10/500ms", /whole seconds/],
  ])("rejects %j", (spec, message) => {
    expect(() => parseBudget(spec)).toThrow(message);
  });
});
