import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateScenario } from "../../scripts/datagen/generator.ts";
import { seedLoki } from "../../scripts/datagen/seed.ts";
import { SHOP } from "../../scripts/datagen/topology.ts";
import { LokiClient } from "../../src/loki/client.ts";
import { LokiError } from "../../src/loki/errors.ts";
import { NS_PER_S, nowNs } from "../../src/loki/time.ts";
import { startCountingProxy } from "../harness/counting-proxy.ts";
import { buildTestApp, lokiClient, runId, services } from "../harness/services.ts";

/**
 * How long a request's work lives, on the real (multi-tenant) Loki: shared
 * work survives a caller leaving, a 504 stops the Loki calls behind it, and
 * Loki's answers are read with a size bound.
 */
const MIN = 60_000;
const tenant = runId("life");
let proxies: Array<Awaited<ReturnType<typeof startCountingProxy>>> = [];
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  const now = Date.now();
  const generated = generateScenario({
    topology: SHOP,
    start: now - 30 * MIN,
    end: now - MIN,
    rps: 2,
    seed: 5,
    incidents: [{ service: "inventory-db", kind: "db_pool_exhausted", start: now - 20 * MIN, end: now - 12 * MIN }],
  });
  const loki = lokiClient(services().lokiMtUrl, tenant);
  await seedLoki(loki, generated);
  await loki.close();
});
afterAll(async () => {
  await Promise.allSettled(closers.map((close) => close()));
  await Promise.allSettled(proxies.map((p) => p.close()));
  proxies = [];
});

/** The app for the seeded tenant, Loki reached through a counting proxy that holds each call `delayMs`. */
async function appBehindProxy(delayMs: number, env: Record<string, string> = {}) {
  const proxy = await startCountingProxy(services().lokiMtUrl, { delayMs });
  proxies.push(proxy);
  const t = buildTestApp({ LOKI_URL: proxy.url, LOKI_TENANT: tenant, ...env });
  closers.push(t.close);
  return { ...t, proxy };
}

/** Serves `app` on a free port over real HTTP (so a client's disconnect is what @hono/node-server reports). */
async function listen(app: { fetch: (req: Request) => Response | Promise<Response> }) {
  const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  closers.push(() => new Promise((resolve) => server.close(() => resolve(undefined))));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const queryPath = (end: number) =>
  `/api/v1/ai_logs/query?mode=troubleshoot&start=${new Date(end - 40 * MIN).toISOString()}&end=${new Date(end).toISOString()}`;

describe("shared work survives its callers", () => {
  it("two identical /query requests, the first aborted mid-flight: the second is answered 200 in full", async () => {
    const { app } = await appBehindProxy(150);
    const base = await listen(app);
    const url = `${base}${queryPath(Date.now())}`;

    const first = new AbortController();
    const aborted = fetch(url, { signal: first.signal }).then(
      () => "answered",
      () => "aborted",
    );
    await sleep(100);
    const second = fetch(url);
    await sleep(200);
    first.abort();
    expect(await aborted).toBe("aborted"); // it had no answer yet: the shared computation was mid-flight

    const res = await second;
    expect(res.status).toBe(200);
    expect(res.headers.get("x-cache")).toBe("HIT"); // it shared the first request's computation
    const body = (await res.json()) as { groups: unknown[]; stats: { lines_scanned: number }; tokens: number };

    // A full answer: the same as one computed afresh.
    const fresh = await fetch(url, { headers: { "Cache-Control": "no-cache" } });
    expect(fresh.status).toBe(200);
    const reference = (await fresh.json()) as typeof body;
    expect(body.stats.lines_scanned).toBe(reference.stats.lines_scanned);
    expect(body.stats.lines_scanned).toBeGreaterThan(0);
    expect(body.groups).toEqual(reference.groups);
  });

  it("when every caller leaves, the shared computation stops calling Loki", async () => {
    const { app, proxy } = await appBehindProxy(150);
    const base = await listen(app);
    const url = `${base}${queryPath(Date.now() - 1000)}`;
    const callers = [new AbortController(), new AbortController()];
    const pending = callers.map((c) => fetch(url, { signal: c.signal }).catch(() => undefined));
    await sleep(250);
    for (const c of callers) c.abort();
    await Promise.all(pending);
    await sleep(100); // let a call that was already on the wire arrive
    const after = proxy.total();
    await sleep(1_000);
    expect(proxy.total()).toBe(after);
  });
});

describe("a 504 stops the work behind it", () => {
  it("at REQUEST_TIMEOUT_MS the answer is 504 problem+json and no Loki call starts after it", async () => {
    // Small pages through a slow path: the scan would page for many seconds.
    const { app, proxy } = await appBehindProxy(120, { REQUEST_TIMEOUT_MS: "900", QUERY_PAGE_SIZE: "50" });
    const res = await app.request(`${queryPath(Date.now())}&format=lines&limit=5000`, {
      headers: { "Cache-Control": "no-cache" },
    });
    expect(res.status).toBe(504);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(await res.json()).toMatchObject({
      status: 504,
      type: "urn:logsleuth:problem:timeout",
      hint: expect.stringContaining("REQUEST_TIMEOUT_MS"),
    });
    const atTimeout = proxy.total();
    expect(atTimeout).toBeGreaterThan(0);
    await sleep(1_500);
    expect(proxy.total()).toBe(atTimeout);
  });
});

describe("Loki's answers are read with a size bound", () => {
  it("the client refuses an answer larger than maxResponseBytes (kind limit)", async () => {
    const loki = lokiClient(services().lokiMtUrl, tenant);
    const small = new LokiClient({
      url: services().lokiMtUrl,
      tenant,
      timeoutMs: 15_000,
      maxResponseBytes: 4_096,
    });
    closers.push(
      () => loki.close(),
      () => small.close(),
    );
    const range = { query: '{service_name=~".+"}', start: nowNs() - 40n * 60n * NS_PER_S, end: nowNs(), limit: 1000 };
    const full = await loki.queryRange(range);
    expect(JSON.stringify(full).length).toBeGreaterThan(4_096);
    const error = await small.queryRange(range).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LokiError);
    expect((error as LokiError).kind).toBe("limit");
    expect((error as LokiError).status).toBe(422);
    expect((error as LokiError).message).toMatch(/larger than 4096 bytes/);
    // Small answers still pass.
    expect(await small.labels({ start: range.start, end: range.end })).toContain("service_name");
  });

  it("through the API: 422 problem+json with a hint to narrow the query", async () => {
    const { app } = await appBehindProxy(0, { LOKI_MAX_RESPONSE_BYTES: "16KiB" });
    const res = await app.request(`${queryPath(Date.now())}&format=lines&limit=2000`);
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const body = (await res.json()) as { detail: string; hint: string };
    expect(body.detail).toMatch(/LOKI_MAX_RESPONSE_BYTES/);
    expect(body.hint).toMatch(/Narrow the query/);
  });
});
