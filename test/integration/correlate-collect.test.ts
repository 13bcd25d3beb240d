import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateScenario } from "../../scripts/datagen/generator.ts";
import { failedRequests, withIdVariations } from "../../scripts/datagen/ids.ts";
import { seedLoki } from "../../scripts/datagen/seed.ts";
import { SHOP } from "../../scripts/datagen/topology.ts";
import { CORRELATE_DEFAULTS, type CollectContext, collectRequest, collectWindow } from "../../src/correlate/collect.ts";
import { loadPatternLibrarySync } from "../../src/patterns/library/index.ts";
import { ServiceDiscovery } from "../../src/query/discovery.ts";
import { lokiClient, runId, services } from "../harness/services.ts";

/** Collection alone, on the real Loki: every line of an id across id styles, and nothing else; caps said. */
const MIN = 60_000;
const now = Date.now();
const tenant = runId("collect");
const generated = withIdVariations(
  generateScenario({
    topology: SHOP,
    start: now - 20 * MIN,
    end: now - 2 * MIN,
    rps: 1,
    seed: 13,
    incidents: [{ service: "inventory-db", kind: "db_pool_exhausted", start: now - 15 * MIN, end: now - 8 * MIN }],
  }),
  {
    entry: "gateway",
    styles: { gateway: "traceId", checkout: "correlation_id", inventory: "x-request-id", payments: "metadata" },
  },
);
const library = loadPatternLibrarySync();
const loki = lokiClient(services().lokiMtUrl, tenant);
const ctx = (more: Partial<CollectContext["settings"]> = {}): CollectContext => ({
  loki,
  discovery: new ServiceDiscovery(),
  patterns: library,
  settings: { maxRangeMs: 7 * 86_400_000, maxBytes: 1e12, pageSize: 5000, ...CORRELATE_DEFAULTS, ...more },
});

beforeAll(async () => {
  await seedLoki(loki, generated);
});
afterAll(() => loki.close());

/** The records of one id as generated (whatever the style, the id is in the line or its metadata). */
const linesOf = (id: string) =>
  generated.records.filter((r) => r.line.includes(id) || Object.values(r.metadata ?? {}).includes(id));

describe("collect", () => {
  it("request: every line of the id across styles, none of another, with service and template", async () => {
    const failed = failedRequests(generated.records, "gateway").filter((f) => f.ms > now - 14 * MIN);
    const id = failed[0]!.id;
    const got = await collectRequest(ctx(), id, { since: "30m" });
    const expected = linesOf(id);
    expect(got.lines.length).toBe(expected.length);
    expect(new Set(got.lines.map((l) => l.line))).toEqual(new Set(expected.map((r) => r.line)));
    expect(got.lines.every((l) => l.id === id)).toBe(true);
    expect(got.stats.truncated).toBe(false);
    const services = new Set(got.lines.map((l) => l.service));
    expect(services).toContain("inventory-db");
    expect(services).toContain("gateway");
    const pool = got.lines.find((l) => l.service === "inventory-db" && l.level === "warn");
    expect(pool?.template).toMatch(/connection pool exhausted/);
    expect(pool?.pattern?.id).toBe("conn-pool-exhausted");
    expect(pool?.pattern?.remediation.length).toBeGreaterThan(20);
    expect(got.lines.filter((l) => l.level === "info").every((l) => l.template === undefined)).toBe(true);
    // In time order, oldest first.
    for (let i = 1; i < got.lines.length; i++) expect(got.lines[i]!.ts >= got.lines[i - 1]!.ts).toBe(true);
  });

  it("request: the window read is bounded by the line cap, and the hint says so", async () => {
    const id = failedRequests(generated.records, "gateway")[0]!.id;
    const got = await collectRequest(ctx({ requestMaxLines: 2 }), id, { since: "30m" });
    expect(got.stats.truncated).toBe(true);
    expect(got.stats.returned).toBe(2);
    expect(got.hints.join(" ")).toMatch(/cap of 2 lines/);
  });

  it("window: lines with their ids, and problem lines without one (notifications)", async () => {
    const got = await collectWindow(ctx(), {
      start: new Date(now - 15 * MIN).toISOString(),
      end: new Date(now - 8 * MIN).toISOString(),
    });
    const withId = got.lines.filter((l) => l.id !== undefined);
    expect(withId.length).toBeGreaterThan(1000);
    expect(withId.every((l) => /^[0-9a-f]{32}$/.test(l.id!))).toBe(true);
    const noId = got.lines.filter((l) => l.id === undefined);
    expect(noId.length).toBeGreaterThan(0);
    expect(noId.every((l) => l.service === "notifications" && l.level === "error")).toBe(true);
    // payments' lines carry the id only in metadata: read once each, by the metadata leg.
    const payments = got.lines.filter((l) => l.service === "payments");
    expect(payments.length).toBeGreaterThan(0);
    expect(new Set(payments.map((l) => `${l.ts}|${l.line}`)).size).toBe(payments.length);
  });

  it("window: the line cap bounds the read", async () => {
    const got = await collectWindow(ctx({ windowMaxLines: 500 }), { since: "30m" });
    expect(got.stats.truncated).toBe(true);
    expect(got.stats.returned).toBe(500);
    expect(got.hints.join(" ")).toMatch(/cap of 500 lines/);
  });
});
