import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateScenario } from "../../scripts/datagen/generator.ts";
import { seedLoki } from "../../scripts/datagen/seed.ts";
import { SHOP } from "../../scripts/datagen/topology.ts";
import type { Problem } from "../../src/http/problem.ts";
import { loadPatternLibrary } from "../../src/patterns/library/index.ts";
import type { PatternsService } from "../../src/patterns/routes.ts";
import type { LearnedService, PatternsAnswer } from "../../src/patterns/service.ts";
import { minerKey } from "../../src/patterns/store.ts";
import { buildTestApp, getJson, lokiClient, type QueryParams, runId, services } from "../harness/services.ts";

const MIN = 60_000;
const now = Date.now();
const tenant = runId("patterns");
const POOL = /connection pool exhausted: waited <\*>ms for a connection \(active=<\*> max=<\*>\)/;
const incident = {
  service: "inventory-db",
  kind: "db_pool_exhausted" as const,
  start: now - 20 * MIN,
  end: now - 12 * MIN,
};
let t: ReturnType<typeof buildTestApp>;
let patterns: PatternsService;
let poolLines: bigint[] = [];

beforeAll(async () => {
  const loki = lokiClient(services().lokiMtUrl, tenant);
  const shop = generateScenario({
    topology: SHOP,
    start: now - 30 * MIN,
    end: now - MIN,
    rps: 1,
    seed: 7,
    incidents: [incident],
  });
  poolLines = shop.records
    .filter((r) => r.labels.job === "shop/inventory-db" && r.line.includes("connection pool exhausted"))
    .map((r) => r.tsNs);
  await seedLoki(loki, shop);
  await loki.close();
  t = buildTestApp({ LOKI_URL: services().lokiMtUrl, LOKI_TENANT: tenant });
  patterns = t.deps.learned; // the app's own service, as wired by createApp
});
afterAll(async () => {
  await t?.close();
});

const get = (query: QueryParams) => getJson<PatternsAnswer>(t.app, "/api/v1/ai_logs/patterns", query);
const problem = (query: QueryParams) => getJson<Problem>(t.app, "/api/v1/ai_logs/patterns", query);
const poolOf = (s: LearnedService | undefined) => s?.templates.find((x) => POOL.test(x.template));

describe("GET /patterns on the real Loki", () => {
  it("shows the seeded incident's template under inventory-db with its count, series and library pattern", async () => {
    expect(poolLines.length).toBeGreaterThan(50);
    const { status, body } = await get({ service: "inventory-db", since: "40m", step: "1m", max_tokens: "20000" });
    expect(status).toBe(200);
    expect(body.learned!.map((s) => s.service)).toEqual(["inventory-db"]);
    const db = body.learned![0]!;
    const pool = poolOf(db)!;
    expect(pool, JSON.stringify(db.templates.map((x) => x.template))).toBeDefined();
    expect(pool.count).toBe(poolLines.length);
    expect(pool.series.reduce((a, b) => a + b, 0)).toBe(pool.count);
    expect(pool.series).toHaveLength(body.buckets!.count);
    expect(body.buckets!.step).toBe("1m");
    // The series puts the lines where the incident was: no line before it started.
    const bucketOfIncident = Math.floor((incident.start - Date.parse(body.buckets!.start)) / MIN);
    expect(pool.series.slice(0, bucketOfIncident).every((n) => n === 0)).toBe(true);
    const sorted = [...poolLines].sort((a, b) => (a < b ? -1 : 1));
    const [first, last] = [sorted[0]!, sorted.at(-1)!];
    expect(pool.first_seen).toBe(new Date(Number(first / 1_000_000n)).toISOString());
    expect(pool.last_seen).toBe(new Date(Number(last / 1_000_000n)).toISOString());
    expect(pool.examples.length).toBeGreaterThanOrEqual(1);
    expect(pool.examples.length).toBeLessThanOrEqual(3);
    expect(pool.examples[0]).toContain("connection pool exhausted");
    const waits = pool.params?.find((p) => p.top.some((v) => /^\d{4}$/.test(v.value)));
    expect(waits?.distinct).toBeGreaterThan(10);
    expect(pool.library).toMatchObject({ id: "conn-pool-exhausted", severity: "critical" });
    expect(pool.library?.remediation).toMatch(/connection/);
    expect(pool.seen_total).toBe(pool.count);
    expect(db.learned_now).toBe(db.lines);
    expect(body.stats?.truncated).toBe(false);
    // Without library filters, the library section lists what these templates matched.
    expect(body.library.selection).toBe("matched");
    expect(body.library.patterns.map((x) => x.id)).toContain("conn-pool-exhausted");
    expect(body.tokens).toBeLessThanOrEqual(20_000);
    // Loki's own patterns, beside them (best effort: rows, or a note saying why there are none).
    expect(body.loki).toHaveLength(1);
    const loki = body.loki![0]!;
    expect(loki.service).toBe("inventory-db");
    expect(loki.selector).toMatch(/^\{\w+="shop\/inventory-db"\}$/);
    if (loki.patterns.length === 0) expect(loki.note).toBeTruthy();
    else {
      // Loki's pattern for the same lines, on the same buckets (Loki aligns samples to the step, as we do).
      const lokiPool = loki.patterns.find((p) => p.pattern.includes("connection pool exhausted"))!;
      expect(lokiPool.level).toBe("warn");
      expect(lokiPool.count).toBeGreaterThan(0);
      expect(lokiPool.count).toBeLessThanOrEqual(poolLines.length);
      expect(lokiPool.series).toHaveLength(pool.series.length);
    }
  });

  it("learns each line once: a second call counts the same, and the miner's snapshot is saved per tenant", async () => {
    const { body } = await get({ service: "inventory-db", since: "40m" }); // the default budget
    expect(body.tokens).toBeLessThanOrEqual(4000);
    const db = body.learned![0]!;
    const pool = poolOf(db)!;
    expect(pool.count).toBe(poolLines.length);
    expect(pool.seen_total).toBe(poolLines.length);
    expect(db.learned_now).toBe(0);
    await patterns.store.flush();
    const saved = (await t.deps.cache.getVersioned(minerKey(tenant, "inventory-db"))).value;
    expect(JSON.parse(saved!).snapshot.clusters.length).toBeGreaterThan(0);
  });

  it("with a range and no service: every service's problem templates, within a small max_tokens", async () => {
    const { body } = await get({ since: "40m", max_tokens: "1500", include_loki: "false" });
    expect(body.tokens).toBeLessThanOrEqual(1500);
    expect(body.loki).toEqual([]);
    const names = body.learned!.map((s) => s.service);
    expect(names).toEqual(expect.arrayContaining(["inventory-db", "checkout"]));
    expect(body.dropped.notes.length).toBeGreaterThan(0);
  });

  it("lists the library filtered by category and severity", async () => {
    const library = await loadPatternLibrary();
    const { status, body } = await get({ category: "connection", severity: "critical" });
    expect(status).toBe(200);
    expect(body.library.patterns.map((p) => p.id)).toEqual(["conn-pool-exhausted"]);
    expect(body.learned).toBeUndefined();
    expect(body.library.selection).toBe("filters");
    // Filters apply beside learned templates too.
    const both = await get({ service: "inventory-db", since: "40m", category: "security", include_loki: "false" });
    expect(both.body.library.selection).toBe("filters");
    expect(both.body.library.patterns.every((x) => x.category === "security")).toBe(true);
    expect(both.body.learned![0]!.service).toBe("inventory-db");
    const all = await get({ category: "security,ai", max_tokens: "50000" });
    expect(all.body.library.total).toBe(library.select({ category: ["security", "ai"] }).length);
    expect(new Set(all.body.library.patterns.map((p) => p.category))).toEqual(new Set(["security", "ai"]));
  });

  it("answers bad inputs with problem+json and a hint", async () => {
    const bad = await problem({ category: "network" });
    expect(bad.status).toBe(400);
    expect(bad.type).toMatch(/application\/problem\+json/);
    expect(bad.body.hint).toBeTruthy();
    const step = await problem({ service: "inventory-db", since: "1h", step: "1s" });
    expect(step.status).toBe(400);
    expect(step.body.hint).toMatch(/step=/);
    const range = await problem({ service: "inventory-db", since: "soon" });
    expect(range.status).toBe(400);
    expect(range.body.type).toMatch(/bad-time/);
  });

  it("on Redis: a restarted app restores the learned miner at start and does not learn the same lines again", async () => {
    const env = { LOKI_URL: services().lokiMtUrl, LOKI_TENANT: tenant, REDIS_URL: services().redisUrl };
    const query = `/api/v1/ai_logs/patterns?${new URLSearchParams({ service: "inventory-db", since: "40m", include_loki: "false" })}`;
    const first = buildTestApp(env);
    const a = (await (await first.app.request(query)).json()) as PatternsAnswer;
    expect(a.learned![0]!.learned_now).toBe(a.learned![0]!.lines);
    await first.close(); // closing the app flushes the miners' snapshots to Redis

    const second = buildTestApp(env);
    const two = second.deps.learned;
    try {
      expect(await two.restoreAll()).toBeGreaterThanOrEqual(1);
      const b = (await (await second.app.request(query)).json()) as PatternsAnswer;
      expect(b.learned![0]!.learned_now).toBe(0);
      expect(poolOf(b.learned![0])!.seen_total).toBe(poolLines.length);
    } finally {
      await second.close();
    }
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await (await t.app.request("/api/v1/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(doc.paths["/api/v1/ai_logs/patterns"]).toBeDefined();
  });
});
