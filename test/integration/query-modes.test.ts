import { countTokens } from "gpt-tokenizer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditEvents, conversationLogs } from "../../scripts/datagen/extras.ts";
import { generateScenario } from "../../scripts/datagen/generator.ts";
import { seedLoki } from "../../scripts/datagen/seed.ts";
import { SHOP } from "../../scripts/datagen/topology.ts";
import { nowNs } from "../../src/loki/time.ts";
import { buildTestApp, getJson, lokiClient, type QueryParams, runId, services } from "../harness/services.ts";

const MIN = 60_000;
const now = Date.now();
const tenant = runId("modes");
let t: ReturnType<typeof buildTestApp>;
let rawLineCount = 0;

beforeAll(async () => {
  const loki = lokiClient(services().lokiMtUrl, tenant);
  const shop = generateScenario({
    topology: SHOP,
    start: now - 30 * MIN,
    end: now - MIN,
    rps: 1,
    seed: 3,
    incidents: [{ service: "inventory-db", kind: "db_pool_exhausted", start: now - 20 * MIN, end: now - 12 * MIN }],
  });
  rawLineCount = shop.records.length;
  const extras = [
    ...auditEvents({ start: now - 30 * MIN, end: now - MIN }),
    ...conversationLogs([
      {
        conversationId: "conv_a1",
        workspaceId: "ws_1",
        start: now - 25 * MIN,
        turns: 6,
        model: "gpt-4o",
        failTurns: [4],
      },
      { conversationId: "conv_b2", workspaceId: "ws_1", start: now - 20 * MIN, turns: 3, model: "claude-sonnet" },
      { conversationId: "conv_c3", workspaceId: "ws_2", start: now - 20 * MIN, turns: 2, model: "gpt-4o" },
    ]),
  ];
  await seedLoki(loki, [shop, { records: extras, requests: 0, failed: 0, incidents: [] }]);
  // 30 lines sharing one timestamp, for paging.
  const ts = nowNs() - 90n * 1_000_000_000n;
  await loki.push([
    {
      stream: { service_name: "batch", env: "prod" },
      values: Array.from({ length: 30 }, (_, i) => [ts, `job step ${i} done`]),
    },
  ]);
  await loki.close();
  t = buildTestApp({ LOKI_URL: services().lokiMtUrl, LOKI_TENANT: tenant });
});
afterAll(() => t?.close());

const get = (query: QueryParams) => getJson(t.app, "/api/v1/ai_logs/query", query);

describe("modes", () => {
  it("errors: error lines across JSON, logfmt and text, no warnings", async () => {
    const { body } = await get({ mode: "errors", since: "40m" });
    expect(body.counts.by_level.warn ?? 0).toBe(0);
    expect(Object.keys(body.counts.by_service).sort()).toEqual(
      expect.arrayContaining(["checkout", "gateway", "inventory", "notifications"]),
    );
    expect(body.groups.map((g: any) => g.template)).toEqual(
      expect.arrayContaining(["failed to render email template: missing locale fr-CA, falling back to en"]),
    );
  });

  it("troubleshoot groups templates with counts, first/last seen, services and examples", async () => {
    const { body } = await get({ mode: "troubleshoot", since: "40m" });
    const pool = body.groups.find((g: any) => /connection pool exhausted/.test(g.template));
    expect(pool).toBeDefined();
    expect(pool.template).toContain("<*>");
    expect(pool.services).toEqual(["inventory-db"]);
    expect(pool.count).toBeGreaterThan(50);
    expect(pool.examples.length).toBeGreaterThanOrEqual(1);
    expect(pool.examples.length).toBeLessThanOrEqual(3);
    expect(Date.parse(pool.first_seen)).toBeLessThanOrEqual(Date.parse(pool.last_seen));
    expect(Date.parse(pool.first_seen)).toBeGreaterThanOrEqual(now - 21 * MIN);
    expect(body.likely_origin.service).toBe("inventory-db");
    expect(body.next_calls[0]).toMatch(/service=inventory-db/);
    // The group matches the library's pool-exhaustion pattern and carries what to do about it.
    expect(pool.pattern).toMatchObject({ id: "conn-pool-exhausted", severity: "critical" });
    expect(pool.pattern.remediation.length).toBeGreaterThan(20);
    const locale = body.groups.find((g: any) => /missing locale/.test(g.template));
    expect(locale.pattern).toBeUndefined();
  });

  it("audit: logins, auth failures, permission and configuration changes only", async () => {
    const { body } = await get({ mode: "audit", since: "40m" });
    const templates = body.groups.map((g: any) => g.template).join("\n");
    expect(templates).toMatch(/login failed/);
    expect(templates).toMatch(/permission denied/);
    expect(templates).toMatch(/configuration changed/);
    expect(templates).not.toMatch(/completed|pool exhausted/);
  });

  it("performance: p50/p95/p99 per service from quantile_over_time, slowest with trace ids", async () => {
    const { body } = await get({ mode: "performance", since: "40m", service: ["checkout", "payments"] });
    const rows = body.latency as Array<{ service: string; p50_ms: number; p99_ms: number; field: string }>;
    expect(rows.map((r) => r.service).sort()).toEqual(["checkout", "payments"]);
    for (const r of rows) {
      expect(r.field).toBe("duration_ms");
      expect(r.p50_ms).toBeGreaterThan(0);
      expect(r.p99_ms).toBeGreaterThanOrEqual(r.p50_ms);
    }
    expect(body.slowest.length).toBeGreaterThan(0);
    expect(body.slowest[0].trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(body.slowest[0].duration_ms).toBeGreaterThanOrEqual(body.slowest.at(-1).duration_ms);
  });

  it("conversation: turns, models, tokens, latency and errors of one conversation", async () => {
    const { body } = await get({ mode: "conversation", conversation_id: "conv_a1", since: "40m" });
    const c = body.conversation;
    expect(c.conversation_id).toBe("conv_a1");
    expect(c.workspace_id).toBe("ws_1");
    expect(c.turns).toHaveLength(6);
    expect(c.totals.errors).toBe(1);
    expect(c.turns.find((x: any) => x.turn === 4).error).toMatch(/rate limit/);
    expect(c.models).toEqual({ "gpt-4o": 6 });
    expect(c.totals.prompt_tokens).toBeGreaterThan(0);
  });

  it("conversation: a workspace's conversations with totals", async () => {
    const { body } = await get({ mode: "conversation", workspace_id: "ws_1", since: "40m" });
    expect(body.conversation.conversations).toBe(2);
    expect(body.conversation.items.map((i: any) => i.conversation_id).sort()).toEqual(["conv_a1", "conv_b2"]);
    expect(body.conversation.totals.turns).toBe(9);
  });

  it("without a mode, filters alone select lines (a plain search)", async () => {
    const { body } = await get({ service: "inventory", contains: "timeout", since: "40m" });
    expect(body.format).toBe("lines");
    expect(body.lines.length).toBeGreaterThan(0);
    expect(body.lines.every((l: any) => l.service === "inventory" && l.line.includes("timeout"))).toBe(true);
  });

  it("service names work across label schemes (job=ns/name and app)", async () => {
    const { body: job } = await get({ service: "auth", since: "40m", limit: "5" });
    expect(job.lines.length).toBe(5);
    expect(job.lines.every((l: any) => l.service === "auth")).toBe(true);
    const { body: app } = await get({ service: "inventory", since: "40m", limit: "5", level: "error" });
    expect(app.lines.every((l: any) => l.service === "inventory" && l.level === "error")).toBe(true);
  });
});

describe("formats, paging and budget", () => {
  it("compact: labels once per stream, lines under them", async () => {
    const { body } = await get({ mode: "errors", service: "checkout", since: "40m", format: "compact" });
    expect(body.streams.length).toBeGreaterThan(0);
    for (const s of body.streams) {
      expect(s.labels.service_name).toBe("checkout");
      expect(Array.isArray(s.lines[0])).toBe(true);
    }
  });

  it("lines: the cursor neither skips nor repeats lines sharing a timestamp", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const { status, body } = await get({ service: "batch", since: "40m", limit: "7", ...(cursor ? { cursor } : {}) });
      expect(status).toBe(200);
      seen.push(...body.lines.map((l: any) => l.line));
      cursor = body.next_cursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
  });

  it("reads past Loki's 5,000-line limit by time-sliced paging and reports the scan", async () => {
    const { body } = await get({ since: "40m", service: ["gateway", "checkout", "inventory"], format: "summary" });
    expect(body.stats.lines_scanned).toBeGreaterThan(5_000);
    expect(body.stats.pages).toBeGreaterThan(1);
    expect(body.stats.truncated).toBe(false);
  });

  it("max_tokens is a hard budget counted with a real tokenizer, and says what was dropped", async () => {
    const full = await get({ mode: "troubleshoot", since: "40m", max_tokens: "50000" });
    const small = await get({ mode: "troubleshoot", since: "40m", max_tokens: "600" });
    const text = JSON.stringify(small.body);
    expect(countTokens(text)).toBeLessThanOrEqual(600);
    expect(small.body.tokens).toBe(countTokens(text));
    expect(small.body.groups.length).toBeLessThan(full.body.groups.length);
    expect(small.body.dropped.groups + small.body.dropped.examples).toBeGreaterThan(0);
    expect(small.body.stats.truncated).toBe(true);
    // The most frequent groups survive; the rarest go first.
    expect(small.body.groups[0].template).toBe(full.body.groups[0].template);
  });

  it("the summary costs at least 10x fewer tokens than the raw lines", async () => {
    const { body } = await get({ mode: "troubleshoot", since: "40m" });
    const raw = await get({ mode: "troubleshoot", since: "40m", format: "lines", limit: "5000", max_tokens: "200000" });
    const rawTokens = countTokens(raw.body.lines.map((l: any) => l.line).join("\n"));
    expect(rawTokens / body.tokens).toBeGreaterThanOrEqual(10);
    expect(rawLineCount).toBeGreaterThan(0);
  });
});

describe("raw LogQL", () => {
  it("runs a log query after Loki validated it", async () => {
    const { status, body } = await get({
      mode: "raw",
      logql: '{app="inventory"} |= "timeout"',
      since: "40m",
      limit: "3",
    });
    expect(status).toBe(200);
    expect(body.logql).toBe('{app="inventory"} |= "timeout"');
    expect(body.lines).toHaveLength(3);
  });

  it("passes a metric query's series through", async () => {
    const { body } = await get({
      logql: 'sum by (service_name) (count_over_time({env="prod"} |= "error" [5m]))',
      since: "40m",
    });
    expect(body.series.length).toBeGreaterThan(0);
    expect(body.series[0].labels.service_name).toBeDefined();
  });

  it("keeps raw LogQL inside the requested services", async () => {
    const { body } = await get({ logql: '{env="prod"}', service: "checkout", since: "40m", limit: "20" });
    expect(body.logql).toContain('service_name="checkout"');
    expect(body.lines.every((l: any) => l.service === "checkout")).toBe(true);
  });
});

describe("bad input → 400 problem+json with a hint", () => {
  it.each([
    [{ mode: "everything" }, /mode must be one of troubleshoot/],
    [{ start: "yesterday-ish" }, /start="yesterday-ish" is not a time/],
    [{ start: "now-1h", end: "now-2h" }, /is not after start/],
    [{ since: "30d" }, /more than the maximum/],
    [{ regex: "(unclosed" }, /regex/],
    [{ logql: '{service_name="checkout"' }, /./],
    [{ logql: 'sum(rate({a="1"}[1m' }, /./],
    [{ limit: "0" }, /limit must be a whole number from 1 to 5000/],
    [{ logql: "max without (app) (1)" }, /selects no streams/],
    [{ level: "loud" }, /level must be among/],
    [{ mode: "conversation" }, /without conversation_id or workspace_id/],
    [{ cursor: "garbage" }, /cursor/],
  ])("%o", async (query, detail) => {
    const { status, type, body } = await get(query as Record<string, string>);
    expect(status).toBe(400);
    expect(type).toBe("application/problem+json");
    expect(body.detail).toMatch(detail);
    expect(body.hint.length).toBeGreaterThan(10);
  });
});

describe("empty answers carry hints", () => {
  it("an unknown service lists the services that exist", async () => {
    const { status, body } = await get({ mode: "errors", service: "no-such-svc", since: "40m" });
    expect(status).toBe(200);
    expect(body.stats.lines_returned).toBe(0);
    expect(body.hints.join(" ")).toMatch(/no-such-svc/);
    expect(body.hints.join(" ")).toMatch(/checkout/);
  });

  it("nothing in range says when that selector last had a line", async () => {
    const { body } = await get({ service: "checkout", start: "now-10d", end: "now-9d" });
    expect(body.hints.join(" ")).toMatch(/last had a line|no line in the 7 days/);
  });
});

describe("GET /services", () => {
  it("lists services with volume, label scheme and levels", async () => {
    const res = await t.app.request("/api/v1/ai_logs/services?since=40m");
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.service_label).toBe("service_name");
    const byName = Object.fromEntries(body.services.map((s: any) => [s.name, s]));
    expect(byName.auth.values).toEqual(["shop/auth"]);
    expect(byName.auth.labels).toContain("job");
    expect(byName.inventory.labels).toContain("app");
    expect(byName.gateway.bytes).toBeGreaterThan(0);
    expect(byName.gateway.lines).toBeGreaterThan(0);
    expect(byName["inventory-db"].levels.warn).toBeGreaterThan(0);
  });
});
