import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Generated, generateScenario, type IncidentKind } from "../../scripts/datagen/generator.ts";
import { seedLoki } from "../../scripts/datagen/seed.ts";
import { MEDIA, SHOP, type Topology } from "../../scripts/datagen/topology.ts";
import type { QueryAnswer } from "../../src/query/types.ts";
import { buildTestApp, getJson, lokiClient, type QueryParams, runId, services } from "../harness/services.ts";

/**
 * The query engine on the real (multi-tenant) Loki: each seeded system lives
 * in its own tenant, so tests never see each other's lines.
 */
const MIN = 60_000;
const now = Date.now();

interface Case {
  topology: Topology;
  root: string;
  kind: IncidentKind;
}
const CASES: Case[] = [
  { topology: SHOP, root: "inventory-db", kind: "db_pool_exhausted" },
  { topology: SHOP, root: "ledger", kind: "disk_full" },
  { topology: SHOP, root: "payments", kind: "oom_crash" },
  { topology: MEDIA, root: "keystore", kind: "tls_expired" },
  { topology: MEDIA, root: "search", kind: "slow_queries" },
];

const tenants = new Map<Case, { tenant: string; generated: Generated }>();
const apps: Array<ReturnType<typeof buildTestApp>> = [];

beforeAll(async () => {
  const { lokiMtUrl } = services();
  await Promise.all(
    CASES.map(async (c, i) => {
      const tenant = runId(`q${i}`);
      const generated = generateScenario({
        topology: c.topology,
        start: now - 30 * MIN,
        end: now - MIN,
        rps: 1,
        seed: 100 + i,
        incidents: [{ service: c.root, kind: c.kind, start: now - 20 * MIN, end: now - 12 * MIN }],
      });
      const loki = lokiClient(lokiMtUrl, tenant);
      await seedLoki(loki, generated);
      await loki.close();
      tenants.set(c, { tenant, generated });
    }),
  );
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

function appFor(tenant: string) {
  const t = buildTestApp({ LOKI_URL: services().lokiMtUrl, LOKI_TENANT: tenant });
  apps.push(t);
  return t.app;
}

const get = (app: ReturnType<typeof appFor>, query: QueryParams) =>
  getJson<QueryAnswer & Record<string, any>>(app, "/api/v1/ai_logs/query", query);

describe("troubleshoot names the seeded root cause as likely_origin", () => {
  it.each(CASES.map((c) => [`${c.topology.name}: ${c.kind} in ${c.root}`, c] as const))("%s", async (_name, c) => {
    const { tenant } = tenants.get(c)!;
    const app = appFor(tenant);
    const { status, body } = await get(app, { mode: "troubleshoot", since: "40m" });
    expect(status).toBe(200);
    if (body.likely_origin?.service !== c.root) console.log(JSON.stringify(body.likely_origin, null, 1));
    expect(body.likely_origin?.service).toBe(c.root);
    expect(body.likely_origin?.evidence.length).toBeGreaterThan(0);
    // The loudest error (the entry service's 502s) is not the answer.
    const loudest = body.groups?.[0];
    expect(loudest?.services).not.toContain(c.root);
    // Every answer carries the contract fields.
    // troubleshoot reads Loki's detected level (one fast query) unless lines without a level flood it
    expect(body.logql).toMatch(/\| detected_level!~"trace\|debug\|info"$/);
    expect(body.stats.lines_scanned).toBeGreaterThan(0);
    expect(body.tokens).toBeLessThanOrEqual(4000);
    expect(Array.isArray(body.hints)).toBe(true);
    expect(body.dropped).toBeDefined();
  });
});
