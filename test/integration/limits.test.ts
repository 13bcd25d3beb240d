import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { buildTestApp, getJson, lokiClient, type QueryParams, runId, services } from "../harness/services.ts";

/**
 * Limits nobody can walk around (issue 10), through the real app on the real
 * Loki: signed cursors that page only within their range, raw LogQL's range
 * vectors and offsets counted, /services guarded, hostile times answered 400.
 */
const tenant = runId("limits");
const CURSOR_KEYS = "limits-test-cursor-key-0123456789";
const apps: Array<ReturnType<typeof buildTestApp>> = [];
const appWith = (env: Record<string, string> = {}) => {
  const t = buildTestApp({ LOKI_URL: services().lokiMtUrl, LOKI_TENANT: tenant, CURSOR_KEYS, ...env });
  apps.push(t);
  return t.app;
};
let app: ReturnType<typeof appWith>;
const now = nowNs();
const MIN_NS = 60n * NS_PER_S;

beforeAll(async () => {
  const loki = lokiClient(services().lokiMtUrl, tenant);
  const lines = (at: bigint, batch: string) => ({
    stream: { service_name: "checkout", batch },
    values: Array.from({ length: 30 }, (_, i) => [
      at + BigInt(i) * NS_PER_S,
      `level=error msg="payment failed" n=${i}`,
    ]),
  });
  // Recent lines, and older ones in their own stream (their own chunks) 90 minutes ago.
  await loki.push([lines(now - 3n * MIN_NS, "new"), lines(now - 90n * MIN_NS, "old")] as never);
  await loki.close();
  app = appWith();
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

const query = (q: QueryParams, a = app) => getJson(a, "/api/v1/ai_logs/query", q);
const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();
/** A run of 12+ digits in a message (beside the caller's own quoted nines) is an internal number leaking out. */
const leaksNanos = (text: string) => /\d{12,}/.test(text.replace(/"[^"]*9{12,}[^"]*"/g, '""'));

describe("cursors are signed and page only within their range", () => {
  const range = { start: iso(now - 10n * MIN_NS), end: iso(now) };
  const page = { service: "checkout", format: "lines", limit: "10", ...range };
  let cursor: string;
  beforeAll(async () => {
    const first = await query(page);
    expect(first.status).toBe(200);
    cursor = first.body.next_cursor;
    expect(cursor).toBeTypeOf("string");
  });

  it("a cursor continues the page, also on another instance with the same CURSOR_KEYS", async () => {
    for (const a of [app, appWith()]) {
      const next = await query({ ...page, cursor }, a);
      expect(next.status).toBe(200);
      expect(next.body.lines).toHaveLength(10);
    }
  });

  it("a forged cursor (ts changed to 0, signature kept) is a 400, and Loki is never asked from 1970", async () => {
    const [payload, mac] = cursor.split(".") as [string, string];
    const data = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    const forged = `${Buffer.from(JSON.stringify({ ...data, ts: "0" })).toString("base64url")}.${mac}`;
    const unsigned = Buffer.from(JSON.stringify({ v: 1, q: data.q, ts: "0", seen: [] })).toString("base64url");
    for (const c of [forged, unsigned]) {
      const res = await query({ ...page, since: "1h", start: [], end: [], cursor: c });
      expect(res.status).toBe(400);
      expect(res.body.type).toBe("urn:logsleuth:problem:bad-cursor");
      expect(res.body.hint).toBeTruthy();
    }
  });

  it("a cursor replayed on a range that does not hold it is a 400", async () => {
    const res = await query({ ...page, start: iso(now - 60n * MIN_NS), end: iso(now - 30n * MIN_NS), cursor });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe("urn:logsleuth:problem:cursor-out-of-range");
  });

  it("a cursor signed with another key is a 400", async () => {
    const other = appWith({ CURSOR_KEYS: "some-other-cursor-key-0123456789" });
    expect((await query({ ...page, cursor }, other)).status).toBe(400);
    // Rotation: the new key first, the old one still verifies.
    const rotated = appWith({ CURSOR_KEYS: `brand-new-cursor-key-0123456789,${CURSOR_KEYS}` });
    expect((await query({ ...page, cursor }, rotated)).status).toBe(200);
  });
});

describe("raw LogQL: range vectors and offsets count", () => {
  it("[3650d] offset 3650d over an hour is refused before Loki reads it", async () => {
    const res = await query({
      logql: 'sum(count_over_time({service_name="checkout"}[3650d] offset 3650d))',
      since: "1h",
    });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe("urn:logsleuth:problem:range-too-long");
    expect(res.body.hint).toMatch(/\[range\]/);
  });

  it("the byte estimate covers what the offset reads (the older stream too)", async () => {
    const near = await query({ logql: 'sum(count_over_time({service_name="checkout"}[1m]))', since: "30m" });
    const far = await query({ logql: 'sum(count_over_time({service_name="checkout"}[1m] offset 1h))', since: "30m" });
    expect(near.status).toBe(200);
    expect(far.status).toBe(200);
    expect(far.body.stats.bytes_estimated).toBeGreaterThan(near.body.stats.bytes_estimated);
  });

  it("a metric logql in mode=errors is a 400 with a hint, not a 500", async () => {
    const res = await query({ mode: "errors", logql: 'sum(count_over_time({service_name="checkout"}[5m]))' });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe("urn:logsleuth:problem:metric-needs-raw");
    expect(res.body.hint).toContain("mode=raw");
  });

  it("a match-all logql is refused outside raw mode too", async () => {
    const res = await query({ mode: "errors", logql: '{service_name=~".+"} |= "failed"', since: "10m" });
    expect(res.status).toBe(422);
    expect(res.body.type).toBe("urn:logsleuth:problem:query-too-broad");
  });
});

describe("times and numbers", () => {
  it("since=7d, the documented maximum, is accepted", async () => {
    const res = await query({ service: "checkout", since: "7d", format: "lines", limit: "5" });
    expect(res.status).toBe(200);
    expect(res.body.lines).toHaveLength(5);
  });

  it.each([
    ["/query end=now-300000y", "/api/v1/ai_logs/query", { end: "now-300000y" }],
    ["/patterns end=now-300000y", "/api/v1/ai_logs/patterns", { end: "now-300000y" }],
    ["/query since of 60 nines", "/api/v1/ai_logs/query", { since: `${"9".repeat(60)}s` }],
    ["/query start=now- 60 nines", "/api/v1/ai_logs/query", { start: `now-${"9".repeat(56)}s` }],
    ["/patterns start=now- 60 nines", "/api/v1/ai_logs/patterns", { start: `now-${"9".repeat(56)}h` }],
    ["/services end=now-300000y", "/api/v1/ai_logs/services", { end: "now-300000y" }],
    ["/query since of 400 nines", "/api/v1/ai_logs/query", { since: `${"9".repeat(400)}s` }],
  ])("%s is a 400 problem with a hint and no internal nanoseconds", async (_name, path, q) => {
    const res = await getJson(app, path, q);
    expect(res.status).toBe(400);
    expect(res.type).toBe("application/problem+json");
    expect(res.body.hint).toBeTruthy();
    expect(leaksNanos(res.body.detail)).toBe(false);
  });
});

describe("/services is guarded", () => {
  const services_ = (q: QueryParams, a = app, headers: Record<string, string> = {}) =>
    a.request(`/api/v1/ai_logs/services?${new URLSearchParams(q as Record<string, string>)}`, { headers });

  it("covers at most SERVICES_MAX_RANGE (1d by default)", async () => {
    expect((await services_({ since: "1d" })).status).toBe(200);
    const res = await services_({ since: "2d" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toContain("maximum of 1d");
  });

  it("is refused over QUERY_MAX_BYTES", async () => {
    const res = await services_({ since: "10m" }, appWith({ QUERY_MAX_BYTES: "100B" }));
    expect(res.status).toBe(422);
    expect(((await res.json()) as { type: string }).type).toBe("urn:logsleuth:problem:query-too-costly");
  });

  it("does not recount on Cache-Control: no-cache", async () => {
    const a = appWith();
    const noCache = { "Cache-Control": "no-cache" };
    expect((await services_({ since: "15m" }, a, noCache)).headers.get("x-cache")).toBe("MISS");
    expect((await services_({ since: "15m" }, a, noCache)).headers.get("x-cache")).toBe("HIT");
  });
});
