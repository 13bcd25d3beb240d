import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateKey, sha256Hex } from "../../src/http/auth/keys.ts";
import { appendKeyEntry } from "../../src/http/auth/keys-file.ts";
import { NS_PER_MS, NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { startCountingProxy } from "../harness/counting-proxy.ts";
import {
  buildTestApp,
  eventually,
  getJson,
  lokiClient,
  type QueryParams,
  runId,
  services,
} from "../harness/services.ts";

const QUERY_RANGE = "/loki/api/v1/query_range";

/**
 * Issue 10's hostile requests on the real Loki and the running API: forged
 * and replayed cursors, a client that aborts shared work, metric LogQL where
 * a log query belongs, far ranges and offsets, the documented maximum range,
 * /health under anonymous load, /services as a heavy call, an empty keys file,
 * and budget trimming of many groups.
 */

const Q = "/api/v1/ai_logs/query";
const tenant = runId("hostreq");
const dir = mkdtempSync(path.join(tmpdir(), "hostile-requests-"));
let t: ReturnType<typeof buildTestApp>;
const env = () => ({ LOKI_URL: services().lokiMtUrl, LOKI_TENANT: tenant });

/** 30 lines at one timestamp 50 minutes ago (for paging), and 2,000 distinct error templates 5 minutes ago. */
beforeAll(async () => {
  const loki = lokiClient(services().lokiMtUrl, tenant);
  const old = nowNs() - 50n * 60n * NS_PER_S;
  await loki.push([
    {
      stream: { service_name: "hr-page", env: "prod" },
      values: Array.from({ length: 30 }, (_, i) => [old, `level=error msg="step ${i} failed"`]),
    },
  ]);
  const recent = nowNs() - 5n * 60n * NS_PER_S;
  await loki.push([
    {
      stream: { service_name: "hr-many", env: "prod" },
      values: Array.from({ length: 2_000 }, (_, i) => [recent + BigInt(i) * NS_PER_MS, manyLine(i)]),
    },
  ]);
  await loki.close();
  t = buildTestApp(env());
  await eventually(async () => {
    const { body } = await getJson(t.app, Q, { service: "hr-many", since: "10m", format: "summary" });
    return body.stats?.lines_returned === 2_000 ? true : undefined;
  }, 30_000);
}, 180_000);
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Letters only (digits would be masked into one template). */
const word = (n: number) => {
  let s = "";
  for (let v = n + 1; v > 0; v = Math.floor((v - 1) / 26)) s = String.fromCharCode(97 + ((v - 1) % 26)) + s;
  return s;
};
/** Line i has its own first word and shape: one template per line. */
const manyLine = (i: number) =>
  `ERROR ${word(i)}${word(i * 7)} ${Array.from({ length: 2 + (i % 9) }, (_, k) => word(i * 31 + k * 977)).join(" ")} failed`;

const expectProblem = (r: { status: number; type: string | null; body: Record<string, any> }, statuses: number[]) => {
  expect(statuses, `got ${r.status}: ${JSON.stringify(r.body).slice(0, 400)}`).toContain(r.status);
  expect(r.type).toMatch(/^application\/problem\+json/);
  expect(String(r.body.hint ?? "").length).toBeGreaterThan(10);
};

/** `cursor` with its timestamp moved to `ts` (whatever the encoding, signed or not, as long as a JSON part holds ts). */
function forgeTs(cursor: string, ts: string): string {
  const parts = cursor.split(".");
  for (const [i, part] of parts.entries()) {
    try {
      const data = JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;
      if (data && typeof data === "object" && "ts" in data) {
        const forged = Buffer.from(JSON.stringify({ ...data, ts })).toString("base64url");
        return parts.map((p, j) => (j === i ? forged : p)).join(".");
      }
    } catch {
      // not this part
    }
  }
  // Opaque encoding: change a character of the payload instead.
  const at = Math.floor(cursor.length / 3);
  return `${cursor.slice(0, at)}${cursor[at] === "A" ? "B" : "A"}${cursor.slice(at + 1)}`;
}

describe("cursors cannot lift the range", () => {
  const first = { service: "hr-page", since: "1h", limit: "5" };
  let cursor: string;
  beforeAll(async () => {
    const r = await getJson(t.app, Q, first);
    expect(r.status).toBe(200);
    expect(r.body.lines).toHaveLength(5);
    cursor = r.body.next_cursor;
    expect(cursor).toBeTruthy();
  });

  it("the cursor as issued pages on (200)", async () => {
    const r = await getJson(t.app, Q, { ...first, cursor });
    expect(r.status).toBe(200);
    expect(r.body.lines).toHaveLength(5);
  });

  it.each([
    ["ts moved to 1970", "0"],
    ["ts moved a year ahead", String(nowNs() + 365n * 86_400n * NS_PER_S)],
  ])("a forged cursor (%s) → 400", async (_, ts) => {
    expectProblem(await getJson(t.app, Q, { ...first, cursor: forgeTs(cursor, ts) }), [400]);
  });

  it("a cursor replayed on a range that does not contain it → 400", async () => {
    // Same query, but the last 10 minutes: the cursor's lines are 50 minutes old.
    expectProblem(await getJson(t.app, Q, { ...first, since: "10m", cursor }), [400]);
    expectProblem(
      await getJson(t.app, Q, { service: "hr-page", limit: "5", start: "now-2h", end: "now-55m", cursor }),
      [400],
    );
  });
});

describe("shared work survives the client that started it", () => {
  it("two identical /query calls, the first aborted mid-flight: the second is answered 200", async () => {
    const proxy = await startCountingProxy(services().lokiMtUrl, { delayMs: 1_500, delayOnly: QUERY_RANGE });
    const app = buildTestApp({ LOKI_URL: proxy.url, LOKI_TENANT: tenant });
    const server = serve({ fetch: app.app.fetch, port: 0, hostname: "127.0.0.1" });
    try {
      await new Promise<void>((resolve) => (server.listening ? resolve() : server.once("listening", resolve)));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const url = `${base}${Q}?service=hr-page&since=1h&mode=errors`;
      const impatient = new AbortController();
      const firstCall = fetch(url, { signal: impatient.signal }).catch((err: unknown) => err);
      await eventually(async () => (proxy.count(QUERY_RANGE) > 0 ? true : undefined), 10_000, 20);
      const secondCall = fetch(url);
      await sleep(200); // the second call has joined the first one's computation
      impatient.abort();
      expect(await firstCall).toBeInstanceOf(Error);
      const second = await secondCall;
      const text = await second.text();
      expect(
        second.status,
        `second call: ${second.status} ${second.headers.get("content-type")} "${text.slice(0, 300)}"`,
      ).toBe(200);
      expect(JSON.parse(text).stats.lines_returned).toBe(30);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
      await proxy.close();
    }
  });
});

describe("LogQL and ranges that must be refused or accepted", () => {
  it("mode=errors with a metric logql → 4xx problem, not 500", async () => {
    const r = await getJson(t.app, Q, { mode: "errors", logql: 'sum(rate({x="y"}[5m]))', since: "1h" });
    expectProblem(r, [400, 422]);
  });

  it.each([
    ['count_over_time({service_name="hr-page"}[3650d] offset 3650d)'],
    ['count_over_time({service_name="hr-page"}[5m] offset 3650d)'],
    ['sum(count_over_time({service_name="hr-page"}[30d]))'],
  ])("raw metric LogQL reading outside the range is refused: %s", async (logql) => {
    expectProblem(await getJson(t.app, Q, { logql, since: "1h" }), [400, 422]);
  });

  it("a match-all logql outside raw mode is refused", async () => {
    expectProblem(await getJson(t.app, Q, { mode: "troubleshoot", logql: '{service_name=~".+"}', since: "1h" }), [422]);
  });

  it.each<[string, QueryParams]>([
    [Q, { since: "7d" }],
    [Q, { since: "168h" }],
    [Q, { start: "now-7d", end: "now" }],
    ["/api/v1/ai_logs/patterns", { since: "7d" }],
    ["/api/v1/ai_logs/patterns", { start: "now-7d", end: "now" }],
    // /services documents its own, shorter maximum (SERVICES_MAX_RANGE, 1d by default).
    ["/api/v1/ai_logs/services", { since: "1d" }],
    ["/api/v1/ai_logs/services", { start: "now-24h", end: "now" }],
  ])("the documented maximum range is accepted: %s %o", async (p, range) => {
    const r = await getJson(t.app, p, { service: "hr-page", ...range });
    expect([200, 422], `${p} ${JSON.stringify(range)}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`).toContain(
      r.status,
    );
    if (r.status === 422) expect(r.body.detail).not.toMatch(/covers/);
  });

  const nines = "9".repeat(400);
  it.each<[string, QueryParams]>([
    [Q, { since: nines }],
    [Q, { start: `now-${nines}` }],
    [Q, { end: "now-300000y" }],
    ["/api/v1/ai_logs/patterns", { end: "now-300000y" }],
    ["/api/v1/ai_logs/patterns", { since: nines }],
    ["/api/v1/ai_logs/services", { start: `now-${nines}` }],
  ])("%s %o → 400 problem naming no internal value", async (p, query) => {
    const r = await getJson(t.app, p, query);
    expectProblem(r, [400]);
    // The caller's own digits may be quoted back; no other long number (a nanosecond value) may show.
    const internal = (String(r.body.detail).match(/\d{16,}/g) ?? []).filter(
      (n) => !Object.values(query).some((v) => String(v).includes(n)),
    );
    expect(internal, r.body.detail).toEqual([]);
  });
});

describe("rate limits and keys", () => {
  const key = generateKey();
  const keysFile = path.join(dir, "keys.yaml");
  let a: ReturnType<typeof buildTestApp>;
  beforeAll(async () => {
    await appendKeyEntry(keysFile, { id: "k", sha256: sha256Hex(key), tenant, scopes: ["read"] });
    a = buildTestApp({ ...env(), API_KEYS_FILE: keysFile, RATE_LIMIT_CHEAP: "3/1m", RATE_LIMIT_HEAVY: "2/1m" });
  });
  afterAll(() => a?.close());

  it("/health is never rate-limited, whatever anonymous callers do", async () => {
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await a.app.request("/api/v1/ai_logs/health")).status);
    expect(
      statuses.filter((s) => s === 429),
      JSON.stringify(statuses),
    ).toHaveLength(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
  });

  it("/services is a heavy call (its budget is the heavy one)", async () => {
    const auth = { headers: { Authorization: `Bearer ${key}` } };
    const statuses = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await a.app.request(`/api/v1/ai_logs/services?since=${10 + i}m`, auth)).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("an empty keys file (an editor truncating before writing) does not revoke every key", async () => {
    const key2 = generateKey();
    const file = path.join(dir, "keys-empty.yaml");
    await appendKeyEntry(file, { id: "k2", sha256: sha256Hex(key2), tenant, scopes: ["read"] });
    const b = buildTestApp({ ...env(), API_KEYS_FILE: file });
    try {
      const call = () => b.app.request("/api/v1/ai_logs/patterns", { headers: { Authorization: `Bearer ${key2}` } });
      expect((await call()).status).toBe(200);
      writeFileSync(file, "");
      await b.deps.auth.store?.reload();
      expect((await call()).status).toBe(200);
    } finally {
      await b.close();
    }
  });
});

describe("budget trimming of many groups", () => {
  it("2,000 templates and max_tokens=80000: 200, the event loop never blocked more than 2 s", async () => {
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    await sleep(30);
    const started = performance.now();
    const r = await getJson(t.app, Q, { mode: "troubleshoot", service: "hr-many", since: "10m", max_tokens: "80000" });
    const tookMs = performance.now() - started;
    await sleep(30);
    loop.disable();
    const blockedMs = loop.max / 1e6 - 10;
    const label = `${r.status} in ${Math.round(tookMs)} ms, loop blocked ${Math.round(blockedMs)} ms`;
    expect(r.status, label).toBe(200);
    expect(r.body.groups.length, label).toBeGreaterThan(100);
    expect(r.body.tokens, label).toBeLessThanOrEqual(80_000);
    expect(blockedMs, label).toBeLessThanOrEqual(2_000);
  }, 600_000);
});
