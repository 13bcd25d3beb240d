import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GeneratedRecord } from "../../scripts/datagen/generator.ts";
import { generateScenario } from "../../scripts/datagen/generator.ts";
import { seedLoki } from "../../scripts/datagen/seed.ts";
import { SHOP } from "../../scripts/datagen/topology.ts";
import { buildTestApp, getJson, lokiClient, type QueryParams, runId, services } from "../harness/services.ts";

/**
 * /analyze on the real Loki. The last hour of a shop: the window is the last 30 minutes, the baseline the
 * 30 before. In the window inventory-db's connection pool runs out (its callers fail loudly); a harmless new
 * error at `search` starts four minutes before it; notifications' locale error runs all along (steady); and
 * `accounts` logs failed logins for a handful of users all along, with a user never seen before in the window.
 */

const MIN = 60_000;
const now = Date.now();
const tenant = runId("analyze");
let t: ReturnType<typeof buildTestApp>;

const textLine = (service: string, ms: number, line: string, i: number, region = "eu-west-1"): GeneratedRecord => ({
  labels: { service_name: service, env: "prod", region },
  tsNs: BigInt(Math.round(ms)) * 1_000_000n + BigInt(i),
  line,
});

function extras(): GeneratedRecord[] {
  const out: GeneratedRecord[] = [];
  const users = ["alice", "bob", "carol", "dave", "erin"];
  let i = 0;
  for (let ms = now - 60 * MIN; ms < now - MIN; ms += 20_000) {
    const user = ms > now - 10 * MIN && i % 4 === 0 ? "mallory" : users[i % users.length];
    out.push(textLine("accounts", ms, `level=error msg="login failed for user ${user}: invalid password"`, i++));
  }
  for (let ms = now - 24 * MIN; ms < now - 22 * MIN; ms += 15_000) {
    out.push(textLine("search", ms, 'level=error msg="cache warmup skipped: snapshot bucket not configured"', i++));
  }
  // orders runs in three regions all hour; 8 to 4 minutes ago its errors spike, nearly all in eu-west-2.
  const regions = ["eu-west-1", "eu-west-2", "us-east-1"];
  for (let ms = now - 60 * MIN; ms < now - MIN; ms += 2_000) {
    out.push(textLine("orders", ms, `level=info msg="order ${i} stored"`, i++, regions[i % 3]));
    if (i % 40 === 0)
      out.push(textLine("orders", ms + 1, `level=error msg="order ${i} rejected: card declined"`, i++, regions[i % 3]));
  }
  for (let ms = now - 8 * MIN; ms < now - 4 * MIN; ms += 1_000) {
    const region = i % 10 === 0 ? "us-east-1" : "eu-west-2";
    out.push(
      textLine("orders", ms + 7, `level=error msg="order ${i} failed: stock service returned 503"`, i++, region),
    );
  }
  return out;
}

beforeAll(async () => {
  const loki = lokiClient(services().lokiMtUrl, tenant);
  const shop = generateScenario({
    topology: SHOP,
    start: now - 61 * MIN,
    end: now - MIN,
    rps: 1,
    seed: 5,
    incidents: [{ service: "inventory-db", kind: "db_pool_exhausted", start: now - 20 * MIN, end: now - 12 * MIN }],
  });
  await seedLoki(loki, [shop, { records: extras(), requests: 0, failed: 0, incidents: [] }]);
  await loki.close();
  t = buildTestApp({ LOKI_URL: services().lokiMtUrl, LOKI_TENANT: tenant });
});
afterAll(() => t?.close());

const get = (query: QueryParams) => getJson(t.app, "/api/v1/ai_logs/analyze", query);
type F = { kind: string; service: string; template?: string; severity: string; evidence: any; summary: string };
const indexOf = (findings: F[], pred: (f: F) => boolean) => findings.findIndex(pred);

describe("GET /analyze", () => {
  let body: { findings: F[]; [k: string]: any };
  beforeAll(async () => {
    const res = await get({ since: "30m", end: String(Math.floor(now / 1000)), max_tokens: "20000" });
    expect(res.status).toBe(200);
    body = res.body as typeof body;
    if (process.env.ANALYZE_DUMP) console.log(JSON.stringify(body, null, 1));
  });

  it("the incident is a new template at inventory-db, ranked first, and a library hit there", () => {
    const pool = (f: F) => f.service === "inventory-db" && /connection pool exhausted/.test(f.template ?? "");
    const first = body.findings[0]!;
    expect(pool(first)).toBe(true);
    expect(first.kind).toBe("new");
    expect(first.evidence.baseline_count).toBe(0);
    expect(first.evidence.count).toBeGreaterThan(50);
    expect(first.evidence.examples.length).toBeGreaterThanOrEqual(1);
    expect(first.evidence.examples.length).toBeLessThanOrEqual(3);
    expect(first.evidence.logql).toContain("inventory-db");
    expect(first.summary).toMatch(/inventory/);
    const hit = body.findings.find((f) => f.kind === "library" && f.service === "inventory-db");
    expect(hit).toBeDefined();
    expect(hit!.summary).toMatch(/conn-pool-exhausted/);
    // Its callers' failures are symptoms, ranked below it.
    const caller = indexOf(body.findings, (f) => f.service === "inventory" && f.kind === "new");
    expect(caller).toBeGreaterThan(0);
  });

  it("a harmless new error minutes before the incident elsewhere ranks below the incident", () => {
    const search = indexOf(body.findings, (f) => f.service === "search");
    expect(search).toBeGreaterThan(-1);
    expect(body.findings[search]!.kind).toBe("new");
    const hit = indexOf(body.findings, (f) => f.kind === "library" && f.service === "inventory-db");
    expect(search).toBeGreaterThan(hit);
  });

  it("a steady pre-existing error is steady, not new, and ranks last", () => {
    const locale = body.findings.filter((f) => /missing locale/.test(f.template ?? ""));
    expect(locale).toHaveLength(1);
    expect(locale[0]).toMatchObject({ kind: "steady", severity: "low" });
    expect(locale[0]!.evidence.baseline_count).toBeGreaterThan(100);
    const firstSteady = indexOf(body.findings, (f) => f.kind === "steady");
    const steadyOrKnown = (f: F) => f.kind === "steady" || (f.kind === "library" && f.severity === "low");
    expect(body.findings.slice(firstSteady).every(steadyOrKnown)).toBe(true);
  });

  it("a new user name in an existing message is not a new template", () => {
    const logins = body.findings.filter((f) => f.service === "accounts" && f.template !== undefined);
    expect(logins).toHaveLength(1);
    expect(logins[0]!.kind).not.toBe("new");
    expect(logins[0]!.template).toMatch(/login failed for user <\*>/);
    // Its library hit (authentication failures) runs at the baseline's rate: low, among the steady findings.
    const hit = body.findings.find((f) => f.service === "accounts" && f.kind === "library");
    expect(hit?.severity).toBe("low");
    const search = indexOf(body.findings, (f) => f.service === "search");
    expect(indexOf(body.findings, (f) => f === hit)).toBeGreaterThan(search);
  });

  it("error spikes come from Loki's counts, with the first bucket in the incident", () => {
    const spikes = body.findings.filter((f) => f.kind === "spike" && f.summary.startsWith("Error"));
    expect(spikes.map((s) => s.service)).toEqual(expect.arrayContaining(["inventory"]));
    const first = Date.parse(spikes.find((s) => s.service === "inventory")!.evidence.first_seen);
    expect(first).toBeGreaterThanOrEqual(now - 21 * MIN);
    expect(first).toBeLessThanOrEqual(now - 11 * MIN);
    expect(body.findings.find((f) => f.service === "notifications" && f.kind === "spike")).toBeUndefined();
  });

  it("what distinguishes a spike: the over-represented label value, with its corrected p-value", () => {
    const found = body.findings.filter((f) => f.kind === "distinguishing" && f.service === "orders");
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found[0]!.summary).toMatch(/^region=eu-west-2 /);
    expect(found[0]!.evidence.p_value).toBeLessThan(0.01);
    expect(found[0]!.evidence.ratio).toBeGreaterThan(2);
    expect(found[0]!.evidence.logql).toContain('region="eu-west-2"');
    // The other regions are not over-represented.
    expect(found.some((f) => /region=(eu-west-1|us-east-1)/.test(f.summary))).toBe(false);
  });

  it("answers the contract: range, baseline, tokens, dropped, hints", () => {
    expect(body.baseline.kind).toBe("previous");
    expect(Date.parse(body.baseline.end)).toBe(Date.parse(body.range.start));
    expect(typeof body.tokens).toBe("number");
    expect(body.dropped).toMatchObject({ findings: 0, examples: 0 });
    expect(Array.isArray(body.hints)).toBe(true);
  });

  it("a small max_tokens drops steady findings first and says so", async () => {
    const { status, body: small } = await get({
      since: "30m",
      end: String(Math.floor(now / 1000)),
      max_tokens: "1500",
    });
    expect(status).toBe(200);
    expect(small.tokens).toBeLessThanOrEqual(1500);
    expect(small.findings.some((f: F) => f.kind === "steady")).toBe(false);
    expect(small.dropped.notes.join(" ")).toMatch(/steady/);
    expect(small.findings[0].service).toBe("inventory-db");
  });

  it("baseline=day compares with the same window a day earlier, and says when it is empty", async () => {
    const { status, body: day } = await get({ since: "30m", end: String(Math.floor(now / 1000)), baseline: "day" });
    expect(status).toBe(200);
    expect(Date.parse(day.range.start) - Date.parse(day.baseline.start)).toBe(86_400_000);
    expect(day.hints.join(" ")).toMatch(/baseline has no problem lines/);
    expect(day.findings.some((f: F) => f.kind === "steady" || f.kind === "rising")).toBe(false);
  });

  it("bad parameters are a 400 with a hint", async () => {
    const { status, body: problem } = await get({ since: "30m", baseline: "week" });
    expect(status).toBe(400);
    expect(JSON.stringify(problem)).toMatch(/previous, day/);
  });
});
